package syncer_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
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

// Environment of a chaos child (see TestMain): it runs passes until it is
// killed.
const (
	envChaosDSN    = "MXAMO_CHAOS_DSN"
	envChaosURL    = "MXAMO_CHAOS_URL"
	envChaosSeed   = "MXAMO_CHAOS_SEED"
	envChaosExtras = "MXAMO_CHAOS_EXTRAS" // products and tasks on
)

// Chaos of TestChaos.
const (
	chaosRuns      = 40   // processes started, at most; each is killed
	chaosErrorRate = 0.05 // requests answered 5xx instead of being served
	chaosDropRate  = 0.05 // writes stored, then answered by a dropped connection
	// chaosDieRate is the share of write answers after which a process
	// kills itself: between the write and its commit, the window that
	// matters. The parent kills the others at a random moment.
	chaosDieRate = 0.2
	// The requests are bounded by chaosPer50 for every 50 orders (one
	// leads/complex request, the deals of repeat customers, lookups after
	// lost answers) and what each killed process did again: chaosPerRun,
	// or, on an account that ignores filters, chaosPerRunUnfiltered, as
	// the contacts of repeat customers in the batch it was planning are
	// then read again one request each.
	chaosPer50            = 3
	chaosPerRun           = 20
	chaosPerRunUnfiltered = 250
	// With products and tasks, each 50 orders add a links and a tasks
	// request, and each killed process reads back the deals it left:
	// their elements and tasks, and on an account that ignores filters
	// each deal's elements one request each.
	chaosExtrasPer50            = 3
	chaosExtrasPerRun           = 10
	chaosExtrasPerRunUnfiltered = 250
	chaosProducts               = 40 // the products the orders' lines are drawn from
)

// TestChaos backfills a few thousand orders with processes SIGKILLed at
// random moments, against an account that answers 5% of requests with a
// 5xx and drops the answer of 5% of the writes it stored, on the default
// account and on the strict one. It ends with no order lost, one deal per
// order, one contact per customer and a bounded number of requests.
func TestChaos(t *testing.T) {
	if testing.Short() {
		t.Skip("the chaos backfill takes a while")
	}
	forEachAccount(t, sandbox.Modes{}, func(t *testing.T, m sandbox.Modes) { testChaos(t, m, chaosShop{orders: 3000, customers: 2000}) })
}

// TestChaosExtras is TestChaos with products and tasks on, on half the
// shop: every deal also ends with its order's products linked once (a link
// sent twice adds up on the strict account) and one task.
func TestChaosExtras(t *testing.T) {
	if testing.Short() {
		t.Skip("the chaos backfill takes a while")
	}
	forEachAccount(t, sandbox.Modes{}, func(t *testing.T, m sandbox.Modes) {
		testChaos(t, m, chaosShop{orders: 1500, customers: 1000, extras: true})
	})
}

// chaosShop is the shop a chaos test backfills: its orders, of so many
// customers (phones; the other orders are repeat customers'), and whether
// products and tasks are on.
type chaosShop struct {
	orders, customers int
	extras            bool
}

func chaosConfig(extras bool) func(c *config.Config) {
	return func(c *config.Config) {
		c.Forms.Enabled, c.Users.Enabled = false, false
		c.Orders.Products.Enabled, c.Orders.Task.Enabled = extras, extras
	}
}

