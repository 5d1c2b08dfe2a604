package sandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// formMeta is the form metadata of complex (category "forms") and of
// unsorted forms.
type formMeta struct {
	Category   *string `json:"category"`
	FormID     *string `json:"form_id"`
	FormName   *string `json:"form_name"`
	FormPage   *string `json:"form_page"`
	IP         *string `json:"ip"`
	FormSentAt *int64  `json:"form_sent_at"`
	Referer    *string `json:"referer"`
	VisitorUID *string `json:"visitor_uid"`
}

// checkFormMeta validates form metadata; complex needs category "forms".
func checkFormMeta(c *checker, prefix string, raw json.RawMessage, needCategory bool) {
	nested(c, prefix, func(sub *checker) {
		var m formMeta
		if !decodeStrict(sub, "", raw, &m) {
			return
		}
		required := []struct {
			path string
			v    *string
		}{{"form_id", m.FormID}, {"form_name", m.FormName}, {"form_page", m.FormPage}}
		for _, f := range required {
			if f.v == nil || *f.v == "" {
				sub.missing(f.path)
			}
		}
		if m.FormSentAt == nil {
			sub.missing("form_sent_at")
		}
		switch {
		case needCategory && m.Category == nil:
			sub.missing("category")
		case m.Category != nil && *m.Category != "forms":
			sub.choice("category")
		}
	})
}

type complexResult struct {
	ID        int64    `json:"id"`
	ContactID *int64   `json:"contact_id"`
	CompanyID *int64   `json:"company_id"`
	RequestID []string `json:"request_id"`
	Merged    bool     `json:"merged"`
}

type complexItem struct {
	lead    checkedLead
	contact *contactInput
	checked checkedCommon
}

// handleComplex is POST /api/v4/leads/complex: up to 50 leads, each with at
// most one new contact, answered with a plain array. Companies are not
// emulated. Without Modes.DuplicateControl merged is always false.
func (s *Server) handleComplex(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := checkBatch(w, r, maxComplexBatch, s.checkComplex)
	if !ok {
		return
	}
	dupControl, known := s.modes().DuplicateControl, len(s.st.Contacts)
	out := make([]complexResult, len(b.checked))
	for i, it := range b.checked {
		out[i] = complexResult{RequestID: []string{b.rids[i]}}
		res := &out[i]
		if it.contact == nil {
			res.ID = s.applyLead(it.lead, false).ID
			continue
		}
		var dup *ContactState
		if dupControl {
			dup = s.duplicateOf(it.checked.fields, known)
		}
		if dup == nil {
			c := s.applyContact(*it.contact, it.checked, false)
			res.ContactID = &c.ID
			it.lead.contacts = []ContactLink{{ID: c.ID, IsMain: true}}
			res.ID = s.applyLead(it.lead, false).ID
			continue
		}
		res.Merged, res.ContactID = true, &dup.ID
		s.fillEmpty(entityContacts, &dup.Entity, it.checked)
		if l := s.leadOfContact(dup.ID, it.lead.pipelineID); l != nil {
			s.fillEmpty(entityLeads, &l.Entity, it.lead.common)
			res.ID = l.ID
			continue
		}
		it.lead.contacts = []ContactLink{{ID: dup.ID, IsMain: true}}
		res.ID = s.applyLead(it.lead, false).ID
	}
	writeJSON(w, http.StatusOK, contentHAL, out)
}

func (s *Server) checkComplex(c *checker, in leadInput) complexItem {
	it := complexItem{lead: s.checkLead(c, in, false)}
	emb := in.embedded()
	tooMany := func(path string, fvs []FieldValues) {
		if n := countValues(fvs); n > maxComplexValues {
			c.fail(codeCount, path, fmt.Sprintf("This collection should contain %d elements or less.", maxComplexValues))
		}
	}
	tooMany("custom_fields_values", it.lead.common.fields)
	switch len(emb.Contacts) {
	case 0:
	case 1:
		ci, cc := s.decodeContact(c, "_embedded.contacts.0", emb.Contacts[0])
		it.contact, it.checked = &ci, cc
		tooMany("_embedded.contacts.0.custom_fields_values", cc.fields)
	default:
		c.fail(codeCount, "_embedded.contacts", "This collection should contain 1 element or less.")
	}
	if emb.Metadata != nil {
		checkFormMeta(c, "_embedded.metadata", emb.Metadata, true)
		// Form metadata sends the lead to the pipeline's unsorted column.
		if p := s.st.pipeline(it.lead.pipelineID); p != nil {
			it.lead.statusID = unsortedStatus(p)
		}
	}
	return it
}
