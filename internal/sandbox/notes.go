package sandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
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
