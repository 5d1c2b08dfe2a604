package syncer_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/config"
	"github.com/modx-amocrm/modx-amocrm/internal/modx/modxtest"
	"github.com/modx-amocrm/modx-amocrm/internal/plan"
	"github.com/modx-amocrm/modx-amocrm/internal/sandbox"
	"github.com/modx-amocrm/modx-amocrm/internal/site"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer"
)

// Environment of the crashing child process (see TestMain).
const (
	envCrashPoint    = "MXAMO_CRASH_POINT"
	envCrashDSN      = "MXAMO_CRASH_DSN"
	envCrashURL      = "MXAMO_CRASH_URL"
	envCrashShop     = "MXAMO_CRASH_SHOP" // the shop's generation, for its status ids
	envCrashUnsorted = "MXAMO_CRASH_UNSORTED"
	envCrashExtras   = "MXAMO_CRASH_EXTRAS"  // products and tasks on
	envCrashCompare  = "MXAMO_CRASH_COMPARE" // the comparisons run (run -once)
)

func TestMain(m *testing.M) {
	if point := os.Getenv(envCrashPoint); point != "" {
		os.Exit(crashingPass(point))
	}
	if os.Getenv(envChaosDSN) != "" {
		os.Exit(chaosChild())
	}
	os.Exit(m.Run())
}

// accounts are the sandbox accounts the exactly-once tests run against: the
// default one, and the strict one, which takes every reading the
// documentation leaves open at its pessimistic side: `query` blind to
// field values and to anything written in the last minute, filters
// ignored, validation errors without request_id, repeated unsorted
// source_uids stored and tagged.
var accounts = []struct {
	name  string
	modes sandbox.Modes
}{{"default", sandbox.Modes{}}, {"strict", sandbox.Modes{}.Strict()}}

// forEachAccount runs f as a subtest per account, each with base's modes
// added (duplicate control, say).
func forEachAccount(t *testing.T, base sandbox.Modes, f func(t *testing.T, m sandbox.Modes)) {
	for _, a := range accounts {
		m := a.modes
		m.DuplicateControl = m.DuplicateControl || base.DuplicateControl
		t.Run(a.name, func(t *testing.T) { f(t, m) })
	}
}

// once is what amoCRM must end with: a deal for every order, and exactly
// these numbers of deals, contacts and incoming leads; with extras, every
// deal with its order's products and quantities and one task; the deals of
// edited and deleted orders with one note each saying so.
type once struct {
	orders                    []int64
	deals, contacts, incoming int
	extras                    bool
	edited, deleted           []int64
}

// checkOnce asserts want, and that no two deals carry the same record key,
// no incoming lead is tagged as a duplicate, and no deal's pending marker
// is left behind.
func (h *harness) checkOnce(t *testing.T, want once) {
	t.Helper()
	leads := h.box.Leads()
	if got := len(leads); got != want.deals {
		t.Errorf("deals: got %d, want %d", got, want.deals)
	}
	if got := len(h.box.Contacts()); got != want.contacts {
		t.Errorf("contacts: got %d, want %d", got, want.contacts)
	}
	if got := len(h.box.Unsorted()); got != want.incoming {
		t.Errorf("incoming leads: got %d, want %d", got, want.incoming)
	}
	keys := map[string]int64{}
	for _, l := range leads {
		for _, f := range l.CustomFieldsValues {
			if f.FieldCode != "MODX_ORDER" && f.FieldCode != "MODX_FORM" || len(f.Values) == 0 {
				continue
			}
			k := f.FieldCode + "=" + valueString(f.Values[0].Value)
			if other, dup := keys[k]; dup {
				t.Errorf("deals %d and %d both hold %s", other, l.ID, k)
			}
			keys[k] = l.ID
		}
		if slices.ContainsFunc(l.Tags, func(tg sandbox.Tag) bool { return tg.Name == sandbox.DuplicateTag }) {
			t.Errorf("deal %d is tagged %q: an incoming lead was sent twice", l.ID, sandbox.DuplicateTag)
		}
	}
	for _, id := range want.orders {
		if _, ok := keys["MODX_ORDER="+strconv.FormatInt(id, 10)]; !ok {
			t.Errorf("order %d has no deal", id)
		}
	}
	kinds := []string{plan.KindOrder, plan.KindForm, plan.EditMarker}
	if want.extras {
		kinds = append(kinds, plan.ElementMarker, plan.ProductsKind(plan.KindOrder), plan.TaskKind(plan.KindOrder), plan.TaskKind(plan.KindForm))
		h.checkExtras(t, want.orders)
	}
	h.checkEditNotes(t, want.edited, "Изменено в магазине:")
	h.checkEditNotes(t, want.deleted, "удалён в магазине")
	for _, kind := range kinds {
		if left, err := h.store.Pending(h.ctx, kind); err != nil || len(left) > 0 {
			t.Errorf("pending %s markers left: %+v %v", kind, left, err)
		}
	}
}

