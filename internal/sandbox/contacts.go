package sandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

type contactInput struct {
	commonInput
	FirstName *string               `json:"first_name"`
	LastName  *string               `json:"last_name"`
	Embedded  *contactEmbeddedInput `json:"_embedded"`
}

type contactEmbeddedInput struct {
	Tags []tagInput `json:"tags"`
}

func (in contactInput) embeddedTags() []tagInput {
	if in.Embedded == nil {
		return nil
	}
	return in.Embedded.Tags
}

type contactView struct {
	entityView
	FirstName  string          `json:"first_name"`
	LastName   string          `json:"last_name"`
	IsUnsorted bool            `json:"is_unsorted"`
	Embedded   contactEmbedded `json:"_embedded"`
}

type contactEmbedded struct {
	Tags      []Tag   `json:"tags"`
	Companies []idRef `json:"companies"`
	Leads     []idRef `json:"leads,omitempty"`
}

func (s *Server) viewContact(r *http.Request, c *ContactState, with map[string]bool) contactView {
	v := contactView{entityView: s.viewEntity(r, entityContacts, &c.Entity), FirstName: c.FirstName, LastName: c.LastName,
		Embedded: contactEmbedded{Tags: tagsView(c.Tags), Companies: []idRef{}}}
	if with["leads"] {
		for _, l := range s.st.Leads {
			for _, link := range l.Contacts {
				if link.ID == c.ID {
					lk := selfLinks(r, fmt.Sprintf("/api/v4/leads/%d", l.ID))
					v.Embedded.Leads = append(v.Embedded.Leads, idRef{ID: l.ID, Links: &lk})
				}
			}
		}
	}
	return v
}

// handleWriteContacts is POST (create) or PATCH (update) /api/v4/contacts.
func (s *Server) handleWriteContacts(patch bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		b, ok := checkBatch(w, r, maxBatch, func(c *checker, in contactInput) checkedCommon {
			return s.checkContact(c, in, patch)
		})
		if !ok {
			return
		}
		res := make([]writeResult, len(b.inputs))
		for i, in := range b.inputs {
			c := s.applyContact(in, b.checked[i], patch)
			res[i] = s.result(r, entityContacts, &c.Entity, b.rids[i], patch)
		}
		s.writeResults(w, r, entityContacts, res)
	}
}

func (s *Server) checkContact(c *checker, in contactInput, patch bool) checkedCommon {
	return s.checkCommon(c, entityContacts, in.commonInput, in.embeddedTags(), patch, func(id int64) bool { return s.st.contact(id) != nil })
}

// applyContact creates or updates a checked contact; s.mu is held.
func (s *Server) applyContact(in contactInput, checked checkedCommon, patch bool) *ContactState {
	var c *ContactState
	if patch {
		c = s.st.contact(*in.ID)
	} else {
		c = s.st.addContact(ContactState{Entity: Entity{ID: s.st.next(seqContact)}})
	}
	if in.FirstName != nil {
		c.FirstName = *in.FirstName
	}
	if in.LastName != nil {
		c.LastName = *in.LastName
	}
	s.applyCommon(entityContacts, &c.Entity, checked, !patch)
	if in.Name == nil && (in.FirstName != nil || in.LastName != nil) {
		c.Name = strings.TrimSpace(c.FirstName + " " + c.LastName)
	}
	return c
}

// decodeContact decodes an embedded new contact (complex, unsorted forms).
// An id is refused: complex creates contacts, an existing one is linked
// through POST /leads instead (reference §8 q8, stricter side).
func (s *Server) decodeContact(c *checker, prefix string, raw json.RawMessage) (in contactInput, checked checkedCommon) {
	nested(c, prefix, func(sub *checker) {
		if decodeStrict(sub, "", raw, &in) {
			checked = s.checkContact(sub, in, false)
		}
	})
	return in, checked
}
