package syncer_test

import (
	"bufio"
	"fmt"
	"slices"
	"sync"

	"io"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/modx-amocrm/modx-amocrm/internal/amocrm"
	"github.com/modx-amocrm/modx-amocrm/internal/config"
	"github.com/modx-amocrm/modx-amocrm/internal/modx/modxtest"
	"github.com/modx-amocrm/modx-amocrm/internal/plan"
	"github.com/modx-amocrm/modx-amocrm/internal/report"
	"github.com/modx-amocrm/modx-amocrm/internal/sandbox"
	"github.com/modx-amocrm/modx-amocrm/internal/site"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer"
	"github.com/modx-amocrm/modx-amocrm/internal/testdb"
)

// BenchmarkBackfill10k backfills 10,000 generated orders into the sandbox at
// the default rate (client 6 req/s, sandbox enforcing amoCRM's 7);
// MXAMO_BENCH_ORDERS sets the size, MXAMO_BENCH_UNLIMITED=1 lifts the rate
// limit on both sides to show the CPU-bound cost per order,
// MXAMO_BENCH_STRICT=1 runs against the sandbox's strict account (search
// blind, filters ignored, see sandbox.Modes.Strict), and MXAMO_BENCH_PARTS
// turns on what a deal is made with besides its fields (see benchParts).
// Run with
// -benchtime 1x: one iteration is a whole backfill. It reports requests per
// 1,000 orders, the wall time against the floor set by the rate limit
// (requests / rate), orders/s and the process's peak RSS (sandbox included).
func BenchmarkBackfill10k(b *testing.B) {
	orders := 10000
	if v := os.Getenv("MXAMO_BENCH_ORDERS"); v != "" {
		orders, _ = strconv.Atoi(v)
	}
	// distinct: every order a new customer (the figure of merit: about one
	// request per 50 orders); mixed: every fifth order from a customer of an
	// earlier order, the phone written another way; repeat: ~10 orders per
	// customer, as the generator makes them.
	b.Run("distinct", func(b *testing.B) { backfill(b, orders, distinctCustomers) })
	b.Run("mixed", func(b *testing.B) { backfill(b, orders, distinctCustomers+";\n"+repeatEveryFifth) })
	b.Run("repeat", func(b *testing.B) { backfill(b, orders, "") })
}

// distinctCustomers gives every order its own phone and e-mail and no
// customer account, so no two orders are one person.
const distinctCustomers = `UPDATE modx_ms2_orders SET user_id = 0;
UPDATE modx_ms2_order_addresses SET phone = CONCAT('+7900', LPAD(order_id, 7, '0')), email = CONCAT('buyer', order_id, '@example.org')`

// repeatEveryFifth makes every fifth order come from the customer of the
// order before it, with the phone in one of five spellings.
const repeatEveryFifth = `UPDATE modx_ms2_order_addresses SET phone = ELT(1 + (order_id DIV 5) % 5,
		CONCAT('+7900', LPAD(order_id - 1, 7, '0')),
		CONCAT('8900', LPAD(order_id - 1, 7, '0')),
		CONCAT('+7 (900) ', LPAD(order_id - 1, 7, '0')),
		CONCAT('8 900 ', LPAD(order_id - 1, 7, '0')),
		CONCAT('7-900-', LPAD(order_id - 1, 7, '0'))),
	email = CONCAT('buyer', order_id - 1, '@example.org')
	WHERE order_id % 5 = 0`

