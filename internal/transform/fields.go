package transform

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/modx-amocrm/modx-amocrm/internal/crm"
)

// fieldSet finds an account's custom fields by numeric id, then by a name
// the config binds to an id (field_ids), then code, then name,
// case-insensitively.
type fieldSet struct {
	byID   map[int64]*crm.CustomField
	bound  map[string]*crm.CustomField
	byCode map[string]*crm.CustomField
	byName map[string]*crm.CustomField
}

// bind makes find(name) give the field with the id ids names it by
// (orders.field_ids, contacts.field_ids); an id the account lacks is an
// error naming table and key.
func (s *fieldSet) bind(table, entity string, ids map[string]int64) error {
	s.bound = make(map[string]*crm.CustomField, len(ids))
	for _, name := range slices.Sorted(maps.Keys(ids)) {
		f := s.byID[ids[name]]
		if f == nil {
			return fmt.Errorf("%s.%s: the account has no %s field %d", table, strconv.Quote(name), entity, ids[name])
		}
		s.bound[foldKey(name)] = f
	}
	return nil
}

func newFieldSet(fields []crm.CustomField) *fieldSet {
	s := &fieldSet{
		byID:   make(map[int64]*crm.CustomField, len(fields)),
		byCode: make(map[string]*crm.CustomField, len(fields)),
		byName: make(map[string]*crm.CustomField, len(fields)),
	}
	for i := range fields {
		f := &fields[i]
		s.byID[f.ID] = f
		if f.Code != "" {
			s.byCode[foldKey(f.Code)] = f
		}
		// The first of two same-named fields wins, as in the account's list order.
		if k := foldKey(f.Name); s.byName[k] == nil {
			s.byName[k] = f
		}
	}
	return s
}

func (s *fieldSet) find(key string) *crm.CustomField {
	if id, err := strconv.ParseInt(key, 10, 64); err == nil {
		return s.byID[id]
	}
	k := foldKey(key)
	if f := s.bound[k]; f != nil {
		return f
	}
	if f := s.byCode[k]; f != nil {
		return f
	}
	return s.byName[k]
}

// predefined finds one of amoCRM's predefined fields (PHONE, EMAIL) by
// code, unless the config binds the name to another field.
func (s *fieldSet) predefined(code string) *crm.CustomField {
	if f := s.bound[code]; f != nil {
		return f
	}
	return s.byCode[code]
}

func foldKey(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// fieldValues collects one entity's custom field values. A later value for
// the same field replaces an earlier one, so overrides are applied by order.
type fieldValues struct {
	skipEmpty  bool
	autoCreate bool
	out        []crm.CustomFieldValues
	missing    []FieldSpec
	empty      []int64 // fields left out because their value is empty and skipEmpty is on
	notes      *[]string
}

// set puts value into field f; f nil means the account lacks the field
// described by spec: it is reported missing (or skipped with a note), and
// its value waits until the field exists.
func (v *fieldValues) set(f *crm.CustomField, spec FieldSpec, value string) {
	if f == nil {
		v.setMissing(spec, value)
		return
	}
	if value == "" {
		if v.skipEmpty {
			v.empty = append(v.empty, f.ID)
		} else {
			v.put(crm.CustomFieldValues{FieldID: f.ID}) // values: null clears the field
		}
		return
	}
	fv, err := fieldValue(f, value)
	if err != nil {
		v.note("field %q: %v, not sent", f.Name, err)
		return
	}
	if s, ok := fv.Value.(string); ok && s != value {
		v.note("field %q: cut to %d characters", f.Name, utf8.RuneCountInString(s))
	}
	v.put(crm.CustomFieldValues{FieldID: f.ID, Values: []crm.FieldValue{fv}})
}

func (v *fieldValues) setMissing(spec FieldSpec, value string) {
	if value == "" && !spec.Required {
		return
	}
	if !v.autoCreate && !spec.Required {
		v.note("field %q is not in the account and auto_create_fields is off: not sent", spec.Name)
		return
	}
	for _, m := range v.missing {
		if sameName(m.Name, spec.Name) {
			return
		}
	}
	v.missing = append(v.missing, spec)
}

func (v *fieldValues) put(cf crm.CustomFieldValues) {
	for i := range v.out {
		if v.out[i].FieldID == cf.FieldID {
			v.out[i] = cf
			return
		}
	}
	v.out = append(v.out, cf)
}

func (v *fieldValues) note(format string, args ...any) {
	*v.notes = append(*v.notes, fmt.Sprintf(format, args...))
}

// fieldValue converts text to the shape the field's type takes. Types we
// cannot fill safely are refused rather than sent blindly.
func fieldValue(f *crm.CustomField, value string) (crm.FieldValue, error) {
	switch f.Type {
	case "text", "url", "", "tracking_data":
		// tracking_data («Метка») takes text like a text field (amocrm-api-php
		// README, field types; TrackingDataCustomFieldValueModel).
		return crm.FieldValue{Value: cut(value, TextLimit)}, nil
	case "textarea":
		return crm.FieldValue{Value: cut(value, TextareaLimit)}, nil
	case "numeric", "price", "monetary":
		if _, err := parseDecimal(value); err != nil {
			return crm.FieldValue{}, fmt.Errorf("%q is not a number", value)
		}
		return crm.FieldValue{Value: value}, nil
	case "checkbox":
		return crm.FieldValue{Value: truthy(value)}, nil
	case "select", "radiobutton", "multiselect":
		for _, e := range f.Enums {
			if sameName(e.Value, value) {
				return crm.FieldValue{EnumID: e.ID}, nil
			}
		}
		return crm.FieldValue{}, fmt.Errorf("%q is not one of its options", value)
	}
	return crm.FieldValue{}, fmt.Errorf("type %s is not supported", f.Type)
}

func truthy(s string) bool {
	switch foldKey(s) {
	case "", "0", "false", "no", "off", "нет":
		return false
	}
	return true
}

// cut shortens s to at most n runes.
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	i := 0
	for j := range s {
		if i == n {
			return s[:j]
		}
		i++
	}
	return s
}
