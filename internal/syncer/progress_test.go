package syncer_test

import (
	"errors"
	"testing"

	"github.com/modx-amocrm/modx-amocrm/internal/modx/modxtest"
	"github.com/modx-amocrm/modx-amocrm/internal/site"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer"
)

func TestPassProgressAndStop(t *testing.T) {
	h := newHarness(t, modxtest.Options{}, nil)
	for range 7 {
		h.order(modxtest.OrderSpec{})
	}

	stop := make(chan struct{})
	close(stop)
	res, err := h.engine(site.EngineOptions{}).Pass(h.ctx, syncer.PassOptions{Stop: stop})
	if !errors.Is(err, syncer.ErrStopped) {
		t.Fatalf("pass with Stop closed: err %v, want ErrStopped", err)
	}
	if got := len(h.box.Leads()); got != 0 || res == nil {
		t.Fatalf("stopped pass: %d deals, result %v; want 0 and a result", got, res)
	}

	var done, total int
	h.pass(syncer.PassOptions{Progress: func(d, t int) { done, total = d, t }})
	if done < 7 || total < 7 {
		t.Errorf("last progress: done %d of %d, want at least 7 of at least 7", done, total)
	}
	if got := len(h.box.Leads()); got != 7 {
		t.Errorf("deals after the full pass: got %d, want 7", got)
	}
}
