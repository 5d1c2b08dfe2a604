package syncer_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/modx/modxtest"
	"github.com/modx-amocrm/modx-amocrm/internal/plan"
	"github.com/modx-amocrm/modx-amocrm/internal/site"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer"
)

// TestRefusedCarrierParksOnlyItself: a new customer's first deal carries
// their new contact through leads/complex; when amoCRM refuses that deal
// for a reason of its own, the customer's next order carries the contact
// itself in the same pass, and only the refused order is parked.
func TestRefusedCarrierParksOnlyItself(t *testing.T) {
	h := newHarness(t, modxtest.Options{}, nil)
	goneLeadField(h)
	phone := map[string]any{"phone": "+7 903 111-22-33", "receiver": "Анна"}
	bad := h.order(modxtest.OrderSpec{Address: phone, Properties: goneFieldProperties})
	good := h.order(modxtest.OrderSpec{Address: phone})
	res := h.pass(syncer.PassOptions{})
	if _, ok := h.leadsByOrder()[itoa(good)]; !ok {
		t.Errorf("order %d has no deal: the refusal of order %d's deal held it back (%s)", good, bad, res.Summary())
	}
	parked, err := h.store.Failures(h.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(parked) != 1 || parked[0].SourceID != bad {
		t.Errorf("parked %+v, want only order %d", parked, bad)
	}
	if n := len(h.box.Contacts()); n != 1 {
		t.Errorf("%d contacts, want 1", n)
	}
}

// TestLostCarrierWaits: when the answer to the create carrying a new
// contact is lost and the lookup after it fails too, the customer's next
// order is not parked: it waits, with no marker of a create that never
// started, and the next pass finds the first deal, then sends the second on
// its contact, with nothing made twice.
func TestLostCarrierWaits(t *testing.T) {
	h := newHarness(t, modxtest.Options{}, nil)
	phone := map[string]any{"phone": "+7 903 111-22-44", "receiver": "Борис"}
	first := h.order(modxtest.OrderSpec{Address: phone})
	second := h.order(modxtest.OrderSpec{Address: phone})

	lossy := &lossyTransport{}
	s, err := site.Open(h.ctx, h.cfg, site.Options{HTTPClient: &http.Client{Transport: lossy}, Logger: slog.New(slog.NewTextHandler(os.Stderr, nil)),
		Sleep: func(context.Context, time.Duration) error { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	e, err := s.Engine(site.EngineOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Pass(h.ctx, syncer.PassOptions{}); err != nil {
		t.Fatalf("pass with the answer and the lookup lost: %v", err)
	}
	if parked, _ := h.store.Failures(h.ctx); len(parked) != 0 {
		t.Errorf("parked %+v, want nothing: nothing is wrong with either order", parked)
	}
	if w := h.waitingOrders(); !slices.Equal(w, []int64{second}) {
		t.Errorf("waiting %v, want order %d", w, second)
	}
	if pending, _ := h.store.Pending(h.ctx, plan.KindOrder); len(pending) != 1 || pending[0].SourceID != first {
		t.Errorf("pending %+v, want only order %d's create, whose outcome is unknown", pending, first)
	}

	h.pass(syncer.PassOptions{})
	h.checkOnce(t, once{orders: []int64{first, second}, deals: 2, contacts: 1})
	if w := h.waitingOrders(); len(w) != 0 {
		t.Errorf("still waiting: %v", w)
	}
}

// lossyTransport loses the answer of the first leads/complex create (amoCRM
// stores it), and then every read of the deals list a lookup would make.
type lossyTransport struct {
	mu   sync.Mutex
	lost bool
}

func (l *lossyTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case req.Method == http.MethodPost && req.URL.Path == "/api/v4/leads/complex" && !l.lost:
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err == nil {
			resp.Body.Close()
			l.lost = true
			return nil, errors.New("connection reset by peer")
		}
		return resp, err
	case l.lost && req.Method == http.MethodGet && req.URL.Path == "/api/v4/leads":
		return nil, errors.New("connection reset by peer")
	}
	return http.DefaultTransport.RoundTrip(req)
}

// waitingOrders are the orders waiting in the state.
func (h *harness) waitingOrders() []int64 {
	h.t.Helper()
	w, err := h.store.Waiting(h.ctx, plan.KindOrder)
	if err != nil {
		h.t.Fatal(err)
	}
	var ids []int64
	for _, x := range w {
		ids = append(ids, x.SourceID)
	}
	return ids
}
