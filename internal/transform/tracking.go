package transform

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/modx-amocrm/modx-amocrm/internal/crm"
)

// knownTracking are the keys a shop or a form carries where the customer
// came from, and the codes of the deal's tracking fields («Метка»,
// tracking_data) they go to: the keys site integrations read from the
// browser, each field's code its name in upper case (reference §3.12).
var knownTracking = map[string]string{
	"utm_source": "UTM_SOURCE", "utm_medium": "UTM_MEDIUM", "utm_campaign": "UTM_CAMPAIGN",
	"utm_content": "UTM_CONTENT", "utm_term": "UTM_TERM", "yclid": "YCLID", "gclid": "GCLID",
	"fbclid": "FBCLID", "_ym_uid": "_YM_UID", "roistat": "ROISTAT", "referrer": "REFERRER",
}

// KnownTracking returns the known tracking keys and their fields' codes.
func KnownTracking() map[string]string { return maps.Clone(knownTracking) }

// trackingKey is a key the deal's tracking fields take, resolved.
type trackingKey struct {
	code  string
	field *crm.CustomField // nil: the account has no such field
}

// resolveTracking maps the known keys and orders.tracking to the account's
// lead fields by code. A key orders.tracking names must find its field; a
// known one the account lacks is noted on the records that carry it.
func (m *Mapper) resolveTracking() error {
	m.tracking = make(map[string]trackingKey, len(knownTracking)+len(m.cfg.Orders.Tracking))
	for k, code := range knownTracking {
		m.tracking[k] = trackingKey{code: code, field: m.leadSet.byCode[foldKey(code)]}
	}
	for _, k := range slices.Sorted(maps.Keys(m.cfg.Orders.Tracking)) {
		code := strings.TrimSpace(m.cfg.Orders.Tracking[k])
		f := m.leadSet.byCode[foldKey(code)]
		if f == nil {
			return fmt.Errorf("orders.tracking.%q: the account has no lead field with code %s (its tracking fields are listed by `modx-amocrm pipelines`)", k, code)
		}
		m.tracking[foldKey(k)] = trackingKey{code: code, field: f}
	}
	return nil
}

// isTrackingKey reports whether a properties or form key is a tracking one.
func (m *Mapper) isTrackingKey(k string) bool {
	_, ok := m.tracking[foldKey(k)]
	return ok
}

// setTracking puts the tracking values of sources into fv, later sources
// winning over earlier ones; keys are matched in any case.
func (m *Mapper) setTracking(fv *fieldValues, sources ...map[string]string) {
	byCode := map[string]string{}
	var codes []string
	keyOf := map[string]trackingKey{}
	for _, src := range sources {
		for _, k := range slices.Sorted(maps.Keys(src)) {
			t, ok := m.tracking[foldKey(k)]
			v := strings.TrimSpace(src[k])
			if !ok || v == "" {
				continue
			}
			if _, seen := byCode[t.code]; !seen {
				codes = append(codes, t.code)
			}
			byCode[t.code], keyOf[t.code] = v, t
		}
	}
	for _, code := range codes {
		t := keyOf[code]
		if t.field == nil {
			fv.note("tracking %s: the account has no tracking field %s, not sent", strings.ToLower(code), code)
			continue
		}
		fv.set(t.field, FieldSpec{}, byCode[code])
	}
}

// orderTracking returns the tracking sources of an order's properties, in
// rising precedence: the top level, orders.tracking_element, then
// orders.properties_element (the old extra's plugins wrote there).
func (m *Mapper) orderTracking(raw json.RawMessage) []map[string]string {
	top, ok, _ := object(raw)
	if !ok {
		return nil
	}
	out := []map[string]string{texts(top)}
	for _, el := range []string{m.cfg.Orders.TrackingElement, m.cfg.Orders.PropertiesElement} {
		if el == "" {
			continue
		}
		if obj, _, _ := object(top[el]); obj != nil {
			out = append(out, texts(obj))
		}
	}
	return out
}

// texts renders an object's values as text.
func texts(obj map[string]json.RawMessage) map[string]string {
	out := make(map[string]string, len(obj))
	for k, v := range obj {
		out[k] = jsonText(v)
	}
	return out
}
