package syncer_test

import (
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/config"
	"github.com/modx-amocrm/modx-amocrm/internal/crm"
	"github.com/modx-amocrm/modx-amocrm/internal/modx"
	"github.com/modx-amocrm/modx-amocrm/internal/modx/modxtest"
	"github.com/modx-amocrm/modx-amocrm/internal/plan"
	"github.com/modx-amocrm/modx-amocrm/internal/sandbox"
	"github.com/modx-amocrm/modx-amocrm/internal/sandbox/sandboxtest"
	"github.com/modx-amocrm/modx-amocrm/internal/site"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer"
	"github.com/modx-amocrm/modx-amocrm/internal/testdb"
)

// generations are every shop the way back is written to.
var generations = []string{modxtest.Gen24, modxtest.Gen30, modxtest.Gen4x, modxtest.GenMS3}

// shopTables names the shop's order and log tables and its status column.
func (h *harness) shopTables() (orders, logs, status string) {
	if h.shop.Generation == modxtest.GenMS3 {
		return h.shop.Prefix + "ms3_orders", h.shop.Prefix + "ms3_order_logs", "status_id"
	}
	return h.shop.Prefix + "ms2_orders", h.shop.Prefix + "ms2_order_logs", "status"
}

// newShopHarness is a harness with shop_status on, orders.status_map paid
// -> "Оплачен", sent -> 142, cancelled -> 143 (so the way back is its
// inverse), and the syncer's MODX side connected as a user holding only
// the grants of sql/grants.sql.
func newShopHarness(t *testing.T, shop modxtest.Options, edit func(*config.Config)) *harness {
	t.Helper()
	st := modxtest.Statuses(shop)
	h := newHarness(t, shop, func(c *config.Config) {
		c.Orders.StatusMap = map[string]config.IDRef{
			itoa(st.Paid): {Name: "Оплачен"}, itoa(st.Sent): {ID: crm.StatusWon}, itoa(st.Cancelled): {ID: crm.StatusLost}}
		c.ShopStatus.Enabled = true
		if edit != nil {
			edit(c)
		}
	})
	h.engineOpts.ShopStatusNow = true // the tests move deals and pass at once, well within shop_status.cron
	orders, logs, status := h.shopTables()
	dsn := testdb.User(t, h.dsn, "SELECT ON {{db}}.*", "UPDATE ("+status+", updatedon) ON {{db}}.`"+orders+"`", "INSERT ON {{db}}.`"+logs+"`")
	src, err := modx.Open(h.ctx, dsn, modx.Options{Prefix: h.shop.Prefix})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	h.source = src
	return h
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// move moves an order's deal to a status of "Воронка", as a manager does:
// through amoCRM's API.
func (h *harness) move(order int64, status string) {
	h.t.Helper()
	_, id := h.pipelineStatus("Воронка", status)
	lead, ok := h.leadsByOrder()[itoa(order)]
	if !ok {
		h.t.Fatalf("order %d has no deal", order)
	}
	if err := h.site.Client.UpdateLeads(h.ctx, []crm.Lead{{ID: lead.ID, StatusID: id}}); err != nil {
		h.t.Fatalf("move the deal of order %d: %v", order, err)
	}
}

// dealStatus is the name of the status the order's deal is at.
func (h *harness) dealStatus(order int64) string {
	h.t.Helper()
	lead := h.leadsByOrder()[itoa(order)]
	for _, p := range h.box.Pipelines() {
		for _, s := range p.Statuses {
			if p.ID == lead.PipelineID && s.ID == lead.StatusID {
				return s.Name
			}
		}
	}
	return itoa(lead.StatusID)
}

// shopStatus is the order's status in the shop.
func (h *harness) shopStatus(order int64) int64 {
	h.t.Helper()
	orders, _, status := h.shopTables()
	var s int64
	if err := h.db.Get(&s, "SELECT `"+status+"` FROM `"+orders+"` WHERE id = ?", order); err != nil {
		h.t.Fatal(err)
	}
	return s
}

// ourIP is the ip of the log rows the connector writes (the fixtures'
// rows, user 0 too, carry 127.0.0.1).
const ourIP = `{"ip":"","suspected":[],"network":[]}`

// ourLogRows are the entries of the order's status log rows the connector
// wrote.
func (h *harness) ourLogRows(order int64) []string {
	h.t.Helper()
	_, logs, _ := h.shopTables()
	var rows []string
	if err := h.db.Select(&rows, "SELECT entry FROM `"+logs+"` WHERE order_id = ? AND user_id = 0 AND action = 'status' AND ip = ? ORDER BY id", order, ourIP); err != nil {
		h.t.Fatal(err)
	}
	return rows
}

// modxSnapshot is every MODX table, whole (the test shops are small): table
// -> row key (its id, else the whole row) -> column -> value.
type modxSnapshot map[string]map[string]map[string]string

func (h *harness) snapshot() modxSnapshot {
	h.t.Helper()
	var tables []string
	if err := h.db.Select(&tables, "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name NOT LIKE 'amocrm\\_sync\\_%'"); err != nil {
		h.t.Fatal(err)
	}
	snap := modxSnapshot{}
	for _, tbl := range tables {
		rows, err := h.db.Query("SELECT * FROM `" + tbl + "`")
		if err != nil {
			h.t.Fatal(err)
		}
		cols, _ := rows.Columns()
		snap[tbl] = map[string]map[string]string{}
		for rows.Next() {
			vals := make([]sql.NullString, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				h.t.Fatal(err)
			}
			row := map[string]string{}
			var whole []string
			for i, c := range cols {
				row[c] = "NULL"
				if vals[i].Valid {
					row[c] = vals[i].String
				}
				whole = append(whole, row[c])
			}
			key, ok := row["id"]
			if !ok {
				key = strings.Join(whole, "|")
			}
			snap[tbl][key] = row
		}
		if err := rows.Close(); err != nil {
			h.t.Fatal(err)
		}
	}
	return snap
}

// changes lists what differs from before, sorted: "table id column" for a
// changed value, "table +id" for a new row, "table -id" for one gone.
func (s modxSnapshot) changes(before modxSnapshot) []string {
	var out []string
	for tbl, rows := range s {
		for key, row := range rows {
			old, ok := before[tbl][key]
			if !ok {
				out = append(out, tbl+" +"+key)
				continue
			}
			for col, v := range row {
				if old[col] != v {
					out = append(out, tbl+" "+key+" "+col)
				}
			}
		}
		for key := range before[tbl] {
			if _, ok := rows[key]; !ok {
				out = append(out, tbl+" -"+key)
			}
		}
	}
	slices.Sort(out)
	return out
}

// writes are the amoCRM write requests the sandbox saw since the last reset.
func (h *harness) writes() []string {
	var out []string
	for _, r := range h.box.Requests() {
		if r.Method != "GET" {
			out = append(out, r.Method+" "+r.Path)
		}
	}
	return out
}

// TestShopStatusFollowsDeals is the "done when": two deals moved
// through amoCRM's API move their orders in every shop generation, with one
// log row each, and nothing else in MODX changes; the second pass changes
// nothing on either side.
func TestShopStatusFollowsDeals(t *testing.T) {
	for _, gen := range generations {
		t.Run(gen, func(t *testing.T) {
			h := newShopHarness(t, modxtest.Options{Generation: gen, MyISAM: true}, nil)
			st := h.statuses()
			paid := h.order(modxtest.OrderSpec{Address: map[string]any{"phone": "+7 901 000-00-01"}})
			sent := h.order(modxtest.OrderSpec{Address: map[string]any{"phone": "+7 901 000-00-02"}})
			talks := h.order(modxtest.OrderSpec{Address: map[string]any{"phone": "+7 901 000-00-03"}})
			h.pass(syncer.PassOptions{})

			h.move(paid, "Оплачен")
			h.move(sent, "Успешно реализовано")
			h.move(talks, "Переговоры") // leads back to no shop status
			before := h.snapshot()
			h.box.ResetRequests()
			var got entries
			res := h.pass(syncer.PassOptions{Report: &got})

			if s := h.shopStatus(paid); s != st.Paid {
				t.Errorf("order moved to «Оплачен»: shop status %d, want %d", s, st.Paid)
			}
			if s := h.shopStatus(sent); s != st.Sent {
				t.Errorf("order moved to 142: shop status %d, want %d", s, st.Sent)
			}
			entry := func(s int64) string {
				if gen == modxtest.GenMS3 {
					return `{"status_id":` + itoa(s) + `}`
				}
				return itoa(s)
			}
			for order, s := range map[int64]int64{paid: st.Paid, sent: st.Sent} {
				if rows := h.ourLogRows(order); !slices.Equal(rows, []string{entry(s)}) {
					t.Errorf("order %d: log rows %q, want exactly one moving it to %d", order, rows, s)
				}
			}
			orders, logs, status := h.shopTables()
			want := []string{orders + " " + itoa(paid) + " " + status, orders + " " + itoa(paid) + " updatedon",
				orders + " " + itoa(sent) + " " + status, orders + " " + itoa(sent) + " updatedon"}
			after := h.snapshot()
			changes := after.changes(before)
			var added []string
			for _, c := range changes {
				if strings.HasPrefix(c, logs+" +") {
					added = append(added, c)
				}
			}
			if len(added) != 2 || !slices.Equal(slices.DeleteFunc(changes, func(c string) bool { return strings.HasPrefix(c, logs+" +") }), want) {
				t.Errorf("MODX changes %q; want %q and two log rows", after.changes(before), want)
			}
			if n := res.Count("order_status", plan.Update); n != 2 || len(got) != 2 {
				t.Errorf("report: %d order_status updates in %+v, want the 2 moves (%s)", n, got, res.Summary())
			}
			if w := h.writes(); len(w) != 0 {
				t.Errorf("following the deals wrote to amoCRM: %v", w)
			}

			h.box.ResetRequests()
			res = h.pass(syncer.PassOptions{})
			if c := h.snapshot().changes(after); len(c) != 0 {
				t.Errorf("second pass changed MODX: %v", c)
			}
			if w := h.writes(); len(w) != 0 {
				t.Errorf("second pass wrote to amoCRM: %v (%s)", w, res.Summary())
			}
			// The moves are read again (the cursor's overlap) but lead
			// where the connector left the deals: no deal is read.
			if r := requestsByPath(h.box); len(r) != 1 || r["GET /api/v4/events"] != 1 {
				t.Errorf("second pass requests %v, want only the event list", r)
			}
			if got := h.dealStatus(paid); got != "Оплачен" {
				t.Errorf("the paid order's deal is at %q after the second pass, want «Оплачен»", got)
			}
		})
	}
}

// TestShopStatusDryRun: a dry run reports the order status changes it
// would make (order, old -> new, because of which deal move), writes
// nothing to MODX, and the real run then makes exactly those.
func TestShopStatusDryRun(t *testing.T) {
	forEachShop(t, modxtest.Options{}, func(t *testing.T, shop modxtest.Options) {
		h := newShopHarness(t, shop, nil)
		first := h.order(modxtest.OrderSpec{Num: "2603/1", Address: map[string]any{"phone": "+7 902 000-00-01"}})
		second := h.order(modxtest.OrderSpec{Num: "2603/2", Address: map[string]any{"phone": "+7 902 000-00-02"}})
		h.pass(syncer.PassOptions{})
		h.move(first, "Оплачен")
		h.move(second, "Закрыто и не реализовано")
		before, rows := h.snapshot(), h.stateRows()

		var dry entries
		h.passWith(site.EngineOptions{DryRun: true, ShopStatusNow: true}, syncer.PassOptions{Report: &dry})
		if c := h.snapshot().changes(before); len(c) != 0 {
			t.Errorf("dry run changed MODX: %v", c)
		}
		if got := h.stateRows(); fmt.Sprint(got) != fmt.Sprint(rows) {
			t.Errorf("dry run changed the state: %v, was %v", got, rows)
		}
		var moves []string
		for _, e := range dry {
			if e.Kind == "order_status" {
				moves = append(moves, fmt.Sprintf("%s %s %s %s -> %s: %s", e.Title, e.Action, e.Changes[0].Field, e.Changes[0].Old, e.Changes[0].New,
					e.Reason[:strings.Index(e.Reason, " at ")]))
			}
		}
		want := []string{
			"order 2603/1 update status Новый -> Оплачен: deal moved to «Оплачен» in «Воронка»",
			"order 2603/2 update status Новый -> Отменён: deal moved to «Закрыто и не реализовано» in «Воронка»",
		}
		if shop.Generation == modxtest.GenMS3 {
			want[1] = strings.Replace(want[1], "Отменён", "Отменен", 1)
		}
		if !slices.Equal(moves, want) {
			t.Errorf("dry run reported %q, want %q", moves, want)
		}

		var real entries
		h.pass(syncer.PassOptions{Report: &real})
		if p, r := planned(dry), planned(real); fmt.Sprint(p) != fmt.Sprint(r) {
			t.Errorf("real run:\n %+v\ndry run predicted:\n %+v", r, p)
		}
		if h.shopStatus(second) != h.statuses().Cancelled {
			t.Errorf("the real run did not move order %d", second)
		}
	})
}

// TestShopStatusNoLoops: a move the connector made itself, or a log row it
// wrote, is never echoed back, and a many-to-one map cannot make the two
// sides flap; every change is followed by two passes that change nothing.
func TestShopStatusNoLoops(t *testing.T) {
	settled := func(h *harness, name string, order int64, shop int64, deal string) {
		h.t.Helper()
		for i := range 2 {
			before := h.snapshot()
			h.box.ResetRequests()
			h.pass(syncer.PassOptions{})
			if c := h.snapshot().changes(before); len(c) != 0 {
				h.t.Errorf("%s: pass %d after the change changed MODX: %v", name, i+1, c)
			}
			if w := h.writes(); len(w) != 0 {
				h.t.Errorf("%s: pass %d after the change wrote to amoCRM: %v", name, i+1, w)
			}
		}
		if got := h.shopStatus(order); got != shop {
			h.t.Errorf("%s: order at status %d, want %d", name, got, shop)
		}
		if got := h.dealStatus(order); got != deal {
			h.t.Errorf("%s: deal at %q, want %q", name, got, deal)
		}
	}
	forEachShop(t, modxtest.Options{}, func(t *testing.T, shop modxtest.Options) {
		st := modxtest.Statuses(shop)

		t.Run("the connector's own move", func(t *testing.T) {
			h := newShopHarness(t, shop, nil)
			order := h.order(modxtest.OrderSpec{})
			h.pass(syncer.PassOptions{})
			h.changeStatus(order, st.Paid) // shop -> amoCRM moves the deal, an event amoCRM lists
			h.pass(syncer.PassOptions{})
			if got := h.dealStatus(order); got != "Оплачен" {
				t.Fatalf("the shop's change did not reach amoCRM: deal at %q", got)
			}
			if rows := h.ourLogRows(order); len(rows) != 0 {
				t.Errorf("the connector's own move came back as log rows %q", rows)
			}
			settled(h, "own move", order, st.Paid, "Оплачен")
		})

		t.Run("a log row it wrote", func(t *testing.T) {
			h := newShopHarness(t, shop, nil)
			order := h.order(modxtest.OrderSpec{})
			h.pass(syncer.PassOptions{})
			h.move(order, "Закрыто и не реализовано")
			h.pass(syncer.PassOptions{}) // writes the row; the next passes read it as the orders' log
			settled(h, "own row", order, st.Cancelled, "Закрыто и не реализовано")
			if rows := h.ourLogRows(order); len(rows) != 1 {
				t.Errorf("log rows %q, want one", rows)
			}
		})

		t.Run("two amoCRM statuses to one shop status", func(t *testing.T) {
			h := newShopHarness(t, shop, func(c *config.Config) {
				c.ShopStatus.Map = map[string]int64{"Оплачен": st.Paid, "Принимают решение": st.Paid}
			})
			order := h.order(modxtest.OrderSpec{})
			h.pass(syncer.PassOptions{})
			h.move(order, "Принимают решение")
			h.pass(syncer.PassOptions{})
			// orders.status_map sends paid to «Оплачен», yet the deal stays.
			settled(h, "many to one", order, st.Paid, "Принимают решение")
			h.move(order, "Оплачен") // same shop status: nothing to write
			settled(h, "many to one, second status", order, st.Paid, "Оплачен")
		})

		t.Run("two shop statuses to one amoCRM status", func(t *testing.T) {
			h := newShopHarness(t, shop, func(c *config.Config) {
				c.Orders.StatusMap = map[string]config.IDRef{itoa(st.Paid): {Name: "Оплачен"}, itoa(st.Sent): {Name: "Оплачен"}}
				c.ShopStatus.Map = map[string]int64{"Оплачен": st.Paid}
			})
			order := h.order(modxtest.OrderSpec{})
			h.pass(syncer.PassOptions{})
			h.move(order, "Оплачен")
			h.pass(syncer.PassOptions{})
			settled(h, "deal moved", order, st.Paid, "Оплачен")
			h.changeStatus(order, st.Sent) // also «Оплачен» in amoCRM: the deal stays, and the order too
			settled(h, "order moved", order, st.Sent, "Оплачен")
		})
	})
}

// TestShopStatusTwoMovesInOneSecond: amoCRM stamps events in seconds, and
// the list's order among one second's events is not documented; a deal
// moved on within the second of the move the connector followed still
// moves its order.
func TestShopStatusTwoMovesInOneSecond(t *testing.T) {
	clock := sandboxtest.NewClock()
	clock.Add(time.Since(clock.Now())) // now, and then frozen: every event in one second
	shop := modxtest.Options{Generation: modxtest.Gen4x}
	st := modxtest.Statuses(shop)
	h := newHarnessTB(t, shop, func(c *config.Config) {
		c.Orders.StatusMap = map[string]config.IDRef{itoa(st.Paid): {Name: "Оплачен"}, itoa(st.Sent): {ID: crm.StatusWon}}
		c.ShopStatus.Enabled = true
	}, sandbox.Options{LongLivedTokens: []string{testToken}, RPS: -1, Now: clock.Now})
	h.engineOpts.ShopStatusNow = true
	order := h.order(modxtest.OrderSpec{})
	h.pass(syncer.PassOptions{})
	h.move(order, "Оплачен")
	h.pass(syncer.PassOptions{})
	h.move(order, "Успешно реализовано")
	h.pass(syncer.PassOptions{})
	if got := h.shopStatus(order); got != st.Sent {
		t.Errorf("order at %d, want %d: the second move in the second was not followed", got, st.Sent)
	}
}

// TestShopStatusShopWins: an order whose status changed in the shop after
// its deal was moved keeps it; the skip is reported, and the shop's status
// then goes to amoCRM.
func TestShopStatusShopWins(t *testing.T) {
	forEachShop(t, modxtest.Options{}, func(t *testing.T, shop modxtest.Options) {
		h := newShopHarness(t, shop, nil)
		st := h.statuses()
		order := h.order(modxtest.OrderSpec{})
		h.pass(syncer.PassOptions{})
		h.move(order, "Оплачен")
		if err := modxtest.ChangeStatus(h.ctx, h.db, h.shop, order, st.Cancelled, time.Now().Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		var got entries
		h.passWith(site.EngineOptions{Only: []string{"shop_status"}}, syncer.PassOptions{Report: &got})
		if len(got) != 1 || got[0].Action != plan.Skip || !strings.Contains(got[0].Reason, "the shop wins") {
			t.Errorf("report %+v, want the move skipped: the shop wins", got)
		}
		if s := h.shopStatus(order); s != st.Cancelled {
			t.Errorf("order at %d, want %d (the shop's)", s, st.Cancelled)
		}
		h.pass(syncer.PassOptions{})
		if d := h.dealStatus(order); d != "Закрыто и не реализовано" {
			t.Errorf("deal at %q, want the shop's status sent to amoCRM", d)
		}
		if rows := h.ourLogRows(order); len(rows) != 0 {
			t.Errorf("log rows %q, want none of ours", rows)
		}
	})
}

// TestShopStatusCrashBetweenStatusAndLog: the log row's INSERT fails after
// the status UPDATE (a trigger refuses it, as a crash would stop it): on
// MyISAM the order is moved without its row, on InnoDB nothing is. After a
// restart the order has exactly one log row, and it keeps it.
func TestShopStatusCrashBetweenStatusAndLog(t *testing.T) {
	for _, gen := range generations {
		t.Run(gen, func(t *testing.T) {
			h := newShopHarness(t, modxtest.Options{Generation: gen, MyISAM: true}, nil)
			st := h.statuses()
			order := h.order(modxtest.OrderSpec{})
			h.pass(syncer.PassOptions{})
			h.move(order, "Оплачен")
			_, logs, _ := h.shopTables()
			testdb.Exec(t, h.db, "CREATE TRIGGER crash BEFORE INSERT ON `"+logs+"` FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'killed'")
			if _, err := h.engine(h.engineOpts).Pass(h.ctx, syncer.PassOptions{}); err == nil || !strings.Contains(err.Error(), "killed") {
				t.Fatalf("pass with the log row refused: got %v, want its error", err)
			}
			myISAM := gen != modxtest.GenMS3
			if moved := h.shopStatus(order) == st.Paid; moved != myISAM {
				t.Fatalf("after the crash the order moved = %v, want %v (only MyISAM keeps half a write)", moved, myISAM)
			}
			testdb.Exec(t, h.db, "DROP TRIGGER crash")

			for i := range 2 { // the restart, then one more
				var got entries
				h.box.ResetRequests()
				h.pass(syncer.PassOptions{Report: &got})
				if rows := h.ourLogRows(order); len(rows) != 1 {
					t.Fatalf("pass %d after the crash: log rows %q, want exactly one", i+1, rows)
				}
				if w := h.writes(); len(w) != 0 {
					t.Errorf("pass %d after the crash wrote to amoCRM: %v", i+1, w)
				}
				finished := slices.ContainsFunc(got, func(e plan.Entry) bool { return strings.Contains(e.Reason, "a crash interrupted") })
				if want := i == 0 && myISAM; finished != want {
					t.Errorf("pass %d after the crash: reports the interrupted write finished = %v, want %v (%+v)", i+1, finished, want, got)
				}
			}
			if s := h.shopStatus(order); s != st.Paid {
				t.Errorf("order at %d, want %d", s, st.Paid)
			}
		})
	}
}

// TestShopStatusOwnSchedule: amoCRM's event list is read on
// shop_status.cron, not on every pass: thirty idle passes within the minute
// read it at most once, and a pass that forces it (run -once) reads it.
func TestShopStatusOwnSchedule(t *testing.T) {
	h := newShopHarness(t, modxtest.Options{Generation: modxtest.Gen4x}, nil)
	h.engineOpts.ShopStatusNow = false
	h.pass(syncer.PassOptions{}) // the start: the cursor is now
	h.box.ResetRequests()
	for range 30 {
		h.pass(syncer.PassOptions{})
	}
	if n := h.requests("GET", "/api/v4/events"); n > 1 {
		t.Errorf("30 idle passes within shop_status.cron read the events %d times, want at most once", n)
	}
	h.box.ResetRequests()
	h.passWith(site.EngineOptions{ShopStatusNow: true}, syncer.PassOptions{})
	if n := h.requests("GET", "/api/v4/events"); n != 1 {
		t.Errorf("a forced pass read the events %d times, want once", n)
	}
}
