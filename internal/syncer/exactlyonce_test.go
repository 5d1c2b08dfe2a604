package syncer_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"

	"github.com/modx-amocrm/modx-amocrm/internal/amocrm"
	"github.com/modx-amocrm/modx-amocrm/internal/config"
	"github.com/modx-amocrm/modx-amocrm/internal/modx/modxtest"
	"github.com/modx-amocrm/modx-amocrm/internal/report"
	"github.com/modx-amocrm/modx-amocrm/internal/sandbox"
	"github.com/modx-amocrm/modx-amocrm/internal/site"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer"
)

// Environment of the crashing child process (see TestMain).
const (
	envCrashPoint = "MXAMO_CRASH_POINT"
	envCrashDSN   = "MXAMO_CRASH_DSN"
	envCrashURL   = "MXAMO_CRASH_URL"
	envCrashShop  = "MXAMO_CRASH_SHOP" // the shop's generation, for its status ids
)

func TestMain(m *testing.M) {
	if point := os.Getenv(envCrashPoint); point != "" {
		os.Exit(crashingPass(point))
	}
	os.Exit(m.Run())
}

// crashingCRM kills its own process (SIGKILL: no deferred cleanup, no
// commit) right after the named call returned.
type crashingCRM struct {
	*amocrm.Client
	point string
}

func (c crashingCRM) die(point string) {
	if c.point == point {
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {}
	}
}

func (c crashingCRM) CreateComplexLeads(ctx context.Context, leads []amocrm.Lead) ([]amocrm.ComplexResult, error) {
	res, err := c.Client.CreateComplexLeads(ctx, leads)
	c.die("complex")
	return res, err
}

func (c crashingCRM) CreateLeads(ctx context.Context, leads []amocrm.Lead) ([]amocrm.Lead, error) {
	res, err := c.Client.CreateLeads(ctx, leads)
	c.die("leads")
	return res, err
}

func (c crashingCRM) CreateContacts(ctx context.Context, cs []amocrm.Contact) ([]amocrm.Contact, error) {
	res, err := c.Client.CreateContacts(ctx, cs)
	c.die("contacts")
	return res, err
}

func (c crashingCRM) UpdateLeads(ctx context.Context, leads []amocrm.Lead) error {
	err := c.Client.UpdateLeads(ctx, leads)
	c.die("update-leads")
	return err
}

