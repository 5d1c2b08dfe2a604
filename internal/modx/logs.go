package modx

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/modx-amocrm/modx-amocrm/internal/shop"
)

// SkippedLog is a status log row that could not be read as a status change.
type SkippedLog struct {
	LogID   int64
	OrderID int64
	Entry   string
	Reason  string
}

// StatusLogPage is one keyset page of the order log (ms2_order_logs or
// ms3_order_logs).
type StatusLogPage struct {
	Changes []shop.StatusChange
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
	t := s.names.logs
	if !s.Has(t, "") {
		return page, nil
	}
	l := func(col, fallback string) string { return s.col(t, "l", col, fallback) }
	q := "SELECT l.id, " + l("order_id", "0") + ", " + l("action", "''") + ", " + l("entry", "''") +
		", l.`timestamp` FROM " + db.table(t) + " l WHERE l.id > ? ORDER BY l.id LIMIT ?"
	n := 0
	err = db.each(ctx, fmt.Sprintf("read order logs after %d", afterID), q, args(afterID, limit), func(rows *sql.Rows) error {
		var (
			c             shop.StatusChange
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
		status, ok := statusEntry(entry)
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

// statusEntry reads the new status id from a status row's entry:
// miniShop2 writes the bare id ("2"), MiniShop3 1.x a JSON object
// ({"status_id":2}, see minishop3.go).
func statusEntry(entry string) (int64, bool) {
	entry = strings.TrimSpace(entry)
	if !strings.HasPrefix(entry, "{") {
		return parseID(entry)
	}
	var e struct {
		StatusID json.Number `json:"status_id"`
	}
	if err := json.Unmarshal([]byte(entry), &e); err != nil {
		return 0, false
	}
	return parseID(e.StatusID.String())
}

// OrderStatuses reads the shop's statuses ordered by rank (MiniShop3:
// position), then id.
func (db *DB) OrderStatuses(ctx context.Context) ([]shop.OrderStatus, error) {
	s, err := db.detected(ctx)
	if err != nil {
		return nil, err
	}
	n := s.names
	st := func(col, fallback string) string { return s.col(n.statuses, "s", col, fallback) }
	q := "SELECT s.id, " + st("name", "''") + ", " + st(n.rank, "0") + ", " + st("final", "0") + ", " +
		st("fixed", "0") + ", " + st("active", "1") + " FROM " + db.table(n.statuses) + " s ORDER BY 3, s.id"
	var out []shop.OrderStatus
	err = db.each(ctx, "read order statuses", q, nil, func(rows *sql.Rows) error {
		var st shop.OrderStatus
		err := rows.Scan(&st.ID, &st.Name, &st.Rank, &st.Final, &st.Fixed, &st.Active)
		st.Name = statusName(st.Name)
		out = append(out, st)
		return err
	})
	return out, err
}
