package sandbox_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/sandbox"
)

// eventPage is a GET /api/v4/events page as the documentation shows it.
type eventPage struct {
	Page  int `json:"_page"`
	Links struct {
		Next *struct{ Href string } `json:"next"`
	} `json:"_links"`
	Embedded struct {
		Events []struct {
			ID          string       `json:"id"`
			Type        string       `json:"type"`
			EntityID    int64        `json:"entity_id"`
			EntityType  string       `json:"entity_type"`
			CreatedBy   int64        `json:"created_by"`
			CreatedAt   int64        `json:"created_at"`
			AccountID   int64        `json:"account_id"`
			ValueBefore []eventValue `json:"value_before"`
			ValueAfter  []eventValue `json:"value_after"`
			Links       struct {
				Self struct{ Href string } `json:"self"`
			} `json:"_links"`
			Embedded struct {
				Entity struct {
					ID int64 `json:"id"`
				} `json:"entity"`
			} `json:"_embedded"`
		} `json:"events"`
	} `json:"_embedded"`
}

type eventValue struct {
	LeadStatus struct {
		ID         int64 `json:"id"`
		PipelineID int64 `json:"pipeline_id"`
	} `json:"lead_status"`
}

// TestStatusChangesAreEvents: every status or pipeline change made through
// PATCH /api/v4/leads is a lead_status_changed event with value_before and
// value_after; creating a lead or renaming it is not.
func TestStatusChangesAreEvents(t *testing.T) {
	a := start(t, sandbox.Options{})
	created := ids(t, a.do("POST", "/api/v4/leads", []map[string]any{{"name": "Заказ 1"}, {"name": "Заказ 2"}}).want(t, http.StatusOK), "leads")
	one, two := created[0], created[1]
	start := a.clock.Now().Unix()
	a.do("GET", "/api/v4/events", nil).want(t, http.StatusNoContent)

	a.do("PATCH", "/api/v4/leads", []map[string]any{{"id": one, "name": "Заказ 1 (переименован)"}}).want(t, http.StatusOK)
	a.clock.Add(time.Second)
	a.do("PATCH", "/api/v4/leads", []map[string]any{{"id": one, "status_id": 20005}}).want(t, http.StatusOK)
	a.clock.Add(time.Second)
	a.do("PATCH", "/api/v4/leads", []map[string]any{{"id": two, "pipeline_id": sandbox.WholesalePipelineID}}).want(t, http.StatusOK)

	var p eventPage
	a.do("GET", "/api/v4/events?filter[type]=lead_status_changed&filter[entity]=lead", nil).want(t, http.StatusOK).json(t, &p)
	if len(p.Embedded.Events) != 2 {
		t.Fatalf("events: got %d, want 2 (one per status change): %+v", len(p.Embedded.Events), p.Embedded.Events)
	}
	moved, newest := p.Embedded.Events[1], p.Embedded.Events[0]
	if newest.EntityID != two || moved.EntityID != one {
		t.Fatalf("events of leads %d, %d; want %d (newest first), %d", newest.EntityID, moved.EntityID, two, one)
	}
	if moved.Type != sandbox.EventLeadStatusChanged || moved.EntityType != "lead" || moved.CreatedBy != sandbox.AdminUserID ||
		moved.CreatedAt != start+1 || moved.AccountID != sandbox.DefaultAccountID || len(moved.ID) != 26 {
		t.Errorf("event = %+v", moved)
	}
	if b, a := moved.ValueBefore[0].LeadStatus, moved.ValueAfter[0].LeadStatus; b.ID != 20002 || b.PipelineID != sandbox.MainPipelineID || a.ID != 20005 || a.PipelineID != sandbox.MainPipelineID {
		t.Errorf("status move: before %+v, after %+v; want 20002 -> 20005 in %d", b, a, sandbox.MainPipelineID)
	}
	if a := newest.ValueAfter[0].LeadStatus; a.PipelineID != sandbox.WholesalePipelineID || a.ID != 20012 {
		t.Errorf("pipeline move: after %+v, want the first status 20012 of pipeline %d", a, sandbox.WholesalePipelineID)
	}
	if moved.Embedded.Entity.ID != one || !strings.HasSuffix(moved.Links.Self.Href, "/api/v4/events/"+moved.ID) {
		t.Errorf("links: entity %d, self %q", moved.Embedded.Entity.ID, moved.Links.Self.Href)
	}
	if newest.ID <= moved.ID {
		t.Errorf("ids do not sort by time: %s then %s", moved.ID, newest.ID)
	}

	var single eventPage
	body := a.do("GET", "/api/v4/events/"+moved.ID, nil).want(t, http.StatusOK).body
	response{body: []byte(`{"_embedded":{"events":[` + string(body) + `]}}`)}.json(t, &single)
	if len(single.Embedded.Events) != 1 || single.Embedded.Events[0].ID != moved.ID {
		t.Errorf("GET /api/v4/events/%s = %s", moved.ID, body)
	}
	a.do("GET", "/api/v4/events/01aaaaaaaaaaaaaaaaaaaaaaaa", nil).want(t, http.StatusNoContent)
}