// crashingPass runs in the child: one pass that dies at point.
func crashingPass(point string) int {
	ctx := context.Background()
	cfg := crashConfig(os.Getenv(envCrashDSN), os.Getenv(envCrashURL), modxtest.Options{Generation: os.Getenv(envCrashShop)})
	s, err := site.Open(ctx, cfg, site.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	_, err = syncer.New(cfg, s.Shop, crashingCRM{s.Client, point}, s.Store, syncer.Options{}).Pass(ctx, syncer.PassOptions{})
	fmt.Fprintln(os.Stderr, "pass ended without crashing:", err)
	return 3
}

func crashConfig(dsn, url string, shop modxtest.Options) *config.Config {
	cfg := config.Default()
	cfg.MODX.DSN = dsn
	cfg.MODX.TablePrefix = "modx_"
	cfg.AmoCRM.BaseURL = url
	cfg.AmoCRM.LongLivedToken = testToken
	cfg.AmoCRM.RateLimit = 1000
	cfg.Orders.Enabled = true
	cfg.Orders.PipelineID = config.IDRef{Name: "Воронка"}
	cfg.Orders.StatusMap = map[string]config.IDRef{strconv.FormatInt(modxtest.Statuses(shop).Paid, 10): {Name: "Оплачен"}}
	cfg.Forms.Enabled, cfg.Forms.AsLead = true, true
	cfg.Users.Enabled = true
	cfg.Sync.Start = "all"
	cfg.Sync.Settle = config.Duration{}
	return &cfg
}

// TestCrashBetweenWriteAndCommit kills the process right after each kind of
// amoCRM write and before the commit, then runs again: every order ends with
// exactly one deal and one contact per customer.
func TestCrashBetweenWriteAndCommit(t *testing.T) {
	forEachShop(t, modxtest.Options{FormIt: true}, testCrashBetweenWriteAndCommit)
}

func testCrashBetweenWriteAndCommit(t *testing.T, shop modxtest.Options) {
	for _, name := range []string{"complex", "complex-then-leads", "leads", "update-leads", "form", "user"} {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, shop, func(c *config.Config) { *c = *crashConfig(c.MODX.DSN, c.AmoCRM.BaseURL, shop) })
			point := name
			var orders []int64
			switch name {
			case "user":
				// A user's contact is created on its own: die after it.
				point = "contacts"
				h.user(modxtest.UserSpec{FullName: "Глеб", Phone: "+7 912 000-00-03"})
			case "form":
				// A form's deal is created by id, after its contact: die
				// after the deal, before the commit.
				point = "leads"
				if _, err := modxtest.InsertForm(h.ctx, h.db, h.shop, modxtest.FormSpec{Values: `{"name":"Вера","phone":"+7 911 000-00-02"}`}); err != nil {
					t.Fatal(err)
				}
			case "complex":
				for i := range 4 {
					orders = append(orders, h.order(modxtest.OrderSpec{Address: map[string]any{"phone": fmt.Sprintf("+7 903 000-00-%02d", i)}}))
				}
			case "complex-then-leads", "leads":
				// One customer, two orders in one batch: the first deal
				// carries the new contact through leads/complex, the second
				// follows through leads with its id. Die after either.
				if name == "complex-then-leads" {
					point = "complex"
				}
				for range 2 {
					orders = append(orders, h.order(modxtest.OrderSpec{Address: map[string]any{"phone": "+7 904 000-00-01"}}))
				}
			case "update-leads":
				orders = append(orders, h.order(modxtest.OrderSpec{Address: map[string]any{"phone": "+7 905 000-00-01"}}))
				h.pass(syncer.PassOptions{})
				h.changeStatus(orders[0], h.statuses().Paid)
			}
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), envCrashPoint+"="+point, envCrashDSN+"="+h.dsn, envCrashURL+"="+h.url,
				envCrashShop+"="+shop.Generation)
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
				t.Fatalf("child did not die at %s: %v\n%s", point, err, out)
			}
			h.pass(syncer.PassOptions{})
			h.pass(syncer.PassOptions{})

			leads := h.leadsByOrder()
			wantDeals := len(orders)
			switch name {
			case "form":
				wantDeals = 1
			case "user":
				wantDeals = 0
			}
			if got := len(h.box.Leads()); got != wantDeals {
				t.Errorf("deals: got %d, want %d", got, wantDeals)
			}
			for _, id := range orders {
				if _, ok := leads[strconv.FormatInt(id, 10)]; !ok {
					t.Errorf("order %d has no deal", id)
				}
			}
			customers := map[string]bool{}
			for _, id := range orders {
				customers[fmt.Sprint(id)] = true
			}
			wantContacts := len(orders)
			if name != "complex" {
				wantContacts = 1 // one customer
			}
			if got := len(h.box.Contacts()); got != wantContacts {
				t.Errorf("contacts: got %d, want %d", got, wantContacts)
			}
			if name == "update-leads" {
				_, paid := h.pipelineStatus("Воронка", "Оплачен")
				if got := leads[strconv.FormatInt(orders[0], 10)].StatusID; got != paid {
					t.Errorf("moved deal status: got %d, want %d", got, paid)
				}
			}
		})
	}
}

// TestDroppedConnectionAfterWrite lets the sandbox store each write and
// then drop the connection, for the first n writes of a pass: the client
// reports an unknown outcome, the deal is found by its order number, and
// nothing is created twice.
func TestDroppedConnectionAfterWrite(t *testing.T) {
	forEachShop(t, modxtest.Options{}, testDroppedConnectionAfterWrite)
}

