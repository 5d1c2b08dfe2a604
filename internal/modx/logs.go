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
	n := 0
	err = db.each(ctx, fmt.Sprintf("read order logs after %d", afterID), q, args(afterID, limit), func(rows *sql.Rows) error {
		var (
			c             StatusChange
			action, entry string
			ts            sql.NullTime
		)
		if err := rows.Scan(&c.LogID, &c.OrderID, &action, &entry, &ts); err != nil {
			return err
		}
		n++
		page.LastID = c.LogID
		if action != "status" {
			return nil
		}
		status, ok := parseID(strings.TrimSpace(entry))
		if !ok {
			page.Skipped = append(page.Skipped, SkippedLog{LogID: c.LogID, OrderID: c.OrderID, Entry: entry,
				Reason: fmt.Sprintf("entry %q is not a status id", entry)})
			return nil
		}
		c.Status = status
		c.Timestamp = db.wallTime(ts)
		page.Changes = append(page.Changes, c)
		return nil
	})
	page.Full = n == limit
	return page, err
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
	var out []OrderStatus
	err = db.each(ctx, "read order statuses", q, nil, func(rows *sql.Rows) error {
		var st OrderStatus
		err := rows.Scan(&st.ID, &st.Name, &st.Rank, &st.Final, &st.Active)
		out = append(out, st)
		return err
	})
	return out, err
}
