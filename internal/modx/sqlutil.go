package modx

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"

	"github.com/jmoiron/sqlx"
)

// each runs q under the per-query timeout, expanding IN (?) for slice
// arguments, and calls scan for every row. Errors carry what as context.
func (db *DB) each(ctx context.Context, what, q string, args []any, scan func(*sql.Rows) error) error {
	q, args, err := sqlx.In(q, args...)
	if err != nil {
		return fmt.Errorf("%s: expand IN list: %w", what, err)
	}
	qctx, cancel := db.query(ctx)
	defer cancel()
	rows, err := db.sql.QueryContext(qctx, q, args...)
	if err != nil {
		db.forgetTables(err)
		return fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return fmt.Errorf("%s: scan: %w", what, err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// args is shorthand for a query's argument list.
func args(a ...any) []any { return a }

// rawJSON keeps a JSON text column as raw bytes; NULL and "" read as nil.
func rawJSON(s sql.NullString) []byte {
	if !s.Valid || s.String == "" {
		return nil
	}
	return []byte(s.String)
}

// parseID reads an id stored as text (manager_log.item, log entries).
func parseID(s string) (int64, bool) {
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && n > 0
}
