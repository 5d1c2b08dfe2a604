package modx

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// SkippedLog is a status log row that could not be read as a status change.
type SkippedLog struct {
	LogID   int64
	OrderID int64
	Entry   string
	Reason  string
}

// StatusLogPage is one keyset page of ms2_order_logs.
type StatusLogPage struct {
	Changes []StatusChange
	Skipped []SkippedLog
	// LastID is the highest log id scanned, including rows of other actions,
	// so the caller's watermark can move past them; afterID when the page is empty.
	LastID int64
	// Full is true when the page hit the limit: more rows may follow.
	Full bool
}

// StatusLogs reads log rows with id > afterID and returns their status
// changes. A status row whose entry is not a status id is reported in
// Skipped instead of failing the page.
func (db *DB) StatusLogs(ctx context.Context, afterID int64, limit int) (StatusLogPage, error) {
	page := StatusLogPage{LastID: afterID}
	s, err := db.detected(ctx)
	if err != nil {
		return page, err
	}
	if !s.Has("ms2_order_logs", "") {
		return page, nil
	}
	l := func(col, fallback string) string { return s.col("ms2_order_logs", "l", col, fallback) }
	q := "SELECT l.id, " + l("order_id", "0") + ", " + l("action", "''") + ", " + l("entry", "''") +
		", l.`timestamp` FROM " + db.table("ms2_order_logs") + " l WHERE l.id > ? ORDER BY l.id LIMIT ?"
	qctx, cancel := db.query(ctx)
	defer cancel()
	rows, err := db.sql.QueryContext(qctx, q, afterID, limit)
	if err != nil {
		return page, fmt.Errorf("read order logs after %d: %w", afterID, err)
	}
	n := 0
	for rows.Next() {
		var (
			c             StatusChange
			action, entry string
			ts            sql.NullTime
		)
		if err := rows.Scan(&c.LogID, &c.OrderID, &action, &entry, &ts); err != nil {
			rows.Close()
			return page, fmt.Errorf("scan order log: %w", err)
		}
		n++
		page.LastID = c.LogID
		if action != "status" {
			continue
		}
		status, ok := parseID(strings.TrimSpace(entry))
		if !ok {
			page.Skipped = append(page.Skipped, SkippedLog{LogID: c.LogID, OrderID: c.OrderID, Entry: entry,
				Reason: fmt.Sprintf("entry %q is not a status id", entry)})
			continue
		}
		c.Status = status
		c.Timestamp = db.wallTime(ts)
		page.Changes = append(page.Changes, c)
	}
	page.Full = n == limit
	return page, closeRows(rows, fmt.Sprintf("read order logs after %d", afterID))
}

// OrderStatuses reads ms2_order_statuses ordered by rank, then id.
func (db *DB) OrderStatuses(ctx context.Context) ([]OrderStatus, error) {
	s, err := db.detected(ctx)
	if err != nil {
		return nil, err
	}
	st := func(col, fallback string) string { return s.col("ms2_order_statuses", "s", col, fallback) }
	q := "SELECT s.id, " + st("name", "''") + ", " + st("rank", "0") + ", " + st("final", "0") + ", " +
		st("active", "1") + " FROM " + db.table("ms2_order_statuses") + " s ORDER BY 3, s.id"
	qctx, cancel := db.query(ctx)
	defer cancel()
	rows, err := db.sql.QueryContext(qctx, q)
	if err != nil {
		return nil, fmt.Errorf("read order statuses: %w", err)
	}
	var out []OrderStatus
	for rows.Next() {
		var st OrderStatus
		if err := rows.Scan(&st.ID, &st.Name, &st.Rank, &st.Final, &st.Active); err != nil {
			rows.Close()
			return nil, fmt.Errorf("scan order status: %w", err)
		}
		out = append(out, st)
	}
	return out, closeRows(rows, "read order statuses")
}
