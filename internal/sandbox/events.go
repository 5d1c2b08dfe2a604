package sandbox

import (
	"cmp"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Event types the sandbox records.
const EventLeadStatusChanged = "lead_status_changed"

// maxEventsLimit is the events list's page limit ("Максимум – 100").
const maxEventsLimit = 100

// Event is an entry of the account's event list (GET /api/v4/events). The
// sandbox records one for every status or pipeline change of a lead made
// through its API, in the documented shape.
type Event struct {
	ID          string       `json:"id"`
	Type        string       `json:"type"`
	EntityID    int64        `json:"entity_id"`
	EntityType  string       `json:"entity_type"`
	CreatedBy   int64        `json:"created_by"`
	CreatedAt   int64        `json:"created_at"`
	ValueAfter  []EventValue `json:"value_after"`
	ValueBefore []EventValue `json:"value_before"`
	AccountID   int64        `json:"account_id"`
}

// EventValue is one element of value_before / value_after.
type EventValue struct {
	LeadStatus *LeadStatusValue `json:"lead_status,omitempty"`
}

// LeadStatusValue is a lead's place: its status in its pipeline.
type LeadStatusValue struct {
	ID         int64 `json:"id"`
	PipelineID int64 `json:"pipeline_id"`
}

// statusChanged records that lead l left status from of pipeline
// fromPipeline; s.mu is held.
func (s *Server) statusChanged(l *LeadState, fromPipeline, from int64) {
	at := s.opts.Now()
	n := s.st.next(seqEvent)
	s.st.Events = append(s.st.Events, Event{
		ID: eventID(at.UnixMilli(), n), Type: EventLeadStatusChanged, EntityID: l.ID, EntityType: "lead",
		CreatedBy: s.st.Account.CurrentUserID, CreatedAt: at.Unix(), AccountID: s.st.Account.ID,
		ValueBefore: []EventValue{{LeadStatus: &LeadStatusValue{ID: from, PipelineID: fromPipeline}}},
		ValueAfter:  []EventValue{{LeadStatus: &LeadStatusValue{ID: l.StatusID, PipelineID: l.PipelineID}}},
	})
}

// eventID makes an id of the documented form ("01pz58t6p04vxyd3mvvmwtnk4y":
// 26 characters of lower-case Crockford base32) from the time and a
// sequence, so that ids sort by time like the ULIDs they look like.
func eventID(ms, n int64) string {
	const digits = "0123456789abcdefghjkmnpqrstvwxyz"
	var b [26]byte
	for i := 9; i >= 0; i-- {
		b[i] = digits[ms&31]
		ms >>= 5
	}
	for i := 25; i >= 10; i-- {
		b[i] = digits[n&31]
		n >>= 5
	}
	return string(b[:])
}

// eventFilter is the filter of an events list request.
type eventFilter struct {
	ids, types, entities map[string]bool
	entityIDs, authors   map[int64]bool
	from, to             int64 // created_at bounds, inclusive; 0 is open
}

// parseEventFilter reads the documented filters of GET /api/v4/events;
// value_before and value_after are refused rather than ignored.
func parseEventFilter(q url.Values) (eventFilter, error) {
	var f eventFilter
	for key, vals := range q {
		name, ok := strings.CutPrefix(key, "filter[")
		if !ok {
			continue
		}
		field, bound, _ := strings.Cut(name, "]")
		var err error
		switch field {
		case "id":
			f.ids = stringSet(f.ids, vals)
		case "type":
			f.types = stringSet(f.types, vals)
		case "entity":
			f.entities = stringSet(f.entities, vals)
		case "entity_id":
			f.entityIDs, err = idSet(key, f.entityIDs, vals)
		case "created_by":
			f.authors, err = idSet(key, f.authors, vals)
		case "created_at":
			err = f.createdAt(key, bound, vals)
		default:
			err = fmt.Errorf("filter %s is not supported by the sandbox", key)
		}
		if err != nil {
			return f, err
		}
	}
	if f.entityIDs != nil && len(f.entities) != 1 {
		return f, fmt.Errorf("filter[entity_id] needs exactly one filter[entity]")
	}
	return f, nil
}

// createdAt reads filter[created_at]=T (from T on) or [from]/[to].
func (f *eventFilter) createdAt(key, bound string, vals []string) error {
	n, err := strconv.ParseInt(vals[0], 10, 64)
	if err != nil {
		return fmt.Errorf("%s: %q is not a timestamp", key, vals[0])
	}
	switch bound {
	case "", "[from]":
		f.from = n
	case "[to]":
		f.to = n
	default:
		return fmt.Errorf("unsupported filter %s", key)
	}
	return nil
}

// stringSet adds comma-separated or repeated values (filter[x][]=...) to set.
func stringSet(set map[string]bool, vals []string) map[string]bool {
	if set == nil {
		set = map[string]bool{}
	}
	for _, v := range vals {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				set[s] = true
			}
		}
	}
	return set
}

