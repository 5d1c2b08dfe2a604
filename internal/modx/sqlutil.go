package modx

import (
	"database/sql"
	"fmt"
	"strconv"

	"github.com/jmoiron/sqlx"
)

// inQuery expands the IN (?) placeholders of q for the given slices.
func inQuery(q string, args ...any) (string, []any, error) {
	q, args, err := sqlx.In(q, args...)
	if err != nil {
		return "", nil, fmt.Errorf("expand IN list: %w", err)
	}
	return q, args, nil
}

// closeRows reports an iteration error or a close error with context.
func closeRows(rows *sql.Rows, what string) error {
	if err := rows.Err(); err != nil {
		rows.Close()
		return fmt.Errorf("%s: %w", what, err)
	}
	if err := rows.Close(); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

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
