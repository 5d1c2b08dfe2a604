package syncer_test

import (
	"bufio"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/amocrm"
	"github.com/modx-amocrm/modx-amocrm/internal/config"
	"github.com/modx-amocrm/modx-amocrm/internal/modx/modxtest"
	"github.com/modx-amocrm/modx-amocrm/internal/report"
	"github.com/modx-amocrm/modx-amocrm/internal/sandbox"
	"github.com/modx-amocrm/modx-amocrm/internal/site"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer"
	"github.com/modx-amocrm/modx-amocrm/internal/testdb"
)

// BenchmarkBackfill10k backfills 10,000 generated orders into the sandbox at
// the default rate (client 6 req/s, sandbox enforcing amoCRM's 7). Run with
// -benchtime 1x: one iteration is a whole backfill. It reports requests per
// 1,000 orders, the wall time against the floor set by the rate limit
// (requests / rate), orders/s and the process's peak RSS (sandbox included).
func BenchmarkBackfill10k(b *testing.B) {
	orders := 10000
	if v := os.Getenv("MXAMO_BENCH_ORDERS"); v != "" {
		orders, _ = strconv.Atoi(v)
	}
	// distinct: every order a new customer (the figure of merit: about one
	// request per 50 orders); repeat: ~10 orders per customer, as real shops.
	b.Run("distinct", func(b *testing.B) { backfill(b, orders, true) })
	b.Run("repeat", func(b *testing.B) { backfill(b, orders, false) })
}

// distinctCustomers gives every order its own phone and e-mail and no
// customer account, so no two orders are one person.
const distinctCustomers = `UPDATE modx_ms2_orders SET user_id = 0;
UPDATE modx_ms2_order_addresses SET phone = CONCAT('+7900', LPAD(order_id, 7, '0')), email = CONCAT('buyer', order_id, '@example.org')`

func backfill(b *testing.B, orders int, distinct bool) {
	for range b.N {
		b.StopTimer()
		h := newBenchHarness(b)
		ds, err := modxtest.Generate(h.ctx, h.db, modxtest.GenOptions{Prefix: "modx_", Orders: orders, Users: orders / 10, Seed: 1})
		if err != nil {
			b.Fatal(err)
		}
		if distinct {
			testdb.Exec(b, h.db, distinctCustomers)
		}
		s := h.benchSyncer(b, 6)
		b.StartTimer()
		start := time.Now()
		res, err := s.Pass(h.ctx, syncer.PassOptions{})
		if err != nil {
			b.Fatal(err)
		}
		wall := time.Since(start)
		b.StopTimer()
		requests := len(h.box.Requests())
		floor := time.Duration(float64(requests) / 6 * float64(time.Second))
		b.ReportMetric(float64(requests)*1000/float64(ds.Orders), "requests/1000orders")
		b.ReportMetric(wall.Seconds(), "wall-s")
		b.ReportMetric(floor.Seconds(), "floor-s")
		b.ReportMetric(float64(res.Count("lead", report.Create))/wall.Seconds(), "orders/s")
		b.ReportMetric(float64(peakRSS())/(1<<20), "peak-RSS-MiB")
		b.Logf("%d orders: %s; requests %v", ds.Orders, res.Summary(), requestsByPath(h.box))
	}
}

// newBenchHarness is newHarness for a benchmark: the sandbox enforces the
// real rate limit.
func newBenchHarness(b *testing.B) *harness {
	h := newHarnessTB(b, modxtest.Options{}, nil, sandbox.Options{LongLivedTokens: []string{testToken}})
	h.cfg.Sync.Settle = config.Duration{}
	return h
}

// benchSyncer is the syncer of `run` with rate as the client's limit and
// real waits between retries, unlike the test harness's.
func (h *harness) benchSyncer(b *testing.B, rate float64) *syncer.Syncer {
	h.cfg.AmoCRM.RateLimit = rate
	h.cfg.AmoCRM.Timeout = config.Duration{Duration: amocrm.DefaultTimeout}
	s, err := site.Open(h.ctx, h.cfg, site.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return syncer.New(h.cfg, s.Shop, s.Client, s.Store, syncer.Options{Requests: s.Requests})
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
		out[r.Method+" "+r.Path]++
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
	s := h.benchSyncer(b, 10000)
	first, err := s.Pass(h.ctx, syncer.PassOptions{FullUserScan: true})
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
		res, err := s.Pass(h.ctx, syncer.PassOptions{FullUserScan: true})
		if err != nil {
			b.Fatal(err)
		}
		wall := time.Since(start)
		stmts2, rows2 := mysqlWork(b, h)
		if w := res.Count("contact", report.Update) + res.Count("contact", report.Create); w != 0 {
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
	if _, err := s.Pass(h.ctx, syncer.PassOptions{FullUserScan: true}); err != nil {
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
	s := h.benchSyncer(b, 6)
	b.ResetTimer()
	for range b.N {
		w := report.NewJSON(io.Discard)
		start := time.Now()
		res, err := s.Pass(h.ctx, syncer.PassOptions{DryRun: true, Report: w})
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