func idSet(key string, set map[int64]bool, vals []string) (map[int64]bool, error) {
	if set == nil {
		set = map[int64]bool{}
	}
	for s := range stringSet(nil, vals) {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%s: %q is not an id", key, s)
		}
		set[id] = true
	}
	return set, nil
}

func (f eventFilter) keeps(e *Event) bool {
	return (f.ids == nil || f.ids[e.ID]) && (f.types == nil || f.types[e.Type]) &&
		(f.entities == nil || f.entities[e.EntityType]) && (f.entityIDs == nil || f.entityIDs[e.EntityID]) &&
		(f.authors == nil || f.authors[e.CreatedBy]) &&
		(f.from == 0 || e.CreatedAt >= f.from) && (f.to == 0 || e.CreatedAt <= f.to)
}

type eventView struct {
	Event
	Links    links `json:"_links"`
	Embedded struct {
		Entity struct {
			ID    int64 `json:"id"`
			Links links `json:"_links"`
		} `json:"entity"`
	} `json:"_embedded"`
}

func viewEvent(r *http.Request, e Event) eventView {
	v := eventView{Event: e, Links: selfLinks(r, "/api/v4/events/"+e.ID)}
	v.Embedded.Entity.ID = e.EntityID
	v.Embedded.Entity.Links = selfLinks(r, fmt.Sprintf("/api/v4/%ss/%d", e.EntityType, e.EntityID))
	return v
}

// handleEvents is GET /api/v4/events: filtered, newest second first (the
// order amoCRM's own event feed shows; the API documents none) but within
// one second in the order the events happened, so a client cannot take the
// first it sees as a deal's last move; paged by page and limit (at most
// 100; more is a 400, the stricter reading).
func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var p listParams
	var err error
	if p.page, err = intParam(q, "page", 1); err == nil {
		p.limit, err = intParam(q, "limit", defaultLimit)
	}
	if err == nil && p.limit > maxEventsLimit {
		err = fmt.Errorf("limit must be at most %d", maxEventsLimit)
	}
	f, ferr := parseEventFilter(q)
	if err = errors.Join(err, ferr); err != nil {
		badRequest(w, err.Error())
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var kept []Event
	for i := range s.st.Events { // stored as they happened
		if e := &s.st.Events[i]; f.keeps(e) {
			kept = append(kept, *e)
		}
	}
	slices.SortStableFunc(kept, func(a, b Event) int { return cmp.Compare(b.CreatedAt, a.CreatedAt) })
	page, more := pageOf(kept, p)
	views := make([]eventView, len(page))
	for i, e := range page {
		views[i] = viewEvent(r, e)
	}
	writePage(w, r, p, "events", views, len(views), more)
}

// handleEvent is GET /api/v4/events/{id}; an unknown id is 204, as for
// leads and contacts.
func (s *Server) handleEvent(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range s.st.Events {
		if e.ID == r.PathValue("id") {
			writeHAL(w, viewEvent(r, e))
			return
		}
	}
	noContent(w)
}

// Events returns a copy of the recorded events, oldest first.
func (s *Server) Events() []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return deepCopy(s.st.Events)
}
