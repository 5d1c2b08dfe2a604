package state

import (
	"context"
	"fmt"
)

// Watermark returns the watermark of source ("orders", "order_logs", "forms",
// "users"); ok is false when none has been stored yet.
func (s *Store) Watermark(ctx context.Context, source string) (value int64, ok bool, err error) {
	value, ok, err = getOptional[int64](ctx, s.db, s.q(`SELECT value FROM {{prefix}}watermarks WHERE source = ?`), source)
	if err != nil {
		return 0, false, fmt.Errorf("read watermark %s: %w", source, err)
	}
	return value, ok, nil
}

// SetWatermark stores value for source unless a higher one is stored:
// a watermark never moves backwards.
func (tx *Tx) SetWatermark(source string, value int64) error {
	return tx.exec("set watermark "+source, `INSERT INTO {{prefix}}watermarks (source, value, updated_at) VALUES (?, ?, ?)
		ON DUPLICATE KEY UPDATE value = GREATEST(value, VALUES(value)), updated_at = VALUES(updated_at)`,
		source, value, tx.now)
}

// Watermarks returns every stored watermark by source, in one statement: a
// pass with nothing new compares them all with the shop's newest ids.
func (s *Store) Watermarks(ctx context.Context) (map[string]int64, error) {
	var rows []struct {
		Source string `db:"source"`
		Value  int64  `db:"value"`
	}
	if err := s.db.SelectContext(ctx, &rows, s.q(`SELECT source, value FROM {{prefix}}watermarks`)); err != nil {
		return nil, fmt.Errorf("read watermarks: %w", err)
	}
	out := make(map[string]int64, len(rows))
	for _, r := range rows {
		out[r.Source] = r.Value
	}
	return out, nil
}
