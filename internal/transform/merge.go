package transform

import (
	"fmt"
	"strings"

	"github.com/modx-amocrm/modx-amocrm/internal/crm"
)

// readonlySet is contacts.readonly_fields resolved to the contact's name
// and field ids. Keys naming a field the account lacks protect nothing.
type readonlySet struct {
	name   bool
	fields map[int64]bool
}

func (m *Mapper) resolveReadonly() readonlySet {
	r := readonlySet{fields: make(map[int64]bool)}
	for _, k := range m.cfg.Contacts.ReadonlyFields {
		var f *crm.CustomField
		switch foldKey(k) {
		case "name", "fullname":
			r.name = true
			continue
		case "phone", "mobilephone":
			f = m.contactPlan.phone
		case "email":
			f = m.contactPlan.email
		default:
			f = m.contSet.find(k)
		}
		if f != nil {
			r.fields[f.ID] = true
		}
	}
	return r
}

// MergeContact computes the PATCH that brings a live contact up to what
// want says, and whether anything changes. New phones and e-mails are added
// to the multitext fields without dropping the others (amoCRM replaces a
// field's whole value list); contacts.readonly_fields never overwrite a
// value amoCRM already has, and empty values never overwrite anything.
func (m *Mapper) MergeContact(live crm.Contact, want *ContactDraft) (patch crm.Contact, changed bool) {
	patch.ID = live.ID
	if n := want.Contact.Name; n != "" && n != live.Name && !(m.readonly.name && live.Name != "") {
		patch.Name = n
	}
	for _, w := range want.Contact.CustomFieldsValues {
		if len(w.Values) == 0 {
			continue
		}
		have := liveValues(live.CustomFieldsValues, w.FieldID)
		if len(have) > 0 && m.readonly.fields[w.FieldID] {
			continue
		}
		if f := m.contSet.byID[w.FieldID]; f != nil && f.Type == "multitext" {
			if merged, added := union(have, w.Values); added {
				patch.CustomFieldsValues = append(patch.CustomFieldsValues, crm.CustomFieldValues{FieldID: w.FieldID, Values: merged})
			}
			continue
		}
		if !sameValues(have, w.Values) {
			patch.CustomFieldsValues = append(patch.CustomFieldsValues, w)
		}
	}
	return patch, patch.Name != "" || len(patch.CustomFieldsValues) > 0
}

func liveValues(cfv []crm.CustomFieldValues, fieldID int64) []crm.FieldValue {
	for _, c := range cfv {
		if c.FieldID == fieldID {
			return c.Values
		}
	}
	return nil
}

// union appends the wanted values the live list lacks (compared as
// normalised phones or e-mails).
func union(have, want []crm.FieldValue) ([]crm.FieldValue, bool) {
	out := make([]crm.FieldValue, 0, len(have)+len(want))
	seen := make(map[string]bool, len(have)+len(want))
	for _, h := range have {
		out = append(out, crm.FieldValue{Value: h.Value, EnumID: h.EnumID, EnumCode: h.EnumCode})
		seen[ValueKey(h.Value)] = true
	}
	added := false
	for _, w := range want {
		if k := ValueKey(w.Value); !seen[k] {
			seen[k] = true
			out = append(out, w)
			added = true
		}
	}
	return out, added
}

// ValueKey is the match key of a phone or e-mail field value ("phone:…",
// "email:…"), or the folded text of any other value.
func ValueKey(v any) string {
	s := fmt.Sprint(v)
	if strings.Contains(s, "@") {
		return EmailKeyPrefix + NormalizeEmail(s)
	}
	if n := NormalizePhone(s); n != "" {
		return PhoneKeyPrefix + n
	}
	return foldKey(s)
}

func sameValues(have, want []crm.FieldValue) bool {
	if len(have) != len(want) {
		return false
	}
	for i := range want {
		if want[i].EnumID != 0 {
			if have[i].EnumID != want[i].EnumID {
				return false
			}
			continue
		}
		if valueText(have[i].Value) != valueText(want[i].Value) {
			return false
		}
	}
	return true
}

// valueText compares values the API may echo in another form ("1500.00"
// sent, 1500 read back).
func valueText(v any) string {
	s := fmt.Sprint(v)
	if _, err := parseDecimal(s); err == nil {
		return displayDecimal(s)
	}
	return s
}

// IsMultitext reports whether the contact field with id holds a list of
// values (phones, e-mails) that merging adds to rather than replaces.
func (m *Mapper) IsMultitext(fieldID int64) bool {
	f := m.contSet.byID[fieldID]
	return f != nil && f.Type == "multitext"
}