func backfill(b *testing.B, orders int, customers string) {
	for range b.N {
		b.StopTimer()
		h := newBenchHarness(b)
		parts.apply(h.cfg)
		ds, err := modxtest.Generate(h.ctx, h.db, modxtest.GenOptions{Prefix: "modx_", Orders: orders, Users: orders / 10, Seed: 1, Marks: parts.marks})
		if err != nil {
			b.Fatal(err)
		}
		if customers != "" {
			testdb.Exec(b, h.db, customers)
		}
		statements := h.ownUser(b)
		rate := 6.0
		if unlimited {
			rate = 1e6
		}
		s := h.benchEngine(b, rate, site.EngineOptions{})
		before := statements()
		b.StartTimer()
		start := time.Now()
		res, err := s.Pass(h.ctx, syncer.PassOptions{})
		if err != nil {
			b.Fatal(err)
		}
		wall := time.Since(start)
		b.StopTimer()
		b.ReportMetric(float64(statements()-before)/float64(ds.Orders), "statements/order")
		requests := len(h.box.Requests())
		floor := time.Duration(float64(requests) / rate * float64(time.Second))
		b.ReportMetric(float64(requests)*1000/float64(ds.Orders), "requests/1000orders")
		b.ReportMetric(wall.Seconds(), "wall-s")
		b.ReportMetric(floor.Seconds(), "floor-s")
		b.ReportMetric(float64(res.Count("lead", plan.Create))/wall.Seconds(), "orders/s")
		b.ReportMetric(float64(peakRSS())/(1<<20), "peak-RSS-MiB")
		b.Logf("%d orders: %s; requests %v", ds.Orders, res.Summary(), requestsByPath(h.box))
	}
}

// unlimited lifts the rate limit of the backfill benchmark on both sides;
// strict runs it against the strict account; parts are the deal's parts
// it turns on.
var (
	unlimited = os.Getenv("MXAMO_BENCH_UNLIMITED") == "1"
	strict    = os.Getenv("MXAMO_BENCH_STRICT") == "1"
	parts     = benchParts(os.Getenv("MXAMO_BENCH_PARTS"))
)

// dealParts are what MXAMO_BENCH_PARTS turns on, a comma-separated list:
// products (orders.products), tasks (orders.task), tags (orders.tags and a
// name template), marks (UTM marks in most generated orders, sent as
// tracking values); "all" is every one. Empty, the backfill is as before
// them.
type dealParts struct{ products, tasks, tags, marks bool }

func benchParts(list string) dealParts {
	on := map[string]bool{}
	for _, part := range strings.Split(list, ",") {
		on[strings.TrimSpace(part)] = true
	}
	all := on["all"]
	return dealParts{products: all || on["products"], tasks: all || on["tasks"], tags: all || on["tags"], marks: all || on["marks"]}
}

func (p dealParts) apply(c *config.Config) {
	c.Orders.Products.Enabled, c.Orders.Task.Enabled = p.products, p.tasks
	if p.tags {
		c.Orders.Tags = []string{"сайт", "заказ"}
		c.Orders.LeadName = "{site_name}: заказ {num}, {receiver}, {cost} ₽"
	}
}

// newBenchHarness is newHarness for a benchmark: the sandbox enforces the
// real rate limit unless the benchmark is unlimited.
func newBenchHarness(b *testing.B) *harness {
	box := sandbox.Options{LongLivedTokens: []string{testToken}}
	if unlimited {
		box.RPS = -1
	}
	if strict {
		box.Modes = sandbox.Modes{}.Strict()
	}
	h := newHarnessTB(b, modxtest.Options{}, nil, box)
	h.cfg.Sync.Settle = config.Duration{}
	return h
}

// ownUser makes the harness's config log in as a user of its own, for the
// sites benchEngine opens, and returns a counter of the SQL statements that
// user has run (MariaDB's userstat): other clients of the server do not count.
func (h *harness) ownUser(b *testing.B) func() int64 {
	b.Helper()
	user := "mxamo_bench_" + strconv.FormatInt(time.Now().UnixNano()%1e9, 36)
	testdb.Exec(b, h.db, "SET GLOBAL userstat = 1")
	testdb.Exec(b, h.db, "CREATE USER '"+user+"'@'%' IDENTIFIED BY 'bench'")
	testdb.Exec(b, h.db, "GRANT ALL ON *.* TO '"+user+"'@'%'")
	b.Cleanup(func() { h.db.Exec("DROP USER '" + user + "'@'%'") })
	cfg, err := mysql.ParseDSN(h.dsn)
	if err != nil {
		b.Fatal(err)
	}
	cfg.User, cfg.Passwd = user, "bench"
	h.cfg.MODX.DSN = cfg.FormatDSN()
	return func() int64 {
		var n int64
		if err := h.db.Get(&n, `SELECT COALESCE(SUM(SELECT_COMMANDS + UPDATE_COMMANDS + OTHER_COMMANDS), 0)
			FROM information_schema.USER_STATISTICS WHERE USER = ?`, user); err != nil {
			b.Fatal(err)
		}
		return n
	}
}

