package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/modx-amocrm/modx-amocrm/internal/modx/modxtest"
	"github.com/modx-amocrm/modx-amocrm/internal/sandbox"
	"github.com/modx-amocrm/modx-amocrm/internal/sandbox/sandboxtest"
	"github.com/modx-amocrm/modx-amocrm/internal/testdb"
)

const shopToken = "run-test-long-lived-token"

// shopEnv is a MODX shop in a throw-away database, the sandbox, and a
// config file pointing at both; the state lives in the shop's schema.
type shopEnv struct {
	t    *testing.T
	ctx  context.Context
	db   *sqlx.DB
	dsn  string
	shop modxtest.Options
	box  *sandbox.Server
	url  string
}

// newShopEnv creates the shop of opts, with the prefix "modx_" unless
// opts names another.
func newShopEnv(t *testing.T, opts modxtest.Options) *shopEnv {
	t.Helper()
	db, dsn := testdb.New(t)
	if opts.Prefix == "" {
		opts.Prefix = "modx_"
	}
	e := &shopEnv{t: t, ctx: context.Background(), db: db, dsn: dsn, shop: opts}
	if err := modxtest.Create(e.ctx, db, e.shop); err != nil {
		t.Fatalf("create shop: %v", err)
	}
	e.box, e.url = sandboxtest.Start(t, sandbox.Options{LongLivedTokens: []string{shopToken}, RPS: -1})
	return e
}

// config writes a config for the shop and the sandbox; extra is appended
// TOML. It returns the file's path.
func (e *shopEnv) config(extra string) string {
	e.t.Helper()
	path := filepath.Join(e.t.TempDir(), "config.toml")
	if err := os.WriteFile(path, []byte(e.configText(extra)), 0o600); err != nil {
		e.t.Fatal(err)
	}
	return path
}

func (e *shopEnv) configText(extra string) string {
	return fmt.Sprintf(`[modx]
dsn = %q
table_prefix = %q

[amocrm]
base_url = %q
long_lived_token = %q
rate_limit = 7

[sync]
start = "all"
cron = "@every 1h" # daemons in tests run their first pass only

[orders]
enabled = true
pipeline_id = "Воронка"

[log]
level = "warn"
%s`, e.dsn, e.shop.Prefix, e.url, shopToken, extra)
}

func (e *shopEnv) generate(orders int) *modxtest.Dataset {
	e.t.Helper()
	ds, err := modxtest.Generate(e.ctx, e.db, modxtest.GenOptions{Prefix: e.shop.Prefix, Orders: orders, Users: orders / 5, Seed: 1})
	if err != nil {
		e.t.Fatalf("generate shop: %v", err)
	}
	return ds
}

func (e *shopEnv) order(spec modxtest.OrderSpec) int64 {
	e.t.Helper()
	id, err := modxtest.InsertOrder(e.ctx, e.db, e.shop, spec)
	if err != nil {
		e.t.Fatalf("insert order: %v", err)
	}
	return id
}

// dealsByOrder counts the sandbox's deals per MODX order id.
func (e *shopEnv) dealsByOrder() map[string]int {
	out := map[string]int{}
	for _, l := range e.box.Leads() {
		for _, f := range l.CustomFieldsValues {
			if f.FieldCode == "MODX_ORDER" && len(f.Values) > 0 {
				out[fmt.Sprint(f.Values[0].Value)]++
			}
		}
	}
	return out
}

// writes counts the write requests the sandbox has served.
func (e *shopEnv) writes() int {
	n := 0
	for _, r := range e.box.Requests() {
		if r.Method != "GET" && strings.HasPrefix(r.Path, "/api/") {
			n++
		}
	}
	return n
}

// stateRows counts the rows of every state table.
func (e *shopEnv) stateRows() map[string]int {
	e.t.Helper()
	var tables []string
	if err := e.db.Select(&tables, "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name LIKE 'amocrm\\_sync\\_%'"); err != nil {
		e.t.Fatal(err)
	}
	out := map[string]int{}
	for _, name := range tables {
		var n int
		if err := e.db.Get(&n, "SELECT COUNT(*) FROM `"+name+"`"); err != nil {
			e.t.Fatal(err)
		}
		out[name] = n
	}
	return out
}

// assertOneDealPerOrder checks that every placed order of ds has exactly
// one deal and the others none.
func assertOneDealPerOrder(t *testing.T, e *shopEnv, ds *modxtest.Dataset) {
	t.Helper()
	deals := e.dealsByOrder()
	unplaced := map[int64]bool{}
	for _, id := range slices.Concat(ds.DraftOrders, ds.NoContactOrders) {
		unplaced[id] = true // no deal: not placed, or nothing says who the customer is
	}
	for _, id := range ds.UnplacedOrders {
		unplaced[id] = slices.Contains(ds.NoAddressOrders, id) // at status 0 with its address (and lines): placed
	}
	for id := ds.FirstOrderID; id <= ds.LastOrderID; id++ {
		got, want := deals[strconv.FormatInt(id, 10)], 1
		if unplaced[id] {
			want = 0
		}
		if got != want {
			t.Errorf("order %d has %d deals, want %d", id, got, want)
		}
	}
}