// TestEventsOfOneSecond: newest second first, but within a second in the
// order they happened (the list documents no order; this is the reading a
// client that takes the first event as the last move gets wrong).
func TestEventsOfOneSecond(t *testing.T) {
	a := start(t, sandbox.Options{})
	lead := ids(t, a.do("POST", "/api/v4/leads", []map[string]any{{"name": "Заказ"}}).want(t, http.StatusOK), "leads")[0]
	for _, st := range []int64{20003, 20004} {
		a.do("PATCH", "/api/v4/leads", []map[string]any{{"id": lead, "status_id": st}}).want(t, http.StatusOK)
	}
	a.clock.Add(time.Second)
	a.do("PATCH", "/api/v4/leads", []map[string]any{{"id": lead, "status_id": 20005}}).want(t, http.StatusOK)
	var p eventPage
	a.do("GET", "/api/v4/events", nil).want(t, http.StatusOK).json(t, &p)
	var order []int64
	for _, e := range p.Embedded.Events {
		order = append(order, e.ValueAfter[0].LeadStatus.ID)
	}
	if fmt.Sprint(order) != "[20005 20003 20004]" {
		t.Errorf("events to %v, want [20005 20003 20004]", order)
	}
}

func TestEventFiltersAndPaging(t *testing.T) {
	a := start(t, sandbox.Options{})
	lead := ids(t, a.do("POST", "/api/v4/leads", []map[string]any{{"name": "Заказ"}}).want(t, http.StatusOK), "leads")[0]
	first := a.clock.Now().Unix()
	for _, st := range []int64{20003, 20004, 20005} {
		a.do("PATCH", "/api/v4/leads", []map[string]any{{"id": lead, "status_id": st}}).want(t, http.StatusOK)
		a.clock.Add(10 * time.Second)
	}
	count := func(query string) int {
		t.Helper()
		r := a.do("GET", "/api/v4/events?"+query, nil)
		if r.status == http.StatusNoContent {
			return 0
		}
		var p eventPage
		r.want(t, http.StatusOK).json(t, &p)
		return len(p.Embedded.Events)
	}
	for _, tt := range []struct {
		query string
		want  int
	}{
		{fmt.Sprintf("filter[created_at]=%d", first+10), 2},
		{fmt.Sprintf("filter[created_at][from]=%d&filter[created_at][to]=%d", first+10, first+10), 1},
		{fmt.Sprintf("filter[created_at][to]=%d", first+9), 1},
		{"filter[type]=lead_added", 0},
		{"filter[type][]=lead_status_changed&filter[type][]=lead_added", 3},
		{fmt.Sprintf("filter[entity]=lead&filter[entity_id]=%d", lead), 3},
		{fmt.Sprintf("filter[entity]=lead&filter[entity_id]=%d", lead+1), 0},
		{"filter[entity]=contact", 0},
		{fmt.Sprintf("filter[created_by]=%d", sandbox.AdminUserID), 3},
	} {
		if got := count(tt.query); got != tt.want {
			t.Errorf("%s: %d events, want %d", tt.query, got, tt.want)
		}
	}

	var p eventPage
	a.do("GET", "/api/v4/events?limit=2", nil).want(t, http.StatusOK).json(t, &p)
	if len(p.Embedded.Events) != 2 || p.Links.Next == nil || !strings.Contains(p.Links.Next.Href, "page=2") {
		t.Fatalf("page 1: %d events, next %v", len(p.Embedded.Events), p.Links.Next)
	}
	if got := count("limit=2&page=2"); got != 1 {
		t.Errorf("page 2: %d events, want 1", got)
	}
	for _, bad := range []string{"limit=101", "filter[entity_id]=1", "filter[value_after][leads_statuses][0][status_id]=1", "filter[created_at]=soon"} {
		a.do("GET", "/api/v4/events?"+bad, nil).want(t, http.StatusBadRequest)
	}
}