// benchEngine is the engine of `run` with rate as the client's limit and
// real waits between retries, unlike the test harness's.
func (h *harness) benchEngine(b *testing.B, rate float64, opts site.EngineOptions) *syncer.Engine {
	h.cfg.AmoCRM.RateLimit = rate
	h.cfg.AmoCRM.Timeout = config.Duration{Duration: amocrm.DefaultTimeout}
	s, err := site.Open(h.ctx, h.cfg, site.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	e, err := s.Engine(opts)
	if err != nil {
		b.Fatal(err)
	}
	return e
}

// peakRSS reads VmHWM, the process's peak resident set, in bytes.
func peakRSS() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

func requestsByPath(box *sandbox.Server) map[string]int {
	out := map[string]int{}
	for _, r := range box.Requests() {
		path := r.Path
		if i := strings.LastIndexByte(path, '/'); i > 0 {
			if _, err := strconv.ParseInt(path[i+1:], 10, 64); err == nil {
				path = path[:i] + "/{id}" // an entity read by id
			}
		}
		out[r.Method+" "+path]++
	}
	return out
}

// BenchmarkUserComparison200k compares 200,000 users whose contacts were
// all sent before and none of which changed: the hourly users.cron pass of a
// big shop. Reports time, users/s, peak RSS and the MySQL work done
// (statements, and rows the storage engines read: Handler_read_key, _next
// and _rnd_next; server-wide, so run it on a quiet server).
func BenchmarkUserComparison200k(b *testing.B) {
	users := 200000
	if v := os.Getenv("MXAMO_BENCH_USERS"); v != "" {
		users, _ = strconv.Atoi(v)
	}
	h := newHarnessTB(b, modxtest.Options{}, func(c *config.Config) {
		c.Orders.Enabled = false
		c.Users.Enabled = true
	}, sandbox.Options{LongLivedTokens: []string{testToken}, RPS: -1})
	if _, err := modxtest.Generate(h.ctx, h.db, modxtest.GenOptions{Prefix: "modx_", Users: users, Seed: 2}); err != nil {
		b.Fatal(err)
	}
	s := h.benchEngine(b, 10000, site.EngineOptions{FullUserScan: true})
	first, err := s.Pass(h.ctx, syncer.PassOptions{})
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("first comparison: %s", first.Summary())
	// Steady state: the contact index is current.
	if err := h.store.SetMeta(h.ctx, "contact_index_updated_from", strconv.FormatInt(time.Now().Unix(), 10)); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		h.box.ResetRequests()
		stmts, rows := mysqlWork(b, h)
		start := time.Now()
		res, err := s.Pass(h.ctx, syncer.PassOptions{})
		if err != nil {
			b.Fatal(err)
		}
		wall := time.Since(start)
		stmts2, rows2 := mysqlWork(b, h)
		if w := res.Count("contact", plan.Update) + res.Count("contact", plan.Create); w != 0 {
			b.Fatalf("unchanged users made %d writes", w)
		}
		b.ReportMetric(wall.Seconds(), "wall-s")
		b.ReportMetric(float64(res.Read["users"])/wall.Seconds(), "users/s")
		b.ReportMetric(float64(peakRSS())/(1<<20), "peak-RSS-MiB")
		b.ReportMetric(float64(stmts2-stmts), "mysql-statements")
		b.ReportMetric(float64(rows2-rows), "rows-read")
		b.ReportMetric(float64(len(h.box.Requests())), "api-requests")
	}
	b.StopTimer()
	// One user's phone edited among all the unchanged ones: one write.
	if _, err := h.db.Exec("UPDATE modx_user_attributes SET phone = '+7 999 111-22-33' WHERE internalKey = (SELECT MAX(id) DIV 2 FROM modx_users)"); err != nil {
		b.Fatal(err)
	}
	h.box.ResetRequests()
	if _, err := s.Pass(h.ctx, syncer.PassOptions{}); err != nil {
		b.Fatal(err)
	}
	writes := 0
	for _, r := range h.box.Requests() {
		if r.Method != "GET" {
			writes++
		}
	}
	if writes != 1 {
		b.Fatalf("one edited phone among %d users made %d write requests, want 1", users, writes)
	}
}

