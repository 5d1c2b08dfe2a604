package sandbox

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// noteParams lists, per note type, the params a note must carry.
var noteParams = map[string][]string{
	"common":                   {"text"},
	"service_message":          {"service", "text"},
	"extended_service_message": {"service", "text"},
	"message_cashier":          {"status", "text"},
	"sms_in":                   {"text", "phone"},
	"sms_out":                  {"text", "phone"},
	"call_in":                  {"uniq", "duration", "source", "phone"},
	"call_out":                 {"uniq", "duration", "source", "phone"},
	"geolocation":              {"text", "address", "longitude", "latitude"},
	"attachment":               {"file_uuid", "file_name"},
}

type noteInput struct {
	EntityID *int64          `json:"entity_id"`
	NoteType *string         `json:"note_type"`
	Params   json.RawMessage `json:"params"`
	// Text is accepted only so that the common mistake of sending text
	// outside params gets amoCRM's answer: FieldMissing at params.text.
	Text              json.RawMessage `json:"text"`
	CreatedBy         *int64          `json:"created_by"`
	ResponsibleUserID *int64          `json:"responsible_user_id"`
	CreatedAt         *int64          `json:"created_at"`
	RequestID         *string         `json:"request_id"`
}

// handleNotes is POST /api/v4/leads/notes and /api/v4/leads/{id}/notes.
func (s *Server) handleNotes(w http.ResponseWriter, r *http.Request) {
	var pathLead int64
	if r.PathValue("id") != "" {
		id, ok := pathID(r, "id")
		s.mu.Lock()
		found := ok && s.st.lead(id) != nil
		s.mu.Unlock()
		if !found {
			writeProblem(w, http.StatusNotFound, "Not Found", "Lead not found")
			return
		}
		pathLead = id
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := checkBatch(w, r, maxBatch, func(c *checker, in noteInput) noteInput {
		s.checkNote(c, in, pathLead)
		return in
	})
	if !ok {
		return
	}
	type result struct {
		ID        int64  `json:"id"`
		EntityID  int64  `json:"entity_id"`
		RequestID string `json:"request_id"`
		Links     links  `json:"_links"`
	}
	res := make([]result, len(b.inputs))
	for i, in := range b.inputs {
		n := NoteState{ID: s.st.next(seqNote), EntityID: pathLead, NoteType: *in.NoteType, Params: in.Params, CreatedAt: s.now()}
		setIf(&n.EntityID, in.EntityID)
		setIf(&n.CreatedAt, in.CreatedAt)
		s.st.Notes = append(s.st.Notes, n)
		res[i] = result{ID: n.ID, EntityID: n.EntityID, RequestID: b.rids[i],
			Links: selfLinks(r, fmt.Sprintf("/api/v4/leads/%d/notes/%d", n.EntityID, n.ID))}
	}
	writeHAL(w, struct {
		Links    links               `json:"_links"`
		Embedded map[string][]result `json:"_embedded"`
	}{selfLinks(r, r.URL.Path), map[string][]result{"notes": res}})
}

func (s *Server) checkNote(c *checker, in noteInput, pathLead int64) {
	switch {
	case in.EntityID == nil && pathLead == 0:
		c.missing("entity_id")
	case in.EntityID != nil && pathLead != 0 && *in.EntityID != pathLead:
		c.choice("entity_id")
	case in.EntityID != nil && s.st.lead(*in.EntityID) == nil:
		c.choice("entity_id")
	}
	if in.ResponsibleUserID != nil && !s.st.hasUser(*in.ResponsibleUserID) {
		c.choice("responsible_user_id")
	}
	if in.NoteType == nil {
		c.missing("note_type")
		return
	}
	required, ok := noteParams[*in.NoteType]
	if !ok {
		c.choice("note_type")
		return
	}
	var params map[string]any
	if in.Params != nil && json.Unmarshal(in.Params, &params) != nil {
		c.fail(codeType, "params", "This value should be of type object.")
		return
	}
	for _, key := range required {
		if v, ok := params[key]; !ok || v == nil || v == "" {
			c.missing("params." + key)
		}
	}
}

// noteView is a note as GET shows it (amocrm.ru crm_platform/notes-api,
// "Параметры примечания"): the API's notes are the integration user's and
// are never edited, so updated_at is created_at.
type noteView struct {
	ID                int64           `json:"id"`
	EntityID          int64           `json:"entity_id"`
	CreatedBy         int64           `json:"created_by"`
	UpdatedBy         int64           `json:"updated_by"`
	CreatedAt         int64           `json:"created_at"`
	UpdatedAt         int64           `json:"updated_at"`
	ResponsibleUserID int64           `json:"responsible_user_id"`
	GroupID           int64           `json:"group_id"`
	NoteType          string          `json:"note_type"`
	Params            json.RawMessage `json:"params"`
	AccountID         int64           `json:"account_id"`
	Links             links           `json:"_links"`
}

// handleLeadNoteList is GET /api/v4/leads/{id}/notes, the list the official
// SDK reads with EntityNotes::getByParentId: page and limit, filter[id],
// filter[note_type] (one or an array, NotesFilter::buildFilter),
// filter[updated_at], order[id|updated_at]; 204 when there is none, 404
// for an unknown deal.
func (s *Server) handleLeadNoteList(w http.ResponseWriter, r *http.Request) {
	id, known := pathID(r, "id")
	q := r.URL.Query()
	if s.modes().FiltersIgnored {
		q = withoutFilters(q)
	}
	types, q := noteTypes(q)
	p, ok := listOrFail(w, q)
	if !ok {
		return
	}
	if _, ok := p.ranges["created_at"]; ok || p.orderBy == "created_at" {
		badRequest(w, "notes are filtered and sorted by updated_at, not created_at")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !known || s.st.lead(id) == nil {
		writeProblem(w, http.StatusNotFound, "Not Found", "Lead not found")
		return
	}
	var notes []NoteState
	for _, n := range s.st.Notes {
		from, to := p.ranges["updated_at"][0], p.ranges["updated_at"][1]
		if n.EntityID != id || p.ids != nil && !p.ids[n.ID] || types != nil && !types[n.NoteType] ||
			from != 0 && n.CreatedAt < from || to != 0 && n.CreatedAt > to {
			continue
		}
		notes = append(notes, n)
	}
	slices.SortStableFunc(notes, func(a, b NoteState) int {
		c := cmp.Or(cmp.Compare(a.CreatedAt, b.CreatedAt), cmp.Compare(a.ID, b.ID))
		if p.orderBy == "id" {
			c = cmp.Compare(a.ID, b.ID)
		}
		if p.desc {
			return -c
		}
		return c
	})
	page, more := pageOf(notes, p)
	views := make([]noteView, len(page))
	user := s.st.Account.CurrentUserID
	for i, n := range page {
		views[i] = noteView{ID: n.ID, EntityID: n.EntityID, CreatedBy: user, UpdatedBy: user, CreatedAt: n.CreatedAt,
			UpdatedAt: n.CreatedAt, ResponsibleUserID: user, NoteType: n.NoteType, Params: n.Params, AccountID: s.st.Account.ID,
			Links: selfLinks(r, fmt.Sprintf("/api/v4/leads/%d/notes/%d", n.EntityID, n.ID))}
	}
	writePage(w, r, p, "notes", views, len(views), more)
}

// noteTypes takes filter[note_type] (also as filter[note_type][] or
// filter[note_type][0], as PHP's http_build_query writes an array) out of q;
// nil when there is none.
func noteTypes(q url.Values) (map[string]bool, url.Values) {
	var types map[string]bool
	rest := url.Values{}
	for k, v := range q {
		if k != "filter[note_type]" && !strings.HasPrefix(k, "filter[note_type][") {
			rest[k] = v
			continue
		}
		if types == nil {
			types = map[string]bool{}
		}
		for _, t := range v {
			types[t] = true
		}
	}
	return types, rest
}
