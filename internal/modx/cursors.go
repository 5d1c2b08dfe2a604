package modx

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// Cursors holds one id per source.
type Cursors struct {
	Orders    int64 // ms2_orders or ms3_orders
	OrderLogs int64 // ms2_order_logs or ms3_order_logs
	Forms     int64 // formit_forms; 0 without FormIt
	Users     int64 // users
}

// Of returns the cursor of a source named the way watermarks are: "orders",
// "order_logs", "forms" or "users"; 0 for another name.
func (c Cursors) Of(source string) int64 {
	switch source {
	case "orders":
		return c.Orders
	case "order_logs":
		return c.OrderLogs
	case "forms":
		return c.Forms
	case "users":
		return c.Users
	}
	return 0
}

// MaxIDs returns the current highest id of every source: where a state
// that starts "now" puts its watermarks.
func (db *DB) MaxIDs(ctx context.Context) (Cursors, error) {
	return db.cursors(ctx, func(table, _ string, _ bool) string {
		return "SELECT COALESCE(MAX(id), 0) FROM " + db.table(table)
	})
}

// FirstIDsSince returns, per source, the first id created at or after t, or
// the next id to come (max + 1) when nothing was created since; so
// "afterID = first - 1" starts a source at t. Orders and logs compare their
// DATETIMEs in the shop's zone, forms and users their Unix times (users
// created before MODX 2.5 have createdon 0 and count as older).
func (db *DB) FirstIDsSince(ctx context.Context, t time.Time) (Cursors, error) {
	wall, unix := db.wallString(t), t.Unix()
	return db.cursors(ctx, func(table, column string, isUnix bool) string {
		var bound any = unix
		if !isUnix {
			bound = "'" + wall + "'" // formatted by us: digits, dashes, colons
		}
		return fmt.Sprintf("SELECT COALESCE((SELECT MIN(id) FROM %[1]s WHERE `%[2]s` >= %[3]v), "+
			"(SELECT COALESCE(MAX(id), 0) + 1 FROM %[1]s))", db.table(table), column, bound)
	})
}

// cursors reads every existing source table's cursor in one statement,
// each a scalar subquery built by q from the table name, its creation-time
// column and whether that holds Unix time: a pass that finds nothing new
// costs one round trip here, not four.
func (db *DB) cursors(ctx context.Context, q func(table, timeColumn string, unix bool) string) (Cursors, error) {
	var c Cursors
	s, err := db.detected(ctx)
	if err != nil {
		return c, err
	}
	sources := []struct {
		table, column string
		unix          bool
		dst           *int64
	}{
		{s.names.orders, "createdon", false, &c.Orders},
		{s.names.logs, "timestamp", false, &c.OrderLogs},
		{"formit_forms", "date", true, &c.Forms},
		{"users", "createdon", true, &c.Users},
	}
	var cols []string
	var dst []any
	for _, src := range sources {
		if s.Has(src.table, src.column) {
			cols = append(cols, "("+q(src.table, src.column, src.unix)+")")
			dst = append(dst, src.dst)
		}
	}
	if len(cols) == 0 {
		return c, nil
	}
	err = db.each(ctx, "read cursors", "SELECT "+strings.Join(cols, ", "), nil, func(rows *sql.Rows) error {
		return rows.Scan(dst...)
	})
	return c, err
}