func mysqlWork(b *testing.B, h *harness) (statements, rows int64) {
	b.Helper()
	var kv []struct {
		Name  string `db:"Variable_name"`
		Value int64  `db:"Value"`
	}
	if err := h.db.Select(&kv, "SHOW GLOBAL STATUS WHERE Variable_name IN ('Questions', 'Handler_read_key', 'Handler_read_next', 'Handler_read_rnd_next')"); err != nil {
		b.Fatal(err)
	}
	for _, v := range kv {
		if v.Name == "Questions" {
			statements = v.Value
		} else {
			rows += v.Value
		}
	}
	return statements, rows
}

// BenchmarkDryRun100k plans a backfill of 100,000 generated orders as a dry
// run streamed into a JSON report: the report is written as the plan goes,
// so memory stays bounded by a batch plus the pass's small per-order sets.
func BenchmarkDryRun100k(b *testing.B) {
	orders := 100000
	if v := os.Getenv("MXAMO_BENCH_ORDERS"); v != "" {
		orders, _ = strconv.Atoi(v)
	}
	h := newHarnessTB(b, modxtest.Options{}, nil, sandbox.Options{LongLivedTokens: []string{testToken}, RPS: -1})
	if _, err := modxtest.Generate(h.ctx, h.db, modxtest.GenOptions{Prefix: "modx_", Orders: orders, Users: orders / 10, Seed: 4}); err != nil {
		b.Fatal(err)
	}
	s := h.benchEngine(b, 6, site.EngineOptions{DryRun: true})
	b.ResetTimer()
	for range b.N {
		w := report.NewJSON(io.Discard)
		start := time.Now()
		res, err := s.Pass(h.ctx, syncer.PassOptions{Report: w})
		if err != nil {
			b.Fatal(err)
		}
		if err := w.Close(report.Summary{DryRun: true}); err != nil {
			b.Fatal(err)
		}
		wall := time.Since(start)
		b.ReportMetric(wall.Seconds(), "wall-s")
		b.ReportMetric(float64(res.Read["orders"])/wall.Seconds(), "orders/s")
		b.ReportMetric(float64(peakRSS())/(1<<20), "peak-RSS-MiB")
		b.ReportMetric(float64(len(h.box.Requests())), "api-requests")
		b.Logf("%s", res.Summary())
	}
}

// BenchmarkIdlePass measures a pass with nothing new in the shop, as the
// daemon runs one every few seconds: API requests and SQL statements per
// pass on a shop of MXAMO_BENCH_ORDERS orders (default 1,000,000), synced
// from "now".
func BenchmarkIdlePass(b *testing.B) {
	orders := 1000000
	if v := os.Getenv("MXAMO_BENCH_ORDERS"); v != "" {
		orders, _ = strconv.Atoi(v)
	}
	h := newHarnessTB(b, modxtest.Options{FormIt: true}, func(c *config.Config) {
		c.Sync.Start = "now"
		c.Forms.Enabled, c.Forms.AsLead = true, true
		c.Users.Enabled = true
	}, sandbox.Options{LongLivedTokens: []string{testToken}})
	if _, err := modxtest.Generate(h.ctx, h.db, modxtest.GenOptions{Prefix: "modx_", Orders: orders, Users: orders / 10, Forms: orders / 100, Seed: 6}); err != nil {
		b.Fatal(err)
	}
	statements := h.ownUser(b)
	s := h.benchEngine(b, 6, site.EngineOptions{})
	if _, err := s.Pass(h.ctx, syncer.PassOptions{}); err != nil { // the start: watermarks at the end, metadata cached
		b.Fatal(err)
	}
	h.measurePasses(b, s, statements)
}