// crashingTransport kills its own process (SIGKILL: no deferred cleanup,
// no commit) right after amoCRM answered the first write of the named kind:
// the write is stored, its answer lost with the process.
type crashingTransport struct{ point string }

// crashPoints are the writes a child can die after, by method and path.
var crashPoints = map[string]string{
	"complex":      "POST /api/v4/leads/complex",
	"leads":        "POST /api/v4/leads",
	"contacts":     "POST /api/v4/contacts",
	"update-leads": "PATCH /api/v4/leads",
	"lead-fields":  "POST /api/v4/leads/custom_fields",
	"unsorted":     "POST /api/v4/leads/unsorted/forms",
	"elements":     fmt.Sprintf("POST /api/v4/catalogs/%d/elements", sandbox.ProductsCatalogID),
	"links":        "POST /api/v4/leads/link",
	"unlinks":      "POST /api/v4/leads/unlink",
	"tasks":        "POST /api/v4/tasks",
	"notes":        "POST /api/v4/leads/notes",
}

func (c crashingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err == nil && resp.StatusCode < 300 && crashPoints[c.point] == req.Method+" "+req.URL.Path {
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {}
	}
	return resp, err
}

// crashingPass runs in the child: one pass that dies at point.
func crashingPass(point string) int {
	ctx := context.Background()
	cfg := crashConfig(os.Getenv(envCrashDSN), os.Getenv(envCrashURL), modxtest.Options{Generation: os.Getenv(envCrashShop)},
		os.Getenv(envCrashUnsorted) != "", os.Getenv(envCrashExtras) != "")
	s, err := site.Open(ctx, cfg, site.Options{HTTPClient: &http.Client{Transport: crashingTransport{point}}})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	e, err := s.Engine(site.EngineOptions{CompareStatuses: os.Getenv(envCrashCompare) != ""})
	if err == nil {
		_, err = e.Pass(ctx, syncer.PassOptions{})
	}
	fmt.Fprintln(os.Stderr, "pass ended without crashing:", err)
	return 3
}

func crashConfig(dsn, url string, shop modxtest.Options, unsorted, extras bool) *config.Config {
	cfg := config.Default()
	cfg.MODX.DSN = dsn
	cfg.MODX.TablePrefix = "modx_"
	cfg.AmoCRM.BaseURL = url
	cfg.AmoCRM.LongLivedToken = testToken
	cfg.AmoCRM.RateLimit = 1000
	cfg.Orders.Enabled = true
	cfg.Orders.PipelineID = config.IDRef{Name: "Воронка"}
	cfg.Orders.StatusMap = map[string]config.IDRef{strconv.FormatInt(modxtest.Statuses(shop).Paid, 10): {Name: "Оплачен"}}
	cfg.Forms.Enabled, cfg.Forms.AsLead, cfg.Forms.Unsorted = true, true, unsorted
	cfg.Users.Enabled = true
	cfg.Sync.Start = "all"
	cfg.Sync.Settle = config.Duration{}
	cfg.Orders.Products.Enabled, cfg.Orders.Task.Enabled, cfg.Forms.Task.Enabled = extras, extras, extras
	return &cfg
}