func testDroppedConnectionAfterWrite(t *testing.T, shop modxtest.Options) {
	for n := 1; n <= 3; n++ {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			h := newHarness(t, shop, nil)
			var orders []int64
			for i := range 3 {
				orders = append(orders, h.order(modxtest.OrderSpec{Address: map[string]any{"phone": fmt.Sprintf("+7 906 000-00-%02d", i)}}))
			}
			orders = append(orders, h.order(modxtest.OrderSpec{Address: map[string]any{"phone": "+7 906 000-00-00"}}))
			h.box.SetFaults(sandbox.Faults{DropAfterWrite: n})
			h.pass(syncer.PassOptions{})
			h.box.SetFaults(sandbox.Faults{})
			h.pass(syncer.PassOptions{})
			if got := len(h.box.Leads()); got != len(orders) {
				t.Errorf("deals: got %d, want %d", got, len(orders))
			}
			if got := len(h.box.Contacts()); got != 3 {
				t.Errorf("contacts: got %d, want 3", got)
			}
			leads := h.leadsByOrder()
			for _, id := range orders {
				if _, ok := leads[strconv.FormatInt(id, 10)]; !ok {
					t.Errorf("order %d has no deal", id)
				}
			}
		})
	}
}

// TestFormDroppedConnectionAfterWrite: a form's contact, deal and note
// writes stored but answered by a dropped connection end, after the next
// pass, as one contact and one deal.
func TestFormDroppedConnectionAfterWrite(t *testing.T) {
	for n := 1; n <= 3; n++ {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			h := newHarness(t, modxtest.Options{FormIt: true}, func(c *config.Config) {
				c.Orders.Enabled = false
				c.Forms.Enabled, c.Forms.AsLead = true, true
			})
			if _, err := modxtest.InsertForm(h.ctx, h.db, h.shop, modxtest.FormSpec{Values: `{"name":"Вера","phone":"+7 911 000-00-01"}`}); err != nil {
				t.Fatal(err)
			}
			h.box.SetFaults(sandbox.Faults{DropAfterWrite: n})
			h.pass(syncer.PassOptions{})
			h.box.SetFaults(sandbox.Faults{})
			h.pass(syncer.PassOptions{})
			if got := len(h.box.Leads()); got != 1 {
				t.Errorf("deals: got %d, want 1", got)
			}
			if got := len(h.box.Contacts()); got != 1 {
				t.Errorf("contacts: got %d, want 1", got)
			}
		})
	}
}

// TestUnsortedFormSentOnce: an incoming lead whose answer was lost is sent
// again on retry; amoCRM refuses the duplicate source_uid, which settles it.
func TestUnsortedFormSentOnce(t *testing.T) {
	h := newHarness(t, modxtest.Options{FormIt: true}, func(c *config.Config) {
		c.Orders.Enabled = false
		c.Forms.Enabled, c.Forms.Unsorted = true, true
	})
	for i := range 2 {
		if _, err := modxtest.InsertForm(h.ctx, h.db, h.shop, modxtest.FormSpec{Values: fmt.Sprintf(`{"name":"Лев","phone":"+7 913 000-00-0%d"}`, i)}); err != nil {
			t.Fatal(err)
		}
	}
	h.box.SetFaults(sandbox.Faults{DropAfterWrite: 1})
	res := h.pass(syncer.PassOptions{})
	h.box.SetFaults(sandbox.Faults{})
	if res.Parked != 2 {
		t.Fatalf("parked after a lost answer: got %d, want 2 (%s)", res.Parked, res.Summary())
	}
	if _, err := h.store.Retry(h.ctx, true, nil); err != nil {
		t.Fatal(err)
	}
	res = h.pass(syncer.PassOptions{})
	if got := len(h.box.Unsorted()); got != 2 {
		t.Errorf("incoming leads: got %d, want 2", got)
	}
	if got := res.Count("lead", report.Unchanged); got != 2 {
		t.Errorf("settled as already there: got %d, want 2 (%s)", got, res.Summary())
	}
	if failures, err := h.store.Failures(h.ctx); err != nil || len(failures) != 0 {
		t.Errorf("failures left: %v %v", failures, err)
	}
}
