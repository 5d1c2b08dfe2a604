package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Batch limits: 250 entities per write, 50 per complex request, 40 custom
// field values per entity in complex.
const (
	maxBatch         = 250
	maxComplexBatch  = 50
	maxComplexValues = 40
	maxTextLen       = 256   // text and other one-line string fields
	maxTextareaLen   = 10000 // textarea
)

// Validation codes and details in amoCRM's (Symfony's) wording.
const (
	codeChoice     = "NotSupportedChoice"
	codeMissing    = "FieldMissing"
	codeType       = "InvalidType"
	codeUnexpected = "FieldNotExpected"
	codeTooLong    = "TooLongValue"
	codeBlank      = "NotBlank"
	codeCount      = "InvalidCount"
	codeUnique     = "NotUnique"

	detailChoice     = "The value you selected is not a valid choice."
	detailMissing    = "This field is missing."
	detailUnexpected = "This field was not expected."
	detailBlank      = "This value should not be blank."
	detailUnique     = "This value is already used."
)

type fieldError struct {
	Code   string `json:"code"`
	Path   string `json:"path"`
	Detail string `json:"detail"`
}

type itemErrors struct {
	RequestID string       `json:"request_id"`
	Errors    []fieldError `json:"errors"`
}

// checker gathers the errors of one item of a write.
type checker struct {
	rid  string
	errs []fieldError
}

func (c *checker) fail(code, path, detail string) {
	c.errs = append(c.errs, fieldError{Code: code, Path: path, Detail: detail})
}
func (c *checker) missing(path string) { c.fail(codeMissing, path, detailMissing) }
func (c *checker) choice(path string)  { c.fail(codeChoice, path, detailChoice) }
func (c *checker) ok() bool            { return len(c.errs) == 0 }

// writeValidation answers 400 with one validation-errors entry per bad item.
func writeValidation(w http.ResponseWriter, checks []*checker) bool {
	var items []itemErrors
	for _, c := range checks {
		if !c.ok() {
			items = append(items, itemErrors{RequestID: c.rid, Errors: c.errs})
		}
	}
	if len(items) == 0 {
		return false
	}
	writeJSON(w, http.StatusBadRequest, contentProblem, struct {
		Errors []itemErrors `json:"validation-errors"`
		problem
	}{items, problem{Title: "Bad Request", Type: "https://httpstatus.es/400", Status: http.StatusBadRequest, Detail: "Request validation failed"}})
	return true
}

// readBatch reads a write body: a non-empty JSON array of at most max items.
func readBatch(w http.ResponseWriter, r *http.Request, max int) ([]json.RawMessage, bool) {
	var items []json.RawMessage
	if err := json.NewDecoder(r.Body).Decode(&items); err != nil {
		badRequest(w, "Request body must be a JSON array")
		return nil, false
	}
	switch {
	case len(items) == 0:
		badRequest(w, "Request body must not be an empty array")
		return nil, false
	case len(items) > max:
		badRequest(w, fmt.Sprintf("Too many entities in one request: %d, at most %d", len(items), max))
		return nil, false
	}
	return items, true
}

// batch is a checked write: each item's input, what its check returned
// and its request id.
type batch[In, C any] struct {
	inputs  []In
	checked []C
	rids    []string
}

// checkBatch reads a write body of at most max items, decodes each item
// strictly and runs check on those that decoded; s.mu must be held. When the
// body or any item is invalid it answers 400 and returns false: nothing of
// such a request is stored (stricter than amoCRM may be; clients split by
// request_id).
func checkBatch[In, C any](w http.ResponseWriter, r *http.Request, max int, check func(c *checker, in In) C) (batch[In, C], bool) {
	raw, ok := readBatch(w, r, max)
	if !ok {
		return batch[In, C]{}, false
	}
	b := batch[In, C]{inputs: make([]In, len(raw)), checked: make([]C, len(raw)), rids: make([]string, len(raw))}
	checks := make([]*checker, len(raw))
	for i, item := range raw {
		c := &checker{rid: requestID(item, i)}
		if decodeStrict(c, "", item, &b.inputs[i]) {
			b.checked[i] = check(c, b.inputs[i])
		}
		checks[i], b.rids[i] = c, c.rid
	}
	return b, !writeValidation(w, checks)
}

func requestID(raw json.RawMessage, i int) string {
	var v struct {
		RequestID any `json:"request_id"`
	}
	if json.Unmarshal(raw, &v) == nil {
		if s, ok := v.RequestID.(string); ok && s != "" {
			return s
		}
	}
	return strconv.Itoa(i)
}