// TestCrashBetweenWriteAndCommit kills the process right after each kind of
// amoCRM write and before the commit, then runs again: every order ends with
// exactly one deal and one contact per customer, every form with one deal
// or incoming lead, every user with one contact, on the default account and
// on the strict one, where no search finds what was just written. The run
// after the crash settles a whole batch's markers with one scan of the
// deals, not a search per order.
func TestCrashBetweenWriteAndCommit(t *testing.T) {
	forEachShop(t, modxtest.Options{FormIt: true}, func(t *testing.T, shop modxtest.Options) {
		forEachAccount(t, sandbox.Modes{}, func(t *testing.T, m sandbox.Modes) { testCrashBetweenWriteAndCommit(t, shop, m) })
	})
}

func testCrashBetweenWriteAndCommit(t *testing.T, shop modxtest.Options, modes sandbox.Modes) {
	form := func(h *harness, phone string) {
		if _, err := modxtest.InsertForm(h.ctx, h.db, h.shop, modxtest.FormSpec{Values: `{"name":"Вера","phone":"` + phone + `"}`}); err != nil {
			h.t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name, point string // the test, and the write the child dies after
		unsorted    bool
		extras      bool // products and tasks on
		compare     bool // the passes run the comparisons
		// seed fills the shop (and may run a first pass) and says what
		// amoCRM must end with.
		seed func(h *harness) once
		// leadReads bounds the lead reads of the pass after the crash; 0:
		// not checked.
		leadReads int
	}{
		{name: "complex", point: "complex", leadReads: 1, seed: func(h *harness) once {
			// More orders than one leads/complex request takes.
			var orders []int64
			for i := range 60 {
				orders = append(orders, h.order(modxtest.OrderSpec{Address: map[string]any{"phone": fmt.Sprintf("+7 903 000-00-%02d", i)}}))
			}
			return once{orders: orders, deals: 60, contacts: 60}
		}},
		// The order number's field, created after the account's fields were
		// cached: the next run finds it instead of failing on its name.
		{name: "lead-field", point: "lead-fields", seed: func(h *harness) once {
			return once{orders: []int64{h.order(modxtest.OrderSpec{Address: map[string]any{"phone": "+7 902 000-00-01"}})}, deals: 1, contacts: 1}
		}},
		// One customer, two orders in one batch: the first deal carries the
		// new contact through leads/complex, the second follows through
		// leads with its id. Die after either.
		{name: "complex-then-leads", point: "complex", seed: oneCustomerTwoOrders},
		{name: "leads", point: "leads", seed: oneCustomerTwoOrders},
		{name: "update-leads", point: "update-leads", seed: func(h *harness) once {
			id := h.order(modxtest.OrderSpec{Address: map[string]any{"phone": "+7 905 000-00-01"}})
			h.pass(syncer.PassOptions{})
			h.changeStatus(id, h.statuses().Paid)
			return once{orders: []int64{id}, deals: 1, contacts: 1}
		}},
		// A form's contact is created on its own, then its deal by id.
		{name: "form-contact", point: "contacts", seed: func(h *harness) once {
			form(h, "+7 911 000-00-01")
			return once{deals: 1, contacts: 1}
		}},
		{name: "form", point: "leads", seed: func(h *harness) once {
			form(h, "+7 911 000-00-02")
			return once{deals: 1, contacts: 1}
		}},
		{name: "unsorted", point: "unsorted", unsorted: true, seed: func(h *harness) once {
			form(h, "+7 911 000-00-03")
			form(h, "+7 911 000-00-04")
			return once{deals: 2, contacts: 2, incoming: 2}
		}},
		{name: "user", point: "contacts", seed: func(h *harness) once {
			h.user(modxtest.UserSpec{FullName: "Глеб", Phone: "+7 912 000-00-03"})
			return once{contacts: 1}
		}},
		// Products and tasks: die after the deals, the elements, the links
		// or the tasks; the next run reads the list and the deals back
		// before anything is sent again (on the strict account a link sent
		// twice doubles its quantity).
		{name: "extras/complex", point: "complex", extras: true, seed: ordersWithProducts},
		{name: "extras/elements", point: "elements", extras: true, seed: ordersWithProducts},
		{name: "extras/links", point: "links", extras: true, seed: ordersWithProducts},
		{name: "extras/tasks", point: "tasks", extras: true, seed: ordersWithProducts},
		{name: "extras/form-task", point: "tasks", extras: true, seed: func(h *harness) once {
			form(h, "+7 911 000-00-05")
			return once{deals: 1, contacts: 1, extras: true}
		}},
		// Orders edited and deleted in the back office: die after the
		// edit's PATCH, its unlinks, its links or its notes; the next
		// comparison reads the deals' products and notes back first (on
		// the strict account unlinking what is gone is refused, and a link
		// sent twice doubles its quantity).
		{name: "edits/update-leads", point: "update-leads", extras: true, compare: true, seed: editedWithProducts},
		{name: "edits/unlinks", point: "unlinks", extras: true, compare: true, seed: editedWithProducts},
		{name: "edits/links", point: "links", extras: true, compare: true, seed: editedWithProducts},
		{name: "edits/notes", point: "notes", extras: true, compare: true, seed: editedWithProducts},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarnessModes(t, shop, func(c *config.Config) {
				*c = *crashConfig(c.MODX.DSN, c.AmoCRM.BaseURL, shop, tc.unsorted, tc.extras)
			}, modes)
			want := tc.seed(h)
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), envCrashPoint+"="+tc.point, envCrashDSN+"="+h.dsn, envCrashURL+"="+h.url,
				envCrashShop+"="+shop.Generation)
			if tc.unsorted {
				cmd.Env = append(cmd.Env, envCrashUnsorted+"=1")
			}
			if tc.extras {
				cmd.Env = append(cmd.Env, envCrashExtras+"=1")
			}
			eopts := site.EngineOptions{}
			if tc.compare {
				cmd.Env = append(cmd.Env, envCrashCompare+"=1")
				eopts.CompareStatuses = true
			}
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
				t.Fatalf("child did not die at %s: %v\n%s", tc.point, err, out)
			}
			h.box.ResetRequests()
			h.passWith(eopts, syncer.PassOptions{})
			if reads := h.requests("GET", "/api/v4/leads"); tc.leadReads > 0 && reads > tc.leadReads {
				t.Errorf("lead reads after the crash: %d requests, want at most %d (one scan for the batch)", reads, tc.leadReads)
			}
			h.passWith(eopts, syncer.PassOptions{})
			h.checkOnce(t, want)
			if tc.name == "update-leads" {
				_, paid := h.pipelineStatus("Воронка", "Оплачен")
				if got := h.leadsByOrder()[strconv.FormatInt(want.orders[0], 10)].StatusID; got != paid {
					t.Errorf("moved deal status: got %d, want %d", got, paid)
				}
			}
		})
	}
}

