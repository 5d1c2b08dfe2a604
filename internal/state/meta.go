package state

import (
	"context"
	"fmt"
)

// Meta returns a small stored value (the created pipeline id, the
// contact-index cursor, ...); ok is false when name was never set.
func (s *Store) Meta(ctx context.Context, name string) (value string, ok bool, err error) {
	value, ok, err = getOptional[string](ctx, s.db, s.q(`SELECT value FROM {{prefix}}meta WHERE name = ?`), name)
	if err != nil {
		return "", false, fmt.Errorf("read meta %s: %w", name, err)
	}
	return value, ok, nil
}

// SetMeta stores value under name in its own transaction.
func (s *Store) SetMeta(ctx context.Context, name, value string) error {
	return s.Commit(ctx, func(tx *Tx) error { return tx.SetMeta(name, value) })
}

// SetMeta stores value under name with the rest of the transaction (a cursor
// together with what was read up to it).
func (tx *Tx) SetMeta(name, value string) error {
	return tx.exec("set meta "+name, `INSERT INTO {{prefix}}meta (name, value, updated_at) VALUES (?, ?, ?)
		ON DUPLICATE KEY UPDATE value = VALUES(value), updated_at = VALUES(updated_at)`, name, value, tx.now)
}

// AllMeta returns every stored value by name, in one statement.
func (s *Store) AllMeta(ctx context.Context) (map[string]string, error) {
	var rows []struct {
		Name  string `db:"name"`
		Value string `db:"value"`
	}
	if err := s.db.SelectContext(ctx, &rows, s.q(`SELECT name, value FROM {{prefix}}meta`)); err != nil {
		return nil, fmt.Errorf("read meta: %w", err)
	}
	out := make(map[string]string, len(rows))
	for _, r := range rows {
		out[r.Name] = r.Value
	}
	return out, nil
}