// decodeStrict decodes raw into dst, reporting unknown keys and wrong types
// under path prefix as validation errors.
func decodeStrict(c *checker, prefix string, raw json.RawMessage, dst any) bool {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	err := dec.Decode(dst)
	if err == nil {
		return true
	}
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &te):
		c.fail(codeType, join(prefix, te.Field), "This value should be of type "+jsonKind(te.Type.String())+".")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		c.fail(codeUnexpected, join(prefix, name), detailUnexpected)
	default:
		c.fail(codeType, prefix, "This value should be of type object.")
	}
	return false
}

// nested runs checks of an embedded object on a fresh checker and reports
// its errors under prefix.
func nested(c *checker, prefix string, check func(sub *checker)) {
	sub := &checker{}
	check(sub)
	for _, e := range sub.errs {
		c.fail(e.Code, join(prefix, e.Path), e.Detail)
	}
}

func jsonKind(goType string) string {
	switch {
	case strings.Contains(goType, "int"):
		return "int"
	case strings.Contains(goType, "string"):
		return "string"
	case strings.Contains(goType, "bool"):
		return "bool"
	case strings.HasPrefix(goType, "[]") || strings.HasPrefix(goType, "*[]"):
		return "array"
	}
	return "object"
}

func join(prefix, name string) string {
	if prefix == "" {
		return name
	}
	if name == "" {
		return prefix
	}
	return prefix + "." + name
}

// fieldValuesInput is one custom_fields_values item of a request. Values is
// raw so that `"values": null` (clear) differs from a missing key.
type fieldValuesInput struct {
	FieldID   *int64          `json:"field_id"`
	FieldCode *string         `json:"field_code"`
	Values    json.RawMessage `json:"values"`
}

type valueInput struct {
	Value    any     `json:"value"`
	EnumID   *int64  `json:"enum_id"`
	EnumCode *string `json:"enum_code"`
}

// checkFieldValues validates custom_fields_values against the entity's
// fields. A result with nil Values clears that field.
func checkFieldValues(c *checker, prefix string, fields []CustomField, in []fieldValuesInput) []FieldValues {
	out := make([]FieldValues, 0, len(in))
	seen := map[int64]bool{}
	for i, fv := range in {
		path := fmt.Sprintf("%s.%d", prefix, i)
		f, ok := findField(c, path, fields, fv)
		if !ok {
			continue
		}
		if seen[f.ID] {
			c.fail(codeUnique, path+".field_id", detailUnique)
			continue
		}
		seen[f.ID] = true
		res := FieldValues{FieldID: f.ID, FieldCode: f.Code, FieldName: f.Name, FieldType: f.Type}
		switch {
		case fv.Values == nil:
			c.missing(path + ".values")
			continue
		case string(fv.Values) == "null":
			out = append(out, res)
			continue
		}
		var values []json.RawMessage
		if err := json.Unmarshal(fv.Values, &values); err != nil {
			c.fail(codeType, path+".values", "This value should be of type array.")
			continue
		}
		if len(values) == 0 || !multiValued(f.Type) && len(values) > 1 {
			c.fail(codeCount, path+".values", "This collection has a wrong number of elements.")
			continue
		}
		for j, raw := range values {
			if v, ok := checkValue(c, fmt.Sprintf("%s.values.%d", path, j), f, raw); ok {
				res.Values = append(res.Values, v)
			}
		}
		out = append(out, res)
	}
	return out
}

func findField(c *checker, path string, fields []CustomField, fv fieldValuesInput) (CustomField, bool) {
	if fv.FieldID == nil && fv.FieldCode == nil {
		c.missing(path + ".field_id")
		return CustomField{}, false
	}
	for _, f := range fields {
		idOK := fv.FieldID == nil || *fv.FieldID == f.ID
		codeOK := fv.FieldCode == nil || f.Code != "" && strings.EqualFold(*fv.FieldCode, f.Code)
		if idOK && codeOK {
			return f, true
		}
	}
	if fv.FieldID == nil {
		c.choice(path + ".field_code")
	} else {
		c.choice(path + ".field_id")
	}
	return CustomField{}, false
}

func multiValued(typ string) bool { return typ == "multitext" || typ == "multiselect" }

func hasEnums(typ string) bool {
	switch typ {
	case "select", "multiselect", "radiobutton", "multitext", "category":
		return true
	}
	return false
}

