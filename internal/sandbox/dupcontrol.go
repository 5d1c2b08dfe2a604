package sandbox

import (
	"slices"
	"strings"
)

// Duplicate control of leads/complex (Modes.DuplicateControl), as the
// Kommo complex-leads reference and amoCRM's duplication-control page
// describe it: a new lead whose contact shares a phone or an e-mail with a
// contact stored before the request is merged, and answered merged: true.
// Leads in one request are not checked against each other.

// contactKeys returns the phones (their last ten digits) and e-mails
// (lower-cased) among field values.
func contactKeys(fvs []FieldValues) []string {
	var keys []string
	for _, f := range fvs {
		for _, v := range f.Values {
			s := strings.TrimSpace(valueText(v.Value))
			switch f.FieldCode {
			case "PHONE":
				if d, ok := phoneDigits(s); ok {
					keys = append(keys, "p:"+d[max(0, len(d)-10):])
				}
			case "EMAIL":
				if strings.Contains(s, "@") {
					keys = append(keys, "e:"+strings.ToLower(s))
				}
			}
		}
	}
	return keys
}

// duplicateOf returns the newest of the first n stored contacts that shares
// a phone or an e-mail with fields, or nil.
func (s *Server) duplicateOf(fields []FieldValues, n int) *ContactState {
	want := contactKeys(fields)
	if len(want) == 0 {
		return nil
	}
	for i := n - 1; i >= 0; i-- {
		c := &s.st.Contacts[i]
		if slices.ContainsFunc(contactKeys(c.CustomFieldsValues), func(k string) bool { return slices.Contains(want, k) }) {
			return c
		}
	}
	return nil
}

// leadOfContact returns the newest lead of the pipeline whose main contact
// is id, or nil. Only such leads count as duplicates when a contact field
// matched (duplication-control page); closed ones are not spared.
func (s *Server) leadOfContact(id, pipelineID int64) *LeadState {
	for i := len(s.st.Leads) - 1; i >= 0; i-- {
		l := &s.st.Leads[i]
		if l.PipelineID != pipelineID {
			continue
		}
		for _, c := range l.Contacts {
			if c.ID == id && c.IsMain {
				return l
			}
		}
	}
	return nil
}

// fillEmpty merges a checked write into a stored entity the way a merge
// keeps what is there: only fields the entity has no value for are set, and
// tags are added.
func (s *Server) fillEmpty(entity string, e *Entity, in checkedCommon) {
	for _, f := range in.fields {
		if f.Values != nil && indexField(e.CustomFieldsValues, f.FieldID) < 0 {
			e.CustomFieldsValues = append(e.CustomFieldsValues, f)
		}
	}
	for _, t := range append(in.tags, in.add...) {
		t.ID = s.tagID(entity, t.Name)
		if !hasTag(e.Tags, t.ID) {
			e.Tags = append(e.Tags, t)
		}
	}
	e.UpdatedAt = s.now()
	e.writtenAt = s.opts.Now().UnixNano()
}
