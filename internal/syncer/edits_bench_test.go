package syncer_test

import (
	"os"
	"strconv"
	"testing"

	"github.com/modx-amocrm/modx-amocrm/internal/config"
	"github.com/modx-amocrm/modx-amocrm/internal/modx/modxtest"
	"github.com/modx-amocrm/modx-amocrm/internal/plan"
	"github.com/modx-amocrm/modx-amocrm/internal/sandbox"
	"github.com/modx-amocrm/modx-amocrm/internal/site"
	"github.com/modx-amocrm/modx-amocrm/internal/state"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer"
	"github.com/modx-amocrm/modx-amocrm/internal/testdb"
	"github.com/modx-amocrm/modx-amocrm/internal/transform"
)

// BenchmarkIdleComparison measures the passes of a shop of
// MXAMO_BENCH_ORDERS orders (default 1,000,000; miniShop2 4.x, MyISAM),
// every one sent and none changed since, as after a backfill: amoCRM
// requests and SQL statements (the shop's and the state's, counted by a
// relay) per pass, and its time. "idle" is a pass with no comparison due,
// "edits" one where only the comparison of edits is (its own cost), "once"
// a run -once, both comparisons forced.
//
//	go test -run '^$' -bench IdleComparison -benchtime 3x -timeout 60m ./internal/syncer/
func BenchmarkIdleComparison(b *testing.B) {
	orders := 1000000
	if v := os.Getenv("MXAMO_BENCH_ORDERS"); v != "" {
		orders, _ = strconv.Atoi(v)
	}
	h := newHarnessTB(b, modxtest.Options{MyISAM: true}, func(c *config.Config) { c.Sync.Start = "all" },
		sandbox.Options{LongLivedTokens: []string{testToken}})
	ds, err := modxtest.Generate(h.ctx, h.db, modxtest.GenOptions{Prefix: "modx_", Orders: orders, Users: orders / 10, Seed: 6})
	if err != nil {
		b.Fatal(err)
	}
	h.sentAll(b, ds)
	dsn, cmds := testdb.CountCommands(b, h.dsn)
	h.cfg.MODX.DSN = dsn
	warm := h.benchEngine(b, 6, site.EngineOptions{CompareStatuses: true})
	if _, err := warm.Pass(h.ctx, syncer.PassOptions{}); err != nil { // metadata cached, both comparisons done
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		opts site.EngineOptions
		due  bool // the comparison of edits made due before each pass
	}{
		{"idle", site.EngineOptions{}, false},
		{"edits", site.EngineOptions{}, true},
		{"once", site.EngineOptions{CompareStatuses: true}, false},
	} {
		b.Run(c.name, func(b *testing.B) {
			e := h.benchEngine(b, 6, c.opts)
			h.box.ResetRequests()
			var n int
			for b.Loop() {
				if c.due {
					b.StopTimer()
					testdb.Exec(b, h.db, "DELETE FROM amocrm_sync_meta WHERE name = 'order_edits_compared_at'")
					b.StartTimer()
				}
				before := cmds.Statements()
				res, err := e.Pass(h.ctx, syncer.PassOptions{})
				if err != nil {
					b.Fatal(err)
				}
				n += cmds.Statements() - before
				if w := res.Count("lead", plan.Update) + res.Count("note", plan.Create); w != 0 {
					b.Fatalf("an idle shop's pass wrote %d: %s", w, res.Summary())
				}
			}
			b.ReportMetric(float64(len(h.box.Requests()))/float64(b.N), "requests/pass")
			b.ReportMetric(float64(n)/float64(b.N), "statements/pass")
		})
	}
}

// sentAll records every order of the shop as a backfill leaves it: its
// deal, its status and its signature, the watermarks at the end.
func (h *harness) sentAll(b *testing.B, ds *modxtest.Dataset) {
	b.Helper()
	snapshot := make([]byte, 200) // a typical snapshot's size; an idle pass never reads one
	for first := ds.FirstOrderID; first <= ds.LastOrderID; first += 5000 {
		ids := make([]int64, 0, 5000)
		for id := first; id < first+5000 && id <= ds.LastOrderID; id++ {
			ids = append(ids, id)
		}
		rows, err := h.source.OrderSignatures(h.ctx, ids)
		if err != nil {
			b.Fatal(err)
		}
		links := make([]plan.Link, 0, 2*len(rows))
		sent := make([]state.OrderSent, len(rows))
		for i, r := range rows {
			links = append(links, plan.Link{Kind: plan.LinkOrder, SourceID: r.ID, AmoID: 1000000 + r.ID},
				plan.Link{Kind: plan.LinkOrderStatus, SourceID: r.ID, AmoID: 20002, Hash: strconv.FormatInt(r.Status, 10)})
			sent[i] = state.OrderSent{OrderID: r.ID, Signature: transform.Signature(r), Sent: snapshot}
		}
		err = h.store.Commit(h.ctx, func(tx *state.Tx) error {
			if err := tx.PutLinks(links); err != nil {
				return err
			}
			return tx.PutOrdersSent(sent)
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	var lastLog int64
	if err := h.db.Get(&lastLog, "SELECT COALESCE(MAX(id), 0) FROM modx_ms2_order_logs"); err != nil {
		b.Fatal(err)
	}
	err := h.store.Commit(h.ctx, func(tx *state.Tx) error {
		if err := tx.SetWatermark(syncer.SourceOrders, ds.LastOrderID); err != nil {
			return err
		}
		return tx.SetWatermark(syncer.SourceOrderLogs, lastLog)
	})
	if err != nil {
		b.Fatal(err)
	}
}