// ordersWithProducts are three orders of two customers, with products in
// several lines and quantities.
func ordersWithProducts(h *harness) once {
	h.t.Helper()
	var products []int64
	for i := range 3 {
		id, err := modxtest.InsertProduct(h.ctx, h.db, h.shop, modxtest.ProductSpec{Title: fmt.Sprintf("Товар %d", i), Article: fmt.Sprintf("A-%d", i)})
		if err != nil {
			h.t.Fatal(err)
		}
		products = append(products, id)
	}
	line := func(p int, n int64) modxtest.LineSpec { return modxtest.LineSpec{ProductID: products[p], Count: n} }
	orders := []int64{
		h.order(modxtest.OrderSpec{Address: map[string]any{"phone": "+7 907 000-00-01", "email": nil}, Lines: []modxtest.LineSpec{line(0, 2), line(1, 1), line(0, 1)}}),
		h.order(modxtest.OrderSpec{Address: map[string]any{"phone": "+7 907 000-00-02", "email": nil}, Lines: []modxtest.LineSpec{line(1, 3)}}),
		h.order(modxtest.OrderSpec{Address: map[string]any{"phone": "+7 907 000-00-01", "email": nil}, Lines: []modxtest.LineSpec{line(2, 1), line(0, 5)}}),
	}
	return once{orders: orders, deals: 3, contacts: 2, extras: true}
}

