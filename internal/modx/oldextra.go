package modx

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/modx-amocrm/modx-amocrm/internal/shop"
)

// The old amoCRM extra's tables (1.9.3, model/schema/amocrm.mysql.schema.xml;
// real-installs.md §7): amocrm_leads links an order (`order`, 0 for a
// form's deal) to its deal (`order_id`) and the pipeline it put it in;
// amocrm_users links a MODX user (`user`) to its contact (`user_id`);
// amocrm_status is its status map; amocrm_custom_fields maps a key to a
// field id (defined, never written by 1.9.3). `order` is indexed but not
// unique: the extra updates the first row of an order (xPDO getObject),
// so that row is the order's link.

// OldStatus is an amocrm_status row of the old extra: a miniShop2 status
// and the amoCRM status it was mapped to in one pipeline.
type OldStatus struct {
	Status     int64 `db:"status"`
	StatusID   int64 `db:"status_id"`
	PipelineID int64 `db:"pipeline_id"`
}

// OldField is an amocrm_custom_fields row.
type OldField struct {
	Key     string `db:"key"`
	FieldID int64  `db:"custom_field_id"`
}

// OldDeals reads one keyset page of amocrm_leads by row id, form deals
// (SourceID 0) included; nil when the table is absent. Rows naming no deal
// are left out.
func (db *DB) OldDeals(ctx context.Context, afterRow int64, limit int) ([]shop.OldLink, error) {
	return db.oldLinks(ctx, "amocrm_leads", "`order`, order_id, pipeline_id", "id > ? AND order_id > 0 ORDER BY id LIMIT ?", afterRow, limit)
}

// OldContacts reads one keyset page of amocrm_users by row id.
func (db *DB) OldContacts(ctx context.Context, afterRow int64, limit int) ([]shop.OldLink, error) {
	return db.oldLinks(ctx, "amocrm_users", "`user`, user_id, 0", "id > ? AND `user` > 0 AND user_id > 0 ORDER BY id LIMIT ?", afterRow, limit)
}

// oldLinks reads link rows of table: cols are the source id, the amoCRM
// id and the pipeline id; the row id comes first.
func (db *DB) oldLinks(ctx context.Context, table, cols, where string, a ...any) ([]shop.OldLink, error) {
	if ok, err := db.hasTable(ctx, table); !ok {
		return nil, err
	}
	var out []shop.OldLink
	q := "SELECT id, " + cols + " FROM " + db.table(table) + " WHERE " + where
	err := db.each(ctx, "read "+table, q, a, func(rows *sql.Rows) error {
		var l shop.OldLink
		err := rows.Scan(&l.Row, &l.SourceID, &l.AmoID, &l.PipelineID)
		out = append(out, l)
		return err
	})
	return out, err
}

// OldLinkCounts counts the extra's links: order deals, form deals and
// contacts; zeros when its tables are absent.
func (db *DB) OldLinkCounts(ctx context.Context) (deals, formDeals, contacts int, err error) {
	tables, err := db.tables(ctx)
	if err != nil {
		return 0, 0, 0, err
	}
	if _, ok := tables["amocrm_leads"]; ok {
		q := "SELECT COALESCE(SUM(`order` > 0), 0), COALESCE(SUM(`order` = 0), 0) FROM " + db.table("amocrm_leads") + " WHERE order_id > 0"
		if err := db.each(ctx, "count amocrm_leads", q, nil, func(rows *sql.Rows) error { return rows.Scan(&deals, &formDeals) }); err != nil {
			return 0, 0, 0, err
		}
	}
	if _, ok := tables["amocrm_users"]; ok {
		q := "SELECT COUNT(*) FROM " + db.table("amocrm_users") + " WHERE `user` > 0 AND user_id > 0"
		if err := db.each(ctx, "count amocrm_users", q, nil, func(rows *sql.Rows) error { return rows.Scan(&contacts) }); err != nil {
			return 0, 0, 0, err
		}
	}
	return deals, formDeals, contacts, nil
}

// OldStatuses reads the old extra's status map (amocrm_status), by row id.
func (db *DB) OldStatuses(ctx context.Context) ([]OldStatus, error) {
	var out []OldStatus
	err := db.oldTable(ctx, "amocrm_status", &out, "SELECT COALESCE(status, 0) AS status, COALESCE(status_id, 0) AS status_id, COALESCE(pipeline_id, 0) AS pipeline_id FROM "+
		db.table("amocrm_status")+" ORDER BY id")
	return out, err
}

// OldFields reads the old extra's amocrm_custom_fields, by row id.
func (db *DB) OldFields(ctx context.Context) ([]OldField, error) {
	var out []OldField
	err := db.oldTable(ctx, "amocrm_custom_fields", &out, "SELECT COALESCE(`key`, '') AS `key`, COALESCE(custom_field_id, 0) AS custom_field_id FROM "+
		db.table("amocrm_custom_fields")+" ORDER BY id")
	return out, err
}

// oldTable selects a small table of the extra whole (a status map, a few
// fields); nothing when it is absent.
func (db *DB) oldTable(ctx context.Context, table string, dst any, q string) error {
	if ok, err := db.hasTable(ctx, table); !ok {
		return err
	}
	qctx, cancel := db.query(ctx)
	defer cancel()
	if err := db.sql.SelectContext(qctx, dst, q); err != nil {
		return fmt.Errorf("read %s: %w", table, err)
	}
	return nil
}

// hasTable reports whether the database has table (without prefix). It
// needs no shop: import-settings reads the extra's tables on any MODX.
func (db *DB) hasTable(ctx context.Context, table string) (bool, error) {
	tables, err := db.tables(ctx)
	if err != nil {
		return false, err
	}
	_, ok := tables[table]
	return ok, nil
}
