package syncer_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/modx/modxtest"
	"github.com/modx-amocrm/modx-amocrm/internal/sandbox"
	"github.com/modx-amocrm/modx-amocrm/internal/site"
	"github.com/modx-amocrm/modx-amocrm/internal/state"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer"
)

// The hard account of TestHardAccount.
const (
	hardOrders    = 300
	hardCustomers = 200
	hardDropRate  = 0.05 // write answers lost
	hardDieRate   = 0.25 // a killed process dies right after one write in four
)

// TestHardAccount is amoCRM as its documentation allows it to be: the
// strict account (search that finds nothing recent and no field values,
// filters ignored, validation errors that name no item, links that add up),
// 5% of write answers lost, and, in one run, the process killed four times
// mid-write, over 300 orders of 200 customers, three of which amoCRM
// refuses for a reason the connector cannot see in advance (a deal field
// deleted since the account's metadata was cached). It ends with every
// order a deal but those amoCRM refused (parked with its reason), one
// contact per customer, nothing twice: nothing outside a record parks it. Requests stay within 60 per 1,000 orders without refusals and
// restarts; the three refusals, which name no item on this account, cost
// about 2·log2(50) requests each to find in their batch of 50; the four
// restarts each plan their batch again, reading its customers' contacts
// one request each on an account without filters: 300 in all.
func TestHardAccount(t *testing.T) {
	if testing.Short() {
		t.Skip("the hard account's backfill takes a while")
	}
	for _, tc := range []struct {
		refused  bool
		restarts int
		per1000  int
	}{{false, 0, 60}, {true, 0, 120}, {true, 4, 300}} {
		t.Run(fmt.Sprintf("refused %v, %d restarts", tc.refused, tc.restarts), func(t *testing.T) {
			testHardAccount(t, tc.refused, tc.restarts, tc.per1000)
		})
	}
}

func testHardAccount(t *testing.T, withRefused bool, restarts, per1000 int) {
	h := newHarnessModes(t, modxtest.Options{}, chaosConfig(false), sandbox.Modes{}.Strict())
	goneLeadField(h) // the account's metadata cached, with a field amoCRM no longer has
	// The refused orders are in the first page: once amoCRM refuses them,
	// the account's metadata is read again, and later deals carry no
	// deleted field.
	refused := map[int]bool{}
	if withRefused {
		refused = map[int]bool{37: true, 111: true, 199: true}
	}
	var valid, bad []int64
	customers := map[string]bool{}
	phoneOf := map[int64]string{}
	for i := range hardOrders {
		phone := fmt.Sprintf("+7 905 %03d-00-%02d", i%hardCustomers/100, i%hardCustomers%100)
		spec := modxtest.OrderSpec{Address: map[string]any{"phone": phone, "email": nil}}
		if refused[i] {
			spec.Properties = goneFieldProperties
			id := h.order(spec)
			bad, phoneOf[id] = append(bad, id), phone
			continue
		}
		valid = append(valid, h.order(spec))
		customers[phone] = true
	}
	h.box.ResetRequests()

	rates := fmt.Sprintf("%g/%g", hardDieRate, hardDropRate)
	var childErrs strings.Builder
	for run := range restarts {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), envChaosDSN+"="+h.dsn, envChaosURL+"="+h.url,
			envChaosSeed+"="+strconv.Itoa(100+run), envChaosRates+"="+rates)
		cmd.Stderr = &childErrs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
		select {
		case <-exited:
		case <-time.After(20 * time.Second): // it finished everything without dying
			cmd.Process.Kill()
			<-exited
		}
	}
	// Then passes in this process that still lose 5% of write answers,
	// until nothing is left to do, and a clean one.
	lossy, err := site.Open(h.ctx, h.cfg, site.Options{
		HTTPClient: &http.Client{Transport: &chaosTransport{rng: rand.New(rand.NewPCG(9, 7)), drop: hardDropRate}},
		Logger:     h.site.Logger(),
		Sleep:      func(context.Context, time.Duration) error { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	defer lossy.Close()
	e, err := lossy.Engine(site.EngineOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		if _, err := e.Pass(h.ctx, syncer.PassOptions{}); err != nil {
			t.Fatalf("pass: %v\nthe processes said:\n%s", err, childErrs.String())
		}
		if h.done(len(valid)) {
			break
		}
	}
	h.pass(syncer.PassOptions{})

	// amoCRM refuses an order carrying the deleted field until the
	// connector reads the account again; orders it sends after that carry
	// no deleted field. So the parked list is some of those orders, each
	// with amoCRM's reason, and every other order has exactly one deal.
	parked, err := h.store.Failures(h.ctx)
	if err != nil {
		t.Fatal(err)
	}
	sent := slices.Clone(valid)
	for _, f := range parked {
		if !slices.Contains(bad, f.SourceID) || !strings.Contains(f.Reason, "amoCRM refused") {
			t.Errorf("order %d parked (%q): nothing is wrong with it", f.SourceID, f.Reason)
		}
	}
	for _, id := range bad {
		if !slices.ContainsFunc(parked, func(f state.Failure) bool { return f.SourceID == id }) {
			sent = append(sent, id)
			customers[phoneOf[id]] = true
		}
	}
	// (A process killed after the refusal and before its commit leaves
	// nothing parked: the next one reads the account afresh.)
	if withRefused && restarts == 0 && len(parked) == 0 {
		t.Errorf("no order parked: the deleted field was never refused")
	}
	h.checkOnce(t, once{orders: sent, deals: len(sent), contacts: len(customers)})
	reqs := len(h.box.Requests())
	t.Logf("%d restarts: %d requests for %d orders, %.0f per 1,000; %v", restarts, reqs, hardOrders,
		float64(reqs)*1000/hardOrders, requestsByPath(h.box))
	if reqs*1000 > per1000*hardOrders {
		t.Errorf("requests: %d, want at most %d per 1,000 orders", reqs, per1000)
	}
}