// editedWithProducts are ordersWithProducts sent, then edited in the back
// office: a product added to the first order and its first line removed
// (a product gone, one requantified), the third order's first line
// requantified, the second order deleted.
func editedWithProducts(h *harness) once {
	h.t.Helper()
	sent := ordersWithProducts(h)
	h.pass(syncer.PassOptions{})
	o := sent.orders
	at := h.dbNow().Add(-time.Minute)
	p, err := modxtest.InsertProduct(h.ctx, h.db, h.shop, modxtest.ProductSpec{Title: "Товар 3", Article: "A-3"})
	if err != nil {
		h.t.Fatal(err)
	}
	if _, err := modxtest.AddOrderLine(h.ctx, h.db, h.shop, o[0], modxtest.LineSpec{ProductID: p, Name: "Товар 3", Count: 2, Price: "150.00"}, 1, at); err != nil {
		h.t.Fatal(err)
	}
	if err := modxtest.RemoveOrderLine(h.ctx, h.db, h.shop, h.lines(o[0])[0], 1, at); err != nil {
		h.t.Fatal(err)
	}
	if err := modxtest.UpdateOrderLine(h.ctx, h.db, h.shop, h.lines(o[2])[0], modxtest.LineChange{Count: 4}, 1, at); err != nil {
		h.t.Fatal(err)
	}
	if err := modxtest.DeleteOrder(h.ctx, h.db, h.shop, o[1], 1, at); err != nil {
		h.t.Fatal(err)
	}
	return once{orders: []int64{o[0], o[2]}, deals: 3, contacts: 2, extras: true, edited: []int64{o[0], o[2]}, deleted: []int64{o[1]}}
}

// lines are the ids of an order's product lines.
func (h *harness) lines(order int64) []int64 {
	h.t.Helper()
	table := "modx_ms2_order_products"
	if h.shop.Generation == modxtest.GenMS3 {
		table = "modx_ms3_order_products"
	}
	var ids []int64
	if err := h.db.Select(&ids, "SELECT id FROM "+table+" WHERE order_id = ? ORDER BY id", order); err != nil {
		h.t.Fatal(err)
	}
	return ids
}

// checkEditNotes asserts that each order's deal has exactly one note
// holding text.
func (h *harness) checkEditNotes(t *testing.T, orders []int64, text string) {
	t.Helper()
	leads, notes := h.leadsByOrder(), h.notesOf()
	for _, id := range orders {
		l := leads[strconv.FormatInt(id, 10)]
		n := 0
		for _, note := range notes[l.ID] {
			if strings.Contains(note, text) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("order %d: deal %d has %d notes with %q (%q), want 1", id, l.ID, n, text, notes[l.ID])
		}
	}
}

func oneCustomerTwoOrders(h *harness) once {
	var orders []int64
	for range 2 {
		orders = append(orders, h.order(modxtest.OrderSpec{Address: map[string]any{"phone": "+7 904 000-00-01"}}))
	}
	return once{orders: orders, deals: 2, contacts: 1}
}

// TestDroppedConnectionAfterWrite lets the sandbox store each write and
// then drop the connection, for the first n writes of a pass: the client
// reports an unknown outcome, the entity is found above the newest id known
// before the write, and nothing is created twice, on the default account
// and on the strict one.
func TestDroppedConnectionAfterWrite(t *testing.T) {
	forEachAccount(t, sandbox.Modes{}, testDroppedConnectionAfterWrite)
}