// checkValue validates one value of field f and returns it as stored.
func checkValue(c *checker, path string, f CustomField, raw json.RawMessage) (Value, bool) {
	var in valueInput
	if !decodeStrict(c, path, raw, &in) {
		return Value{}, false
	}
	before := len(c.errs)
	v := Value{Value: in.Value}
	if hasEnums(f.Type) {
		v.EnumID, v.EnumCode = checkEnum(c, path, f, in)
	} else if in.EnumID != nil || in.EnumCode != nil {
		c.choice(path + ".enum_id")
	}
	switch f.Type {
	case "select", "multiselect", "radiobutton", "category":
		v.Value = enumValue(f, v.EnumID)
	case "numeric", "price", "monetary":
		if !isNumeric(in.Value) {
			c.fail(codeType, path+".value", "This value should be of type numeric.")
		}
	case "checkbox":
		if _, ok := in.Value.(bool); !ok {
			c.fail(codeType, path+".value", "This value should be of type bool.")
		}
	case "date", "date_time", "birthday":
		if n, ok := in.Value.(json.Number); !ok || !isInt(n) {
			c.fail(codeType, path+".value", "This value should be a Unix timestamp.")
		}
	default:
		checkText(c, path+".value", f.Type, in.Value)
	}
	return v, len(c.errs) == before
}

// checkEnum resolves enum_id / enum_code (or, for selects, the option text
// in value). A multitext (PHONE, EMAIL) value may name no enum: amoCRM takes
// it, as the official SDK's examples send none; which enum amoCRM then
// records is not documented, so the sandbox records none.
func checkEnum(c *checker, path string, f CustomField, in valueInput) (int64, string) {
	if f.Type == "multitext" && in.EnumID == nil && in.EnumCode == nil {
		return 0, ""
	}
	for _, e := range f.Enums {
		switch {
		case in.EnumID != nil && *in.EnumID == e.ID && (in.EnumCode == nil || strings.EqualFold(*in.EnumCode, e.Value)):
			return e.ID, e.Value
		case in.EnumID == nil && in.EnumCode != nil && strings.EqualFold(*in.EnumCode, e.Value):
			return e.ID, e.Value
		case in.EnumID == nil && in.EnumCode == nil && in.Value == e.Value:
			return e.ID, e.Value
		}
	}
	switch {
	case in.EnumID != nil:
		c.choice(path + ".enum_id")
	case in.EnumCode != nil:
		c.choice(path + ".enum_code")
	default:
		c.choice(path + ".value")
	}
	return 0, ""
}

func enumValue(f CustomField, id int64) any {
	for _, e := range f.Enums {
		if e.ID == id {
			return e.Value
		}
	}
	return nil
}

func checkText(c *checker, path, typ string, v any) {
	s, ok := v.(string)
	if !ok {
		c.fail(codeType, path, "This value should be of type string.")
		return
	}
	if strings.TrimSpace(s) == "" {
		c.fail(codeBlank, path, detailBlank)
		return
	}
	limit := maxTextLen
	if typ == "textarea" {
		limit = maxTextareaLen
	}
	if utf8.RuneCountInString(s) > limit {
		c.fail(codeTooLong, path, fmt.Sprintf("This value is too long. It should have %d characters or less.", limit))
	}
}

func isNumeric(v any) bool {
	switch v := v.(type) {
	case json.Number:
		return true
	case string:
		_, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		return err == nil
	}
	return false
}

func isInt(n json.Number) bool {
	_, err := n.Int64()
	return err == nil
}

// mergeFields applies a write's field values to stored ones: a sent field
// replaces that field's values wholesale, nil Values removes it, and fields
// not sent stay as they were.
func mergeFields(stored, sent []FieldValues) []FieldValues {
	out := append([]FieldValues(nil), stored...)
	for _, s := range sent {
		i := indexField(out, s.FieldID)
		switch {
		case s.Values == nil && i >= 0:
			out = append(out[:i], out[i+1:]...)
		case s.Values == nil:
		case i >= 0:
			out[i] = s
		default:
			out = append(out, s)
		}
	}
	return out
}

func indexField(fvs []FieldValues, id int64) int {
	for i, f := range fvs {
		if f.FieldID == id {
			return i
		}
	}
	return -1
}

func countValues(fvs []FieldValues) int {
	n := 0
	for _, f := range fvs {
		n += len(f.Values)
	}
	return n
}