func testChaos(t *testing.T, modes sandbox.Modes, shop chaosShop) {
	extras := shop.extras
	h := newHarnessModes(t, modxtest.Options{}, chaosConfig(extras), modes)
	rng := rand.New(rand.NewPCG(12, 1))
	var products []int64
	for i := range chaosProducts * btoi(extras) {
		products = append(products, h.product(fmt.Sprintf("Товар %d", i), fmt.Sprintf("CH-%d", i), fmt.Sprintf("%d.00", 100+i)))
	}
	var orders []int64
	phones := map[string]bool{}
	for i := range shop.orders {
		c := i % shop.customers
		phone := fmt.Sprintf("+7 9%02d 000-%02d-%02d", c/10000, c/100%100, c%100)
		phones[phone] = true
		spec := modxtest.OrderSpec{Address: map[string]any{"phone": phone, "email": nil}}
		for j := range (i%3 + 1) * btoi(extras) { // one to three lines
			spec.Lines = append(spec.Lines, modxtest.LineSpec{ProductID: products[(i*7+j*13)%chaosProducts], Count: int64(1 + (i+j)%4)})
		}
		orders = append(orders, h.order(spec))
	}
	h.box.ResetRequests()
	h.box.SetFaults(sandbox.Faults{ErrorRate: chaosErrorRate})
	var runs, selfKills int
	var childErrs strings.Builder // what the killed processes said, shown on failure
	defer func() {
		if t.Failed() {
			t.Logf("the processes' errors:\n%s", childErrs.String())
		}
	}()
	for ; runs < chaosRuns && !h.done(shop.orders); runs++ {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), envChaosDSN+"="+h.dsn, envChaosURL+"="+h.url, envChaosSeed+"="+strconv.Itoa(runs))
		if extras {
			cmd.Env = append(cmd.Env, envChaosExtras+"=1")
		}
		cmd.Stderr = &childErrs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
		select {
		case <-exited:
			selfKills++
		case <-time.After(time.Duration(50+rng.IntN(750)) * time.Millisecond):
			cmd.Process.Kill()
			<-exited
		}
	}
	t.Logf("%d processes killed (%d by themselves right after a write); %d deals before the last clean pass",
		runs, selfKills, len(h.box.Leads()))
	h.box.SetFaults(sandbox.Faults{})
	h.pass(syncer.PassOptions{})
	parked, err := h.store.Failures(h.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(parked) > 0 {
		// Deals waiting for a contact whose create had no answer are
		// parked with that reason; `retry` sends them.
		t.Logf("%d orders parked on the way, retried: first %q", len(parked), parked[0].Reason)
		if _, err := h.store.Retry(h.ctx, true, nil); err != nil {
			t.Fatal(err)
		}
	}
	h.pass(syncer.PassOptions{})

	h.checkOnce(t, once{orders: orders, deals: shop.orders, contacts: len(phones), extras: extras})
	if left, err := h.store.Failures(h.ctx); err != nil || len(left) > 0 {
		t.Errorf("parked at the end: %d %v", len(left), err)
	}
	reqs := len(h.box.Requests())
	limit := shop.orders/50*chaosPer50 + runs*chaosPerRun
	if modes.FiltersIgnored {
		limit = shop.orders/50*chaosPer50 + runs*chaosPerRunUnfiltered
	}
	switch {
	case extras && modes.FiltersIgnored:
		limit += shop.orders/50*chaosExtrasPer50 + runs*chaosExtrasPerRunUnfiltered
	case extras:
		limit += shop.orders/50*chaosExtrasPer50 + runs*chaosExtrasPerRun
	}
	t.Logf("%s account: %d requests for %d orders (%d processes killed, %.0f%% 5xx, %.0f%% dropped answers): %.0f per 1,000 orders; %v",
		modes, reqs, shop.orders, runs, chaosErrorRate*100, chaosDropRate*100, float64(reqs)*1000/float64(shop.orders), requestsByPath(h.box))
	if reqs > limit {
		t.Errorf("requests: %d, want at most %d", reqs, limit)
	}
}

// chaosChild runs passes against the chaos account until it is killed.
func chaosChild() int {
	ctx := context.Background()
	cfg := config.Default()
	cfg.MODX.DSN, cfg.MODX.TablePrefix = os.Getenv(envChaosDSN), "modx_"
	cfg.AmoCRM.BaseURL, cfg.AmoCRM.LongLivedToken = os.Getenv(envChaosURL), testToken
	cfg.AmoCRM.RateLimit, cfg.AmoCRM.Timeout = 1000, config.Duration{Duration: 5 * time.Second}
	cfg.Orders.Enabled, cfg.Orders.PipelineID = true, config.IDRef{Name: "Воронка"}
	cfg.Sync.Start, cfg.Sync.Settle = "all", config.Duration{}
	chaosConfig(os.Getenv(envChaosExtras) != "")(&cfg)
	seed, _ := strconv.ParseUint(os.Getenv(envChaosSeed), 10, 64)
	s, err := site.Open(ctx, &cfg, site.Options{
		HTTPClient: &http.Client{Transport: &chaosTransport{rng: rand.New(rand.NewPCG(seed, 7))}},
		Sleep:      func(context.Context, time.Duration) error { return nil },
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	sy, err := s.Engine(site.EngineOptions{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	for {
		if _, err := sy.Pass(ctx, syncer.PassOptions{}); err != nil && !errors.Is(err, syncer.ErrStopped) {
			fmt.Fprintln(os.Stderr, "pass:", err)
		}
	}
}

// chaosTransport delivers every request; for a share of the writes amoCRM
// stored it loses the answer as a dropped connection would, and for
// another share it kills the process once the answer is in.
type chaosTransport struct {
	mu  sync.Mutex
	rng *rand.Rand
}

func (c *chaosTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err != nil || r.Method == http.MethodGet || resp.StatusCode >= 300 {
		return resp, err
	}
	switch roll := c.roll(); {
	case roll < chaosDieRate:
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {}
	case roll < chaosDieRate+chaosDropRate:
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return nil, errors.New("connection reset after the write (chaos)")
	}
	return resp, nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (c *chaosTransport) roll() float64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.rng.Float64()
}

// done reports whether every one of n orders has a deal and no create is
// pending.
func (h *harness) done(n int) bool {
	h.t.Helper()
	pending, err := h.store.Pending(h.ctx, plan.KindOrder)
	if err != nil {
		h.t.Fatal(err)
	}
	return len(pending) == 0 && len(h.box.Leads()) >= n
}
