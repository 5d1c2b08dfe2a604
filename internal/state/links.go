package state

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"
)

// inChunk bounds the ids of one IN (...) list.
const inChunk = 1000

// Link says what a MODX record became in amoCRM.
type Link struct {
	Kind      string    `db:"kind"`      // "order", "form", "contact_user", ... chosen by the syncer
	SourceID  int64     `db:"source_id"` // the MODX id
	AmoID     int64     `db:"amo_id"`    // the lead or contact id
	Hash      string    `db:"hash"`      // hex SHA-256 of the payload last sent
	UpdatedAt time.Time `db:"updated_at"`
}

const linkColumns = `kind, source_id, amo_id, hash, updated_at`

// Links returns the links of kind for the given source ids, by source id;
// ids without a link are absent from the map.
func (s *Store) Links(ctx context.Context, kind string, ids []int64) (map[int64]Link, error) {
	out := make(map[int64]Link, len(ids))
	err := s.linksIn(ctx, kind, "source_id", ids, func(l Link) { out[l.SourceID] = l })
	return out, err
}

// LinksByAmoIDs returns the links of kind pointing at the amoCRM entities
// amoIDs, by amoCRM id; an entity several records are linked to has them
// all, by source id. Ids nothing points at are absent.
func (s *Store) LinksByAmoIDs(ctx context.Context, kind string, amoIDs []int64) (map[int64][]Link, error) {
	out := make(map[int64][]Link, len(amoIDs))
	err := s.linksIn(ctx, kind, "amo_id", amoIDs, func(l Link) { out[l.AmoID] = append(out[l.AmoID], l) })
	return out, err
}

// linksIn reads the links of kind whose column is one of ids, by source id.
func (s *Store) linksIn(ctx context.Context, kind, column string, ids []int64, add func(Link)) error {
	for chunk := range slices.Chunk(ids, inChunk) {
		query, args, err := sqlx.In(s.q(`SELECT `+linkColumns+` FROM {{prefix}}links WHERE kind = ? AND `+column+` IN (?) ORDER BY source_id`), kind, chunk)
		if err != nil {
			return fmt.Errorf("read %s links: %w", kind, err)
		}
		var links []Link
		if err := s.db.SelectContext(ctx, &links, query, args...); err != nil {
			return fmt.Errorf("read %s links: %w", kind, err)
		}
		for _, l := range links {
			add(l)
		}
	}
	return nil
}

// LinkByAmoID returns the link of kind pointing at the amoCRM entity amoID.
func (s *Store) LinkByAmoID(ctx context.Context, kind string, amoID int64) (Link, bool, error) {
	l, ok, err := getOptional[Link](ctx, s.db, s.q(`SELECT `+linkColumns+` FROM {{prefix}}links
		WHERE amo_id = ? AND kind = ? ORDER BY source_id LIMIT 1`), amoID, kind)
	if err != nil {
		return Link{}, false, fmt.Errorf("read %s link of amo id %d: %w", kind, amoID, err)
	}
	return l, ok, nil
}

// PutLink inserts or replaces the link of l.Kind and l.SourceID; UpdatedAt is
// set to the transaction's time.
func (tx *Tx) PutLink(l Link) error { return tx.PutLinks([]Link{l}) }

// PutLinks is PutLink for a batch, in one statement per rowsPerInsert links.
func (tx *Tx) PutLinks(links []Link) error {
	args := make([]any, 0, 5*len(links))
	for _, l := range links {
		args = append(args, l.Kind, l.SourceID, l.AmoID, l.Hash, tx.now)
	}
	return tx.insertRows(fmt.Sprintf("put %d links", len(links)), `INSERT INTO {{prefix}}links (`+linkColumns+`)`,
		`ON DUPLICATE KEY UPDATE amo_id = VALUES(amo_id), hash = VALUES(hash), updated_at = VALUES(updated_at)`,
		5, args)
}
