package transform

import (
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/modx-amocrm/modx-amocrm/internal/crm"
	"github.com/modx-amocrm/modx-amocrm/internal/shop"
)

// Edit is what an order edited in the shop changes in its deal: the PATCH
// of only the fields whose fresh mapping differs from what the deal last
// got, the product lines to unlink, link and requantify, and what the deal
// has once they are written. The deal's pipeline, status, responsible user,
// tags, contact and creation date are left alone: statuses travel on their
// own, and the rest is the managers'.
type Edit struct {
	// Lead holds the changed name, price and custom fields; the caller
	// sets its ID. Empty when nothing of the deal itself changed.
	Lead     crm.Lead
	Price    *PriceChange
	Renamed  bool
	Fields   []FieldChange
	Products ProductDiff
	Sent     Sent // what the deal has once Lead and Products are written
}

// PriceChange is the deal's price before and after; From is nil when the
// deal got no price before.
type PriceChange struct {
	From *int64
	To   int64
}

// FieldChange is a custom field set or cleared by an edit.
type FieldChange struct {
	ID      int64
	Name    string
	Value   string // the new value as people read it; "" when cleared or too long to show
	Cleared bool
}

// ProductDiff compares an order's product lines with those its deal got,
// by product: catalog elements to unlink and link, quantities to change.
type ProductDiff struct {
	Added   []SentLine
	Removed []SentLine
	Changed []LineChange // count or cost of a product still in the order
}

// LineChange is a product whose count or cost changed.
type LineChange struct {
	From, To SentLine
}

// Empty reports whether the diff changes no product.
func (p ProductDiff) Empty() bool {
	return len(p.Added) == 0 && len(p.Removed) == 0 && len(p.Changed) == 0
}

// Requantified are the products whose count changed: their links get the
// new quantity.
func (p ProductDiff) Requantified() []SentLine {
	var out []SentLine
	for _, c := range p.Changed {
		if c.From.Count != c.To.Count {
			out = append(out, c.To)
		}
	}
	return out
}

// Empty reports whether the edit changes nothing the deal shows: no
// request and no note.
func (e Edit) Empty() bool {
	return e.Price == nil && !e.Renamed && len(e.Fields) == 0 && e.Products.Empty()
}

// Changed names what the edit changes, for reports: "сумма", field names,
// "товары".
func (e Edit) Changed() []string {
	var out []string
	if e.Price != nil {
		out = append(out, "сумма")
	}
	if e.Renamed {
		out = append(out, "название")
	}
	for _, f := range e.Fields {
		out = append(out, f.Name)
	}
	if !e.Products.Empty() {
		out = append(out, "товары")
	}
	return out
}

// Edit compares fresh, a new mapping of o, with what the order's deal last
// got. A field is sent when its value differs from what was sent, or when
// the deal never got it; one the deal got and the order has emptied is
// cleared (contacts.skip_empty keeps empty values from being sent, not
// from replacing a value the shop no longer has). A field the deal got and
// the mapping no longer gives for another reason — removed from
// orders.fields, a properties key gone, a value the field refuses — is
// left alone.
func (m *Mapper) Edit(sent Sent, fresh *Deal, o *shop.Order) Edit {
	e := Edit{Sent: SentOf(fresh, o)}
	if p := fresh.Lead.Price; p != nil && (sent.Price == nil || *sent.Price != *p) {
		e.Price = &PriceChange{From: sent.Price, To: *p}
		e.Lead.Price = p
	}
	if e.Sent.Name != sent.Name {
		e.Renamed = true
		e.Lead.Name = fresh.Lead.Name
	}
	for _, cf := range fresh.Lead.CustomFieldsValues {
		if d, ok := sent.Fields[cf.FieldID]; ok && d == e.Sent.Fields[cf.FieldID] { // SentOf digested cf
			continue
		}
		e.Lead.CustomFieldsValues = append(e.Lead.CustomFieldsValues, cf)
		e.Fields = append(e.Fields, m.fieldChange(cf))
	}
	cleared := valuesDigest([]crm.FieldValue(nil))
	for _, id := range slices.Sorted(maps.Keys(sent.Fields)) {
		if _, ok := e.Sent.Fields[id]; ok || !slices.Contains(fresh.EmptyFields, id) {
			continue
		}
		e.Sent.Fields[id] = cleared
		if sent.Fields[id] == cleared {
			continue // cleared before
		}
		none := crm.CustomFieldValues{FieldID: id} // values: null
		e.Lead.CustomFieldsValues = append(e.Lead.CustomFieldsValues, none)
		e.Fields = append(e.Fields, m.fieldChange(none))
	}
	e.Products = diffLines(sent.Lines, e.Sent.Lines)
	return e
}

// fieldChange describes a custom field's new values for people.
func (m *Mapper) fieldChange(cf crm.CustomFieldValues) FieldChange {
	fc := FieldChange{ID: cf.FieldID, Name: "поле " + strconv.FormatInt(cf.FieldID, 10), Cleared: cf.Values == nil}
	f := m.leadSet.byID[cf.FieldID]
	if f != nil {
		fc.Name = f.Name
	}
	var parts []string
	for _, v := range cf.Values {
		parts = append(parts, valueShown(f, v))
	}
	if text := strings.Join(parts, ", "); len([]rune(text)) <= noteValueRunes && !strings.Contains(text, "\n") {
		fc.Value = text
	}
	return fc
}

// noteValueRunes bounds a value a note shows; longer ones (the goods list)
// are only named.
const noteValueRunes = 80

// valueShown is one value as amoCRM shows it: an option by its text, a flag
// as да/нет.
func valueShown(f *crm.CustomField, v crm.FieldValue) string {
	if v.EnumID != 0 && f != nil {
		for _, e := range f.Enums {
			if e.ID == v.EnumID {
				return e.Value
			}
		}
	}
	switch x := v.Value.(type) {
	case bool:
		if x {
			return "да"
		}
		return "нет"
	case nil:
		return ""
	}
	return valueText(v.Value)
}

// diffLines compares product lines by product id.
func diffLines(was, now []SentLine) ProductDiff {
	var d ProductDiff
	before := make(map[int64]SentLine, len(was))
	for _, l := range was {
		before[l.ProductID] = l
	}
	after := make(map[int64]bool, len(now))
	for _, l := range now {
		after[l.ProductID] = true
		w, ok := before[l.ProductID]
		switch {
		case !ok:
			d.Added = append(d.Added, l)
		case w.Count != l.Count || w.Cost != l.Cost:
			d.Changed = append(d.Changed, LineChange{From: w, To: l})
		}
	}
	for _, l := range was {
		if !after[l.ProductID] {
			d.Removed = append(d.Removed, l)
		}
	}
	return d
}

// LoseDeal is the PATCH that closes a deleted order's deal as lost (143,
// «Закрыто и не реализовано») in its pipeline, from the deal as amoCRM
// holds it now; ok is false for a deal closed already, won or lost, which
// is left as a manager closed it.
func LoseDeal(live crm.Lead) (patch crm.Lead, ok bool) {
	if live.StatusID == crm.StatusWon || live.StatusID == crm.StatusLost {
		return crm.Lead{}, false
	}
	return crm.Lead{ID: live.ID, PipelineID: live.PipelineID, StatusID: crm.StatusLost}, true
}
