package transform

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/modx-amocrm/modx-amocrm/internal/config"
)

// extendedElement is the key of user_attributes.extended whose values
// override a user's contact, as in the old extra.
const extendedElement = "amoCRMFields"

// kv is one key and its value as text, in a stable (sorted) order.
type kv struct{ key, value string }

// orderProps is properties.<properties_element> of an order.
type orderProps struct {
	pipeline    *pipeline // nil: not given
	status      config.IDRef
	responsible int64
	tags        []string
	fields      []kv // lead custom fields by name, code or id
	contact     []kv // contactFields
}

// oldLeadKeys are keys the old extra took from properties that have no
// meaning here (ids and dates it managed itself).
var oldLeadKeys = map[string]bool{
	"order_id": true, "name": true, "price": true, "date_create": true, "company_id": true, "visitor_uid": true,
}

// parseProps reads the order's properties element; nil when there is none.
func (m *Mapper) parseProps(raw json.RawMessage, notes *[]string) (*orderProps, error) {
	el := m.cfg.Orders.PropertiesElement
	if el == "" {
		return nil, nil
	}
	obj, err := element(raw, el)
	if err != nil {
		return nil, &RecordError{Field: "properties", Err: err}
	}
	if obj == nil {
		return nil, nil
	}
	key := "properties." + el + "."
	p := &orderProps{}
	for _, k := range slices.Sorted(maps.Keys(obj)) {
		v := obj[k]
		switch k {
		case "pipeline_id":
			if ref := jsonRef(v); !ref.IsZero() {
				if p.pipeline, err = m.acc.pipeline(ref); err != nil {
					return nil, &RecordError{Field: key + k, Err: err}
				}
			}
		case "status_id":
			p.status = jsonRef(v)
		case "responsible_user_id":
			if p.responsible, err = m.acc.user(jsonRef(v)); err != nil {
				return nil, &RecordError{Field: key + k, Err: err}
			}
		case "tags":
			p.tags = splitList(jsonText(v))
		case "contactFields":
			c, _, err := object(v)
			if err != nil {
				return nil, &RecordError{Field: key + k, Err: err}
			}
			p.contact = pairs(c)
		default:
			if oldLeadKeys[k] {
				*notes = append(*notes, fmt.Sprintf("%s%s is ignored: set by the sync itself", key, k))
				continue
			}
			p.fields = append(p.fields, kv{k, jsonText(v)})
		}
	}
	return p, nil
}

// element returns raw[name] when raw is a JSON object holding an object
// there; nil otherwise. Only broken JSON is an error: PHP writes an empty
// array as [], and a shop may keep anything else in properties.
func element(raw json.RawMessage, name string) (map[string]json.RawMessage, error) {
	top, ok, err := object(raw)
	if err != nil || !ok {
		return nil, err
	}
	el, _, err := object(top[name])
	return el, err
}

// object decodes a JSON object; ok is false for empty input or any other
// JSON value.
func object(raw json.RawMessage) (obj map[string]json.RawMessage, ok bool, err error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil, false, nil
	}
	if err := json.Unmarshal(raw, &obj); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return nil, false, nil
		}
		return nil, false, jsonError(raw)
	}
	return obj, obj != nil, nil
}

// jsonError describes invalid JSON by the offset where it breaks.
func jsonError(raw []byte) error {
	var v any
	var se *json.SyntaxError
	if err := json.Unmarshal(raw, &v); errors.As(err, &se) {
		return fmt.Errorf("invalid JSON at offset %d", se.Offset)
	}
	return errors.New("invalid JSON")
}

func pairs(obj map[string]json.RawMessage) []kv {
	out := make([]kv, 0, len(obj))
	for _, k := range slices.Sorted(maps.Keys(obj)) {
		out = append(out, kv{k, jsonText(obj[k])})
	}
	return out
}

// jsonText renders a JSON value as text: strings unquoted, numbers and
// booleans as written, arrays joined with ", ", null as "".
func jsonText(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return ""
	}
	switch raw[0] {
	case '"':
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return ""
		}
		return strings.TrimSpace(s)
	case '[':
		var items []json.RawMessage
		if json.Unmarshal(raw, &items) != nil {
			return ""
		}
		parts := make([]string, 0, len(items))
		for _, it := range items {
			if s := jsonText(it); s != "" {
				parts = append(parts, s)
			}
		}
		return strings.Join(parts, ", ")
	case 'n':
		return ""
	}
	return string(raw)
}

// jsonRef reads an id or a name: a number or a string of digits is an id.
func jsonRef(raw json.RawMessage) config.IDRef {
	s := jsonText(raw)
	if s == "" || s == "0" {
		return config.IDRef{}
	}
	if id, err := strconv.ParseInt(s, 10, 64); err == nil && id > 0 {
		return config.IDRef{ID: id}
	}
	return config.IDRef{Name: s}
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
