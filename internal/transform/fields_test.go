package transform

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/modx-amocrm/modx-amocrm/internal/crm"
)

func TestFieldValue(t *testing.T) {
	long := strings.Repeat("я", TextareaLimit+5)
	sel := &crm.CustomField{Type: "select", Enums: []crm.Enum{{ID: 61, Value: "Сайт"}}}
	tests := []struct {
		field *crm.CustomField
		in    string
		want  crm.FieldValue
		err   string
	}{
		{&crm.CustomField{Type: "text"}, long, crm.FieldValue{Value: long[:2*TextLimit]}, ""},
		{&crm.CustomField{Type: "textarea"}, long, crm.FieldValue{Value: long[:2*TextareaLimit]}, ""},
		{&crm.CustomField{Type: "numeric"}, "1.250", crm.FieldValue{Value: "1.250"}, ""},
		{&crm.CustomField{Type: "numeric"}, "1,25", crm.FieldValue{}, `"1,25" is not a number`},
		{&crm.CustomField{Type: "checkbox"}, "0", crm.FieldValue{Value: false}, ""},
		{&crm.CustomField{Type: "checkbox"}, "Да", crm.FieldValue{Value: true}, ""},
		{sel, " сайт ", crm.FieldValue{EnumID: 61}, ""},
		{sel, "Звонок", crm.FieldValue{}, `"Звонок" is not one of its options`},
		{&crm.CustomField{Type: "tracking_data"}, "yandex", crm.FieldValue{Value: "yandex"}, ""},
		{&crm.CustomField{Type: "legal_entity"}, "x", crm.FieldValue{}, "type legal_entity is not supported"},
	}
	for _, tt := range tests {
		got, err := fieldValue(tt.field, tt.in)
		if got != tt.want || (err == nil) != (tt.err == "") || err != nil && err.Error() != tt.err {
			t.Errorf("fieldValue(%s, %.20q) = %+.30v, %v; want %+.30v, %q", tt.field.Type, tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestFieldValues_set(t *testing.T) {
	var notes []string
	fv := fieldValues{skipEmpty: true, autoCreate: true, notes: &notes}
	text := &crm.CustomField{ID: 1, Name: "comment", Type: "text"}
	fv.set(text, FieldSpec{}, strings.Repeat("x", 300))
	fv.set(text, FieldSpec{}, "override") // a later value replaces the earlier one
	fv.set(nil, FieldSpec{Name: "extra", Type: "text"}, "v")
	fv.set(nil, FieldSpec{Name: "Extra", Type: "text"}, "again") // reported once
	fv.set(nil, FieldSpec{Name: "empty", Type: "text"}, "")      // nothing to send: not needed yet
	fv.set(&crm.CustomField{ID: 2, Name: "n", Type: "numeric"}, FieldSpec{}, "abc")
	if len(fv.out) != 1 || fv.out[0].Values[0].Value != "override" {
		t.Errorf("out = %+v, want one field with the override", fv.out)
	}
	if len(fv.missing) != 1 || fv.missing[0].Name != "extra" {
		t.Errorf("missing = %+v, want extra once", fv.missing)
	}
	joined := strings.Join(notes, "\n")
	for _, want := range []string{`field "comment": cut to 256 characters`, `field "n": "abc" is not a number, not sent`} {
		if !strings.Contains(joined, want) {
			t.Errorf("notes %q lack %q", joined, want)
		}
	}
}

func TestCut(t *testing.T) {
	for _, tt := range []struct {
		in   string
		n    int
		want string
	}{{"абв", 2, "аб"}, {"абв", 3, "абв"}, {"abc", 0, ""}} {
		if got := cut(tt.in, tt.n); got != tt.want || !utf8.ValidString(got) {
			t.Errorf("cut(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}