func testDroppedConnectionAfterWrite(t *testing.T, modes sandbox.Modes) {
	forms := func(edit func(c *config.Config)) func(c *config.Config) {
		return func(c *config.Config) {
			c.Orders.Enabled = false
			c.Forms.Enabled, c.Forms.AsLead = true, true
			if edit != nil {
				edit(c)
			}
		}
	}
	form := func(h *harness, phone string) {
		if _, err := modxtest.InsertForm(h.ctx, h.db, h.shop, modxtest.FormSpec{Values: `{"name":"Вера","phone":"` + phone + `"}`}); err != nil {
			h.t.Fatal(err)
		}
	}
	type dropCase struct {
		drops   int // writes stored and then answered by a dropped connection
		edit    func(*config.Config)
		compare bool // the passes run the comparisons
		seed    func(h *harness) once
	}
	cases := map[string]dropCase{}
	for n := 1; n <= 3; n++ {
		// Three customers, one of them with two orders: complex, then leads.
		cases[fmt.Sprintf("orders/%d", n)] = dropCase{drops: n, seed: func(h *harness) once {
			var orders []int64
			for i := range 3 {
				orders = append(orders, h.order(modxtest.OrderSpec{Address: map[string]any{"phone": fmt.Sprintf("+7 906 000-00-%02d", i)}}))
			}
			orders = append(orders, h.order(modxtest.OrderSpec{Address: map[string]any{"phone": "+7 906 000-00-00"}}))
			return once{orders: orders, deals: 4, contacts: 3}
		}}
		// The form's contact, deal and note, in that order.
		cases[fmt.Sprintf("form/%d", n)] = dropCase{drops: n, edit: forms(nil), seed: func(h *harness) once {
			form(h, "+7 911 000-00-01")
			return once{deals: 1, contacts: 1}
		}}
	}
	// With products and tasks: the elements, the complex and plain deals,
	// the links and the tasks, in that order.
	for n := 1; n <= 5; n++ {
		cases[fmt.Sprintf("extras/%d", n)] = dropCase{drops: n, edit: extrasOn, seed: ordersWithProducts}
	}
	// An edit and a deletion, with products: the edit's PATCH (retried:
	// safe), its unlinks, its links, then the notes.
	for n := 1; n <= 4; n++ {
		cases[fmt.Sprintf("edits/%d", n)] = dropCase{drops: n, edit: extrasOn, compare: true, seed: editedWithProducts}
	}
	// A form's contact, deal, note and task.
	cases["extras/form"] = dropCase{drops: 4, edit: forms(extrasOn), seed: func(h *harness) once {
		form(h, "+7 911 000-00-06")
		return once{deals: 1, contacts: 1, extras: true}
	}}
	cases["unsorted"] = dropCase{drops: 1, edit: forms(func(c *config.Config) { c.Forms.Unsorted = true }), seed: func(h *harness) once {
		form(h, "+7 913 000-00-01")
		form(h, "+7 913 000-00-02")
		return once{deals: 2, contacts: 2, incoming: 2}
	}}
	cases["user"] = dropCase{drops: 1, edit: func(c *config.Config) { c.Orders.Enabled, c.Users.Enabled = false, true }, seed: func(h *harness) once {
		h.user(modxtest.UserSpec{FullName: "Глеб", Phone: "+7 912 000-00-03"})
		return once{contacts: 1}
	}}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			h := newHarnessModes(t, modxtest.Options{FormIt: true}, tc.edit, modes)
			want := tc.seed(h)
			eopts := site.EngineOptions{CompareStatuses: tc.compare}
			h.box.SetFaults(sandbox.Faults{DropAfterWrite: tc.drops})
			h.passWith(eopts, syncer.PassOptions{})
			h.box.SetFaults(sandbox.Faults{})
			h.passWith(eopts, syncer.PassOptions{})
			h.checkOnce(t, want)
			if failed, err := h.store.Failures(h.ctx); err != nil || len(failed) > 0 {
				t.Errorf("parked: %+v %v; want nothing (every lost answer is found)", failed, err)
			}
		})
	}
}
