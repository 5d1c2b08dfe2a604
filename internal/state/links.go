package state

import (
	"context"
	"fmt"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/plan"
)

// inChunk bounds the ids of one IN (...) list.
const inChunk = 1000

// linkRow is a row of the links table: what a MODX record became in amoCRM
// (a plan.Link), and when it last changed.
type linkRow struct {
	Kind      string    `db:"kind"`      // plan.LinkOrder, plan.LinkUser, ...
	SourceID  int64     `db:"source_id"` // the MODX id
	AmoID     int64     `db:"amo_id"`    // the lead or contact id
	Hash      string    `db:"hash"`      // hex SHA-256 of the payload last sent
	UpdatedAt time.Time `db:"updated_at"`
}

const linkColumns = `kind, source_id, amo_id, hash, updated_at`

// Links returns the links of kind for the given source ids, by source id;
// ids without a link are absent from the map.
func (s *Store) Links(ctx context.Context, kind string, ids []int64) (map[int64]plan.Link, error) {
	out := make(map[int64]plan.Link, len(ids))
	err := s.linksIn(ctx, kind, "source_id", ids, func(l plan.Link) { out[l.SourceID] = l })
	return out, err
}

// LinksByAmoIDs returns the links of kind pointing at the amoCRM entities
// amoIDs, by amoCRM id; an entity several records are linked to has them
// all, by source id. Ids nothing points at are absent.
func (s *Store) LinksByAmoIDs(ctx context.Context, kind string, amoIDs []int64) (map[int64][]plan.Link, error) {
	out := make(map[int64][]plan.Link, len(amoIDs))
	err := s.linksIn(ctx, kind, "amo_id", amoIDs, func(l plan.Link) { out[l.AmoID] = append(out[l.AmoID], l) })
	return out, err
}

// linksIn reads the links of kind whose column is one of ids, by source id.
func (s *Store) linksIn(ctx context.Context, kind, column string, ids []int64, add func(plan.Link)) error {
	rows, err := selectIn[linkRow](ctx, s, "read "+kind+" links",
		`SELECT `+linkColumns+` FROM {{prefix}}links WHERE kind = ? AND `+column+` IN (?) ORDER BY source_id`, ids, kind)
	for _, r := range rows {
		add(plan.Link{Kind: r.Kind, SourceID: r.SourceID, AmoID: r.AmoID, Hash: r.Hash})
	}
	return err
}

// PutLinks inserts or replaces the links, by kind and source id, in one
// statement per rowsPerInsert links; their time is the transaction's.
func (tx *Tx) PutLinks(links []plan.Link) error {
	args := make([]any, 0, 5*len(links))
	for _, l := range links {
		args = append(args, l.Kind, l.SourceID, l.AmoID, l.Hash, tx.now)
	}
	return tx.insertRows(fmt.Sprintf("put %d links", len(links)), `INSERT INTO {{prefix}}links (`+linkColumns+`)`,
		`ON DUPLICATE KEY UPDATE amo_id = VALUES(amo_id), hash = VALUES(hash), updated_at = VALUES(updated_at)`,
		5, args)
}
