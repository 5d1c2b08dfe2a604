package modx

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/modx-amocrm/modx-amocrm/internal/shop"
)

// OldStatus is an amocrm_status row of the old extra: a miniShop2 status
// and the amoCRM status it was mapped to in one pipeline.
type OldStatus struct {
	Status     int64 `db:"status"`
	StatusID   int64 `db:"status_id"`
	PipelineID int64 `db:"pipeline_id"`
}

// OldLeads reads the old extra's order -> lead links (amocrm_leads). Form
// leads (order = 0) are skipped. Empty when the table is absent.
func (db *DB) OldLeads(ctx context.Context) ([]shop.OldLink, error) {
	return db.oldLinks(ctx, "amocrm_leads",
		"SELECT `order`, COALESCE(order_id, 0), COALESCE(pipeline_id, 0) FROM "+db.table("amocrm_leads")+
			" WHERE `order` > 0 ORDER BY id")
}

// OldUsers reads the old extra's user -> contact links (amocrm_users).
func (db *DB) OldUsers(ctx context.Context) ([]shop.OldLink, error) {
	return db.oldLinks(ctx, "amocrm_users",
		"SELECT `user`, COALESCE(user_id, 0), 0 FROM "+db.table("amocrm_users")+" WHERE `user` > 0 ORDER BY id")
}

func (db *DB) oldLinks(ctx context.Context, table, q string) ([]shop.OldLink, error) {
	s, err := db.detected(ctx)
	if err != nil || !s.Has(table, "") {
		return nil, err
	}
	var out []shop.OldLink
	err = db.each(ctx, "read "+table, q, nil, func(rows *sql.Rows) error {
		var l shop.OldLink
		err := rows.Scan(&l.SourceID, &l.AmoID, &l.PipelineID)
		out = append(out, l)
		return err
	})
	return out, err
}

// OldStatuses reads the old extra's status map (amocrm_status).
func (db *DB) OldStatuses(ctx context.Context) ([]OldStatus, error) {
	s, err := db.detected(ctx)
	if err != nil || !s.OldStatus {
		return nil, err
	}
	qctx, cancel := db.query(ctx)
	defer cancel()
	var out []OldStatus
	q := "SELECT COALESCE(status, 0) AS status, COALESCE(status_id, 0) AS status_id, COALESCE(pipeline_id, 0) AS pipeline_id FROM " +
		db.table("amocrm_status") + " ORDER BY id"
	if err := db.sql.SelectContext(qctx, &out, q); err != nil {
		return nil, fmt.Errorf("read amocrm_status: %w", err)
	}
	return out, nil
}
