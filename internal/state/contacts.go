package state

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"unicode/utf8"
)

// maxContactKey is the width of contact_index.contact_key.
const maxContactKey = 191

// LookupContacts returns the contact ids of the given normalised keys
// ("phone:79991234567", "email:a@b.ru"); unknown keys are absent.
func (s *Store) LookupContacts(ctx context.Context, keys []string) (map[string]int64, error) {
	rows, err := selectIn[struct {
		Key string `db:"contact_key"`
		ID  int64  `db:"contact_id"`
	}](ctx, s, "look up contacts", `SELECT contact_key, contact_id FROM {{prefix}}contact_index WHERE contact_key IN (?)`, keys)
	if err != nil {
		return nil, err
	}
	out := make(map[string]int64, len(rows))
	for _, r := range rows {
		out[r.Key] = r.ID
	}
	return out, nil
}

// PutContactKeys upserts key -> contact id pairs in their own transaction;
// source says where they were learnt ("links", "extra", "account", "sync").
func (s *Store) PutContactKeys(ctx context.Context, keys map[string]int64, source string) error {
	return s.Commit(ctx, func(tx *Tx) error { return tx.PutContactKeys(keys, source) })
}

// PutContactKeys upserts key -> contact id pairs with the rest of the transaction.
func (tx *Tx) PutContactKeys(keys map[string]int64, source string) error {
	// Sorted, so concurrent writers lock index rows in the same order.
	sorted := slices.Sorted(maps.Keys(keys))
	for _, k := range sorted {
		if n := utf8.RuneCountInString(k); n > maxContactKey {
			return fmt.Errorf("put contact key of %d characters: longer than %d", n, maxContactKey)
		}
	}
	args := make([]any, 0, 4*len(sorted))
	for _, k := range sorted {
		args = append(args, k, keys[k], source, tx.now)
	}
	return tx.insertRows("put contact keys", `INSERT INTO {{prefix}}contact_index (contact_key, contact_id, source, updated_at)`,
		`ON DUPLICATE KEY UPDATE contact_id = VALUES(contact_id), source = VALUES(source), updated_at = VALUES(updated_at)`,
		4, args)
}
