package amocrm_test

import (
	"context"
	"testing"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/amocrm"
	"github.com/modx-amocrm/modx-amocrm/internal/crm"
	"github.com/modx-amocrm/modx-amocrm/internal/sandbox"
	"github.com/modx-amocrm/modx-amocrm/internal/sandbox/sandboxtest"
)

// TestLeadStatusEvents reads the moves a manager made back from the
// sandbox's event list: every page of a window, and nothing outside it.
func TestLeadStatusEvents(t *testing.T) {
	ctx := context.Background()
	clock := sandboxtest.NewClock()
	_, c := sandboxLongLived(t, sandbox.Options{Now: clock.Now, RPS: -1}, func(c *amocrm.Config) { c.RateLimit = 1000 })
	leads := make([]crm.Lead, 120)
	for i := range leads {
		leads[i].Name = "Заказ"
	}
	created, err := c.CreateLeads(ctx, leads)
	if err != nil {
		t.Fatal(err)
	}
	before := clock.Now().Unix()
	clock.Add(time.Minute)
	from := clock.Now().Unix()
	for i := range created {
		created[i] = crm.Lead{ID: created[i].ID, StatusID: 20005}
	}
	if err := c.UpdateLeads(ctx, created); err != nil {
		t.Fatal(err)
	}
	clock.Add(time.Minute)
	if err := c.UpdateLeads(ctx, []crm.Lead{{ID: created[0].ID, StatusID: sandbox.StatusWon}}); err != nil {
		t.Fatal(err)
	}

	var got []crm.Event
	pages := 0
	if err := c.LeadStatusEvents(ctx, from, from, func(es []crm.Event) error {
		pages++
		got = append(got, es...)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 120 || pages != 2 {
		t.Fatalf("got %d events in %d pages, want 120 in 2 (100 a page)", len(got), pages)
	}
	seen := map[int64]bool{}
	for _, e := range got {
		before, okB := e.StatusBefore()
		after, okA := e.StatusAfter()
		if e.Type != crm.EventLeadStatusChanged || !okB || !okA || before.ID != 20002 || after.ID != 20005 ||
			after.PipelineID != sandbox.MainPipelineID || e.CreatedAt != from {
			t.Fatalf("event %+v: want 20002 -> 20005 in pipeline %d at %d", e, sandbox.MainPipelineID, from)
		}
		seen[e.EntityID] = true
	}
	if len(seen) != 120 {
		t.Errorf("events name %d deals, want 120", len(seen))
	}
	n := 0
	if err := c.LeadStatusEvents(ctx, before, from-1, func(es []crm.Event) error { n += len(es); return nil }); err != nil || n != 0 {
		t.Errorf("window before the moves: %d events, %v; want none (204)", n, err)
	}
}
