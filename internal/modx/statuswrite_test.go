package modx_test

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/modx-amocrm/modx-amocrm/internal/modx"
	"github.com/modx-amocrm/modx-amocrm/internal/modx/modxtest"
	"github.com/modx-amocrm/modx-amocrm/internal/testdb"
)

// shopTables names a generation's order tables and status column.
func shopTables(o modxtest.Options) (orders, logs, status string) {
	if o.Generation == modxtest.GenMS3 {
		return o.Prefix + "ms3_orders", o.Prefix + "ms3_order_logs", "status_id"
	}
	return o.Prefix + "ms2_orders", o.Prefix + "ms2_order_logs", "status"
}

// logRow is a status log row as the shop's manager shows it.
type logRow struct {
	ID        int64          `db:"id"`
	UserID    int64          `db:"user_id"`
	Action    string         `db:"action"`
	Entry     string         `db:"entry"`
	IP        string         `db:"ip"`
	Timestamp sql.NullString `db:"timestamp"`
}

func logRows(t *testing.T, raw *sqlx.DB, o modxtest.Options, orderID int64) []logRow {
	t.Helper()
	_, logs, _ := shopTables(o)
	var rows []logRow
	if err := raw.Select(&rows, "SELECT id, user_id, action, entry, ip, CAST(`timestamp` AS CHAR) AS `timestamp` FROM `"+logs+"` WHERE order_id = ? ORDER BY id", orderID); err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestWriteStatus moves an order of every generation the way a manager's
// save in the shop does: status, updatedon, one status log row.
func TestWriteStatus(t *testing.T) {
	for _, gen := range []string{modxtest.Gen24, modxtest.Gen30, modxtest.Gen4x, modxtest.GenMS3} {
		t.Run(gen, func(t *testing.T) {
			ctx := context.Background()
			o := modxtest.Options{Prefix: "modx_", Generation: gen, MyISAM: true}
			raw, dsn := createShop(t, o)
			db := open(t, dsn, modx.Options{Prefix: o.Prefix, Location: "Europe/Moscow"})
			st := modxtest.Statuses(o)
			id := must(modxtest.InsertOrder(ctx, raw, o, modxtest.OrderSpec{}))(t)
			before := must(db.OrderStates(ctx, []int64{id, 9999}))(t)
			if len(before) != 1 || before[id].Status != st.New || before[id].Num == "" {
				t.Fatalf("before: got %+v, want order %d alone at status %d with its number", before, id, st.New)
			}
			at := time.Date(2026, 3, 1, 9, 0, 5, 0, time.UTC) // 12:00:05 in Moscow
			logID := must(db.WriteStatus(ctx, modx.StatusWrite{OrderID: id, From: st.New, To: st.Paid, At: at}))(t)

			orders, _, status := shopTables(o)
			var got struct {
				Status    int64  `db:"status"`
				UpdatedOn string `db:"updatedon"`
			}
			if err := raw.Get(&got, "SELECT `"+status+"` AS status, CAST(updatedon AS CHAR) AS updatedon FROM `"+orders+"` WHERE id = ?", id); err != nil {
				t.Fatal(err)
			}
			if got.Status != st.Paid || got.UpdatedOn != "2026-03-01 12:00:05" {
				t.Errorf("order: status %d updatedon %s, want %d and 2026-03-01 12:00:05 (the shop's zone)", got.Status, got.UpdatedOn, st.Paid)
			}
			rows := logRows(t, raw, o, id)
			last := rows[len(rows)-1]
			entry := "2"
			if gen == modxtest.GenMS3 {
				entry = `{"status_id":3}`
			}
			want := logRow{ID: logID, UserID: 0, Action: "status", Entry: entry, IP: `{"ip":"","suspected":[],"network":[]}`,
				Timestamp: sql.NullString{String: "2026-03-01 12:00:05", Valid: true}}
			if last != want {
				t.Errorf("log row: got %+v, want %+v", last, want)
			}
			after := must(db.OrderStates(ctx, []int64{id}))(t)[id]
			if after.Status != st.Paid || after.LastLogID != logID || !after.Changed.Equal(at) || !after.UpdatedOn.Equal(at) {
				t.Errorf("after: got %+v, want status %d, last log %d, changed and updated %v", after, st.Paid, logID, at)
			}
			for _, tt := range []struct {
				status, after int64
				want          bool
			}{{st.Paid, before[id].LastLogID, true}, {st.Sent, before[id].LastLogID, false}, {st.Paid, logID, false}} {
				if got := must(db.StatusLogged(ctx, id, tt.status, tt.after))(t); got != tt.want {
					t.Errorf("StatusLogged(status %d after log %d) = %v, want %v", tt.status, tt.after, got, tt.want)
				}
			}

			_, err := db.WriteStatus(ctx, modx.StatusWrite{OrderID: id, From: st.New, To: st.Sent, At: at})
			if !errors.Is(err, modx.ErrStatusMoved) {
				t.Errorf("write from a stale status: got %v, want ErrStatusMoved", err)
			}
			if n := len(logRows(t, raw, o, id)); n != len(rows) {
				t.Errorf("a refused write logged: %d rows, want %d", n, len(rows))
			}
			if must(db.OrderStates(ctx, []int64{id}))(t)[id].Status != st.Paid {
				t.Error("a refused write moved the order")
			}
		})
	}
}

// targetGrants are the grants `modx-amocrm grants` gives shop_status, as
// testdb.User takes them: SELECT, and the writes of the shop's
// StatusTargets.
func targetGrants(t *testing.T, db *modx.DB) []string {
	t.Helper()
	w := must(db.Detect(context.Background()))(t).StatusTargets()
	cols := make([]string, len(w.Columns))
	for i, c := range w.Columns {
		cols[i] = "`" + c + "`"
	}
	return []string{"SELECT ON {{db}}.*", "UPDATE (" + strings.Join(cols, ", ") + ") ON {{db}}.`" + w.Orders + "`", "INSERT ON {{db}}.`" + w.Logs + "`"}
}

// TestStatusWriteGrants runs the writer as users holding the grants
// `modx-amocrm grants` gives it: those suffice; without them the probe
// fails; an INSERT refused after the UPDATE leaves on MyISAM the state a
// crash between the two would, which LogStatus completes, and on InnoDB
// (MiniShop3) nothing.
func TestStatusWriteGrants(t *testing.T) {
	for _, o := range []modxtest.Options{
		{Prefix: "modx_", Generation: modxtest.Gen4x, MyISAM: true},
		{Prefix: "modx_", Generation: modxtest.GenMS3},
	} {
		t.Run(o.Generation, func(t *testing.T) {
			ctx := context.Background()
			raw, dsn := createShop(t, o)
			orders, _, status := shopTables(o)
			read := "SELECT ON {{db}}.*"
			update := "UPDATE (" + status + ", updatedon) ON {{db}}.`" + orders + "`"
			st := modxtest.Statuses(o)
			at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

			granted := open(t, testdb.User(t, dsn, targetGrants(t, open(t, dsn, modx.Options{Prefix: o.Prefix}))...), modx.Options{Prefix: o.Prefix})
			if err := granted.CheckStatusWrites(ctx); err != nil {
				t.Fatalf("probe with the grants of the status targets: %v", err)
			}
			first := must(modxtest.InsertOrder(ctx, raw, o, modxtest.OrderSpec{}))(t)
			if _, err := granted.WriteStatus(ctx, modx.StatusWrite{OrderID: first, From: st.New, To: st.Paid, At: at}); err != nil {
				t.Fatalf("write with the grants of the status targets: %v", err)
			}

			readOnly := open(t, testdb.User(t, dsn, read), modx.Options{Prefix: o.Prefix})
			if err := readOnly.CheckStatusWrites(ctx); err == nil || !strings.Contains(err.Error(), "denied") {
				t.Errorf("probe without write grants: got %v, want denied", err)
			}

			noLog := open(t, testdb.User(t, dsn, read, update), modx.Options{Prefix: o.Prefix})
			second := must(modxtest.InsertOrder(ctx, raw, o, modxtest.OrderSpec{Address: map[string]any{"phone": "+79001112233"}}))(t)
			before := must(noLog.OrderStates(ctx, []int64{second}))(t)[second]
			w := modx.StatusWrite{OrderID: second, From: st.New, To: st.Paid, At: at}
			if _, err := noLog.WriteStatus(ctx, w); err == nil || !strings.Contains(err.Error(), "modx-amocrm grants") {
				t.Fatalf("write without INSERT on the log: got %v, want the refusal pointing at modx-amocrm grants", err)
			}
			moved := must(noLog.OrderStates(ctx, []int64{second}))(t)[second].Status == st.Paid
			if myISAM := o.Generation != modxtest.GenMS3; moved != myISAM {
				t.Fatalf("after the refused log row: order moved = %v, want %v (only MyISAM keeps the status)", moved, myISAM)
			}
			if moved {
				if _, err := granted.LogStatus(ctx, w); err != nil {
					t.Fatal(err)
				}
			}
			if logged := must(granted.StatusLogged(ctx, second, st.Paid, before.LastLogID))(t); logged != moved {
				t.Errorf("logged = %v, want %v", logged, moved)
			}
		})
	}
}
