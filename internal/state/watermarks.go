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