// measurePasses times b.N passes of s and reports the amoCRM requests and
// the SQL statements (counted by statements, see ownUser) a pass makes.
func (h *harness) measurePasses(b *testing.B, s *syncer.Engine, statements func() int64) {
	b.Helper()
	h.box.ResetRequests()
	before := statements()
	b.ResetTimer()
	for range b.N {
		if _, err := s.Pass(h.ctx, syncer.PassOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(len(h.box.Requests()))/float64(b.N), "requests/pass")
	b.ReportMetric(float64(statements()-before)/float64(b.N), "statements/pass")
}

// BenchmarkPlacedToDeal runs passes on the default schedule (sync.cron and
// sync.settle as config.Default has them) while orders are placed in the
// shop one every 1.5 s, and reports how long each took from its insert to
// its deal in amoCRM: p50 and p95, and the requests an order cost. One
// iteration is MXAMO_BENCH_PLACED orders (default 40).
func BenchmarkPlacedToDeal(b *testing.B) {
	placed := 40
	if v := os.Getenv("MXAMO_BENCH_PLACED"); v != "" {
		placed, _ = strconv.Atoi(v)
	}
	for range b.N {
		b.StopTimer()
		h := newHarnessTB(b, modxtest.Options{}, func(c *config.Config) {
			def := config.Default()
			c.Sync.Cron, c.Sync.Settle, c.Sync.Start = def.Sync.Cron, def.Sync.Settle, "now"
		}, sandbox.Options{LongLivedTokens: []string{testToken}})
		sched, err := config.ParseCron(h.cfg.Sync.Cron)
		if err != nil {
			b.Fatal(err)
		}
		s := h.benchEngine(b, 6, site.EngineOptions{})
		// The start: watermarks at the current end, before any order is placed.
		if _, err := s.Pass(h.ctx, syncer.PassOptions{}); err != nil {
			b.Fatal(err)
		}
		h.box.ResetRequests()
		var mu sync.Mutex
		inserted, arrived := map[string]time.Time{}, map[string]time.Duration{}
		stop := make(chan struct{})
		passes := make(chan error, 1)
		go func() { // the daemon
			for {
				select {
				case <-stop:
					passes <- nil
					return
				case <-time.After(time.Until(sched.Next(time.Now()))):
				}
				if _, err := s.Pass(h.ctx, syncer.PassOptions{}); err != nil {
					passes <- err
					return
				}
				mu.Lock()
				for id := range h.leadsByOrder() {
					if _, seen := arrived[id]; !seen && !inserted[id].IsZero() {
						arrived[id] = time.Since(inserted[id])
					}
				}
				mu.Unlock()
			}
		}()
		b.StartTimer()
		for i := range placed {
			time.Sleep(1500 * time.Millisecond)
			mu.Lock()
			// New customers, every fifth order a repeat of an earlier one
			// with the same phone and e-mail, as checkouts come.
			c := i
			if i%5 == 4 {
				c = i - 3
			}
			id := h.order(modxtest.OrderSpec{CreatedOn: time.Now().UTC(), Address: map[string]any{
				"phone": fmt.Sprintf("+7901%07d", c), "email": fmt.Sprintf("buyer%d@example.com", c)}})
			inserted[strconv.FormatInt(id, 10)] = time.Now()
			mu.Unlock()
		}
		for deadline := time.Now().Add(time.Minute); ; time.Sleep(time.Second) {
			mu.Lock()
			n := len(arrived)
			mu.Unlock()
			if n == placed || time.Now().After(deadline) {
				break
			}
		}
		b.StopTimer()
		close(stop)
		if err := <-passes; err != nil {
			b.Fatal(err)
		}
		var lat []time.Duration
		for _, d := range arrived {
			lat = append(lat, d)
		}
		if len(lat) != placed {
			b.Fatalf("%d of %d orders reached amoCRM", len(lat), placed)
		}
		slices.Sort(lat)
		b.ReportMetric(lat[len(lat)/2].Seconds(), "p50-s")
		b.ReportMetric(lat[len(lat)*95/100].Seconds(), "p95-s")
		b.ReportMetric(float64(len(h.box.Requests()))/float64(placed), "requests/order")
		b.Logf("requests %v", requestsByPath(h.box))
	}
}
