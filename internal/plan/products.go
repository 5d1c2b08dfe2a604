package plan

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/modx-amocrm/modx-amocrm/internal/crm"
	"github.com/modx-amocrm/modx-amocrm/internal/transform"
)

// Products (orders.products): each ordered product becomes, once, an
// element of amoCRM's products list, and a new deal links its products
// with their quantities once the deal and the elements exist. amoCRM takes
// no products in a deal's create body (amocrm-api-php #487), and linking
// an element again may add to its quantity, so links are sent once, like
// creates: a pending marker first, and where links may have been sent
// before (a deal found after an unknown outcome, links owed) the deal's
// elements are read back and only what it lacks is sent.

// ProductsKind is the link and pending-marker kind of the product links of
// records of kind. The link maps a record to its deal with the hash of the
// quantities linked, "" while some are owed; the marker, keyed by the
// deal's id, is committed before the links are sent.
func ProductsKind(kind string) string { return kind + "_products" }

// ElementMarker is the pending-marker kind of element creates, by product
// id: after an unknown outcome the list is read before the element is made
// again.
const ElementMarker = "catalog_element"

// ElementRow is a product's element as the state keeps it.
type ElementRow struct {
	CatalogID, ProductID, ElementID int64
	Hash                            string // of the element last sent
}

// Element is what happens to one product's element of the products list.
type Element struct {
	CatalogID int64
	ProductID int64
	SKU       string // the product's article, by which a hand-made element is found
	// Want is the element as the shop has the product now; its ID is set
	// for an update.
	Want   crm.CatalogElement
	Hash   string
	Action Action // Create, Update or Unchanged
	Reason string
	// ID is the element: the one our state knows (Known), one found in the
	// list (Live), or, once applied, the created one.
	ID    int64
	Known bool
	Live  *crm.CatalogElement
	// Pending says an earlier create had an unknown outcome: the list was
	// read for it, and its marker is settled now.
	Pending bool

	Refused string // outcome: amoCRM's reason for refusing it
	Unknown bool   // outcome: the create had no answer and the list did not show it
}

// listed reports whether the element is news: written, or found in the
// list and remembered. Elements our state knows unchanged are not.
func (e *Element) listed() bool { return !e.Known || e.Action != Unchanged }

// Products are the products a deal links.
type Products struct {
	Lines []transform.ProductLine
	Hash  string // of the quantities by product: what the link records
	// Have are the deal's linked elements as amoCRM had them when planned,
	// read (Read) where links may have been sent before.
	Have []crm.ElementLink
	Read bool

	// Send are the links the deal lacks and Missing the products without
	// an element yet, as Linking found them.
	Send    []crm.Link
	Missing []int64
	sending []transform.ProductLine // the lines of Send, for the report

	Linked  bool   // outcome: Send are on the deal
	Refused string // outcome: amoCRM refused the links
	Unknown bool   // outcome: no answer, and the read-back did not show them all
}

// newProducts are a deal's products, with what was read of its links.
func newProducts(lines []transform.ProductLine, x Extras) (*Products, error) {
	h, err := quantitiesHash(lines)
	if err != nil {
		return nil, err
	}
	return &Products{Lines: lines, Hash: h, Have: x.Linked, Read: x.LinkedRead}, nil
}

// quantitiesHash is the hash of the quantities of lines, by product: what
// a products marker records as linked.
func quantitiesHash(lines []transform.ProductLine) (string, error) {
	type quantity struct {
		Product  int64   `json:"p"`
		Quantity float64 `json:"q"`
	}
	qs := make([]quantity, len(lines))
	for i, l := range lines {
		qs[i] = quantity{l.ProductID, l.Quantity}
	}
	slices.SortFunc(qs, func(a, b quantity) int { return cmp.Compare(a.Product, b.Product) })
	return transform.Hash(qs)
}

// ProductLines are the products the plan's deals link, one line per
// product: the newest order's (the highest record id), whose element is
// the product as the shop has it now. They are sorted by product id.
func (p *Plan) ProductLines() []transform.ProductLine {
	newest := map[int64]int64{}
	lines := map[int64]transform.ProductLine{}
	add := func(d *Deal, ls []transform.ProductLine) {
		for _, l := range ls {
			if id, ok := newest[l.ProductID]; !ok || d.Record.ID > id {
				newest[l.ProductID], lines[l.ProductID] = d.Record.ID, l
			}
		}
	}
	for _, d := range p.dealsWithExtras() {
		switch {
		case d.Products != nil:
			add(d, d.Products.Lines)
		case d.Revision != nil && d.Revision.Relink != nil: // an edited order's relinked products
			add(d, d.Revision.Relink.Lines)
		}
	}
	out := make([]transform.ProductLine, 0, len(lines))
	for _, id := range slices.Sorted(maps.Keys(lines)) {
		out = append(out, lines[id])
	}
	return out
}

// AddElements plans the elements of lines (ProductLines): known is what our
// state holds, by product id; found what the list holds of the others
// (read when our state may not know them all); pending the products whose
// create had an unknown outcome. A product our state knows is updated when
// the shop changed it; one found in the list is remembered, and updated
// when it differs (a hand-made element gets the external id); the others
// are created.
func (p *Plan) AddElements(lines []transform.ProductLine, known map[int64]ElementRow, found map[int64]crm.CatalogElement, pending map[int64]bool) {
	catalog := p.Meta.Products.Catalog.ID
	for _, l := range lines {
		e := &Element{CatalogID: catalog, ProductID: l.ProductID, SKU: l.SKU, Want: l.Element, Hash: l.Hash, Pending: pending[l.ProductID]}
		k, isKnown := known[l.ProductID]
		live, isFound := found[l.ProductID]
		switch {
		case isKnown:
			e.ID, e.Known, e.Action = k.ElementID, true, Unchanged
			if k.Hash != l.Hash {
				e.Action, e.Reason = Update, "renamed or repriced in the shop since it was sent"
			}
		case isFound:
			e.ID, e.Live, e.Action = live.ID, &live, Unchanged
			e.Reason = "found in the list by its external id or article; remembered"
			if !sameElement(live, l.Element) {
				e.Action, e.Reason = Update, e.Reason+", and updated to the shop's product"
			}
		default:
			e.Action = Create
		}
		if e.Action == Update {
			e.Want.ID = e.ID
		}
		p.Elements = append(p.Elements, e)
	}
}

// sameElement reports whether a live element has want's name and values.
func sameElement(live, want crm.CatalogElement) bool {
	if strings.TrimSpace(live.Name) != want.Name {
		return false
	}
	for _, f := range want.CustomFieldsValues {
		i := slices.IndexFunc(live.CustomFieldsValues, func(l crm.CustomFieldValues) bool { return l.FieldID == f.FieldID })
		if i < 0 || valuesText(live.CustomFieldsValues[i].Values) != valuesText(f.Values) {
			return false
		}
	}
	return true
}

// Elements are a plan's elements, one per product.
type Elements []*Element

// ToWrite are the creates and updates among the elements, in plan order.
func (es Elements) ToWrite() (creates, updates []*Element) {
	for _, e := range es {
		switch e.Action {
		case Create:
			creates = append(creates, e)
		case Update:
			updates = append(updates, e)
		}
	}
	return creates, updates
}

// of returns the element of a product, or nil.
func (es Elements) of(productID int64) *Element {
	for _, e := range es {
		if e.ProductID == productID {
			return e
		}
	}
	return nil
}

// ids are the elements written or known, by product: not a create
// refused or without an answer.
func (es Elements) ids() map[int64]int64 {
	ids := map[int64]int64{}
	for _, e := range es {
		if e.ID != 0 {
			ids[e.ProductID] = e.ID
		}
	}
	return ids
}

// Linking returns the deals whose products are linked now (the deal is
// written), each with the links it sends: every product's, or, where its
// links were read back, those it lacks; products whose element is not
// written yet are Missing.
func (p *Plan) Linking() []*Deal {
	var out []*Deal
	ids := p.Elements.ids()
	for _, d := range p.dealsWithExtras() {
		x := d.Products
		if x == nil || !d.written() {
			continue
		}
		want, missing := transform.ProductLinks(d.ID, p.Meta.Products.Catalog.ID, x.Lines, ids)
		if x.Read {
			want = transform.Unlinked(want, x.Have)
		}
		x.Send, x.Missing, x.sending = want, missing, nil
		for _, l := range want {
			i := slices.IndexFunc(x.Lines, func(pl transform.ProductLine) bool { return ids[pl.ProductID] == l.ToEntityID })
			x.sending = append(x.sending, x.Lines[i])
		}
		out = append(out, d)
	}
	return out
}

// Sending reports whether the deal has links to send.
func (x *Products) Sending() bool { return len(x.Send) > 0 }

// writes records a deal's links: done (the hash of its quantities), or
// owed (""), with the record parked when amoCRM refused them or the
// element of one, waiting when an element's create had no answer, and the
// marker kept after an unknown outcome for the next pass to read back.
func (x *Products) writes(w *Writes, p *Plan, d *Deal, park func(*Parked)) {
	if !x.Linked && x.Refused == "" && !x.Unknown {
		return // not attempted
	}
	kind := ProductsKind(p.Kind)
	link := Link{Kind: kind, SourceID: d.Record.ID, AmoID: d.ID}
	if x.Unknown {
		w.Links = append(w.Links, link)
		return
	}
	if x.Read || x.Sending() {
		w.clear(kind, d.Record.ID)
	}
	reason, refused := x.refusal(p)
	switch {
	case x.Refused != "":
		park(&Parked{Source: d.Source, Record: d.Record, Entity: "products", Reason: x.Refused})
	case refused:
		park(&Parked{Source: d.Source, Record: d.Record, Entity: "products", Reason: reason})
	case reason != "":
		w.wait(d.Record, reason)
	default:
		link.Hash = x.Hash
	}
	w.Links = append(w.Links, link)
}

// refusal says why products are missing: amoCRM refused an element
// (refused), or an element's create had no answer.
func (x *Products) refusal(p *Plan) (reason string, refused bool) {
	return p.missingElements(x.Missing, "on the next pass")
}

// missingElements says why the products missing are not linked: amoCRM
// refused an element (refused), or an element's create had no answer, and
// they are linked when retry says, after the list is read.
func (p *Plan) missingElements(missing []int64, retry string) (reason string, refused bool) {
	var lost []string
	for _, id := range missing {
		if e := p.Elements.of(id); e != nil && e.Refused != "" {
			return fmt.Sprintf("product %d is not linked: %s", id, e.Refused), true
		}
		lost = append(lost, strconv.FormatInt(id, 10))
	}
	if len(lost) == 0 {
		return "", false
	}
	return "waits for the elements of products " + strings.Join(lost, ", ") +
		", whose create had no answer: linked " + retry + ", after the list is read", false
}

// entry renders a deal's links: what is sent (each product with its
// quantity), or why nothing is.
func (x *Products) entry(p *Plan, d *Deal) (Entry, bool) {
	if len(x.Lines) == 0 || !x.Linked && x.Refused == "" && !x.Unknown {
		return Entry{}, false
	}
	e := Entry{Source: d.Source, Kind: "products", SourceID: d.Record.ID, Key: d.Record.Key(), AmoID: shown(d.ID),
		Title: dealTitle(d), Action: Create}
	for _, l := range x.sending {
		e.Changes = append(e.Changes, Change{Field: l.Element.Name, New: strconv.FormatFloat(l.Quantity, 'f', -1, 64)})
	}
	reason, refused := x.refusal(p)
	switch {
	case x.Unknown:
		e.Action, e.Reason = Skip, "outcome unknown: read back next pass, never linked twice"
	case x.Refused != "":
		e.Action, e.Reason = Fail, oneLine(x.Refused)
	case refused:
		e.Action, e.Reason = Fail, oneLine(reason)
	case reason != "" && !x.Sending():
		e.Action, e.Reason = Skip, reason
	case reason != "":
		e.Reason = reason
	case !x.Sending():
		e.Action, e.Reason = Unchanged, "already on the deal"
	}
	return e, true
}

// elementEntry renders an element that is news.
func (n names) elementEntry(source string, e *Element) Entry {
	out := Entry{Source: source, Kind: "element", Key: "product:" + strconv.FormatInt(e.ProductID, 10), Action: e.Action,
		AmoID: shown(e.ID), Title: e.Want.Name, Reason: e.Reason}
	if e.Action != Unchanged {
		var old crm.CatalogElement
		if e.Live != nil {
			old = *e.Live
		}
		out.Changes = n.elementChanges(old, e.Want)
	}
	switch {
	case e.Refused != "":
		out.Action, out.Reason = Fail, oneLine(e.Refused)
	case e.Unknown:
		out.Action, out.Reason = Skip, outcomeUnknown
	}
	return out
}

// elementChanges lists an element's name and fields, by the list's names
// for them, with what the list had (a found element's) before.
func (n names) elementChanges(old, want crm.CatalogElement) []Change {
	var out []Change
	if old.Name != want.Name {
		out = append(out, Change{Field: "name", Old: old.Name, New: want.Name})
	}
	var defs []crm.CustomField
	if n.meta.Products != nil {
		defs = n.meta.Products.Fields
	}
	have := fieldTexts(old.CustomFieldsValues, defs)
	for _, f := range want.CustomFieldsValues {
		name := fieldName(f, defs)
		if v := valuesText(f.Values); v != have[name] {
			out = append(out, Change{Field: name, Old: have[name], New: v})
		}
	}
	return out
}

// writes records the elements written or found, with the hash of what
// they hold now, and settles their markers; an update amoCRM refused keeps
// the hash last sent, so the next order of the product tries again.
func (es Elements) writes(w *Writes) {
	for _, e := range es {
		switch {
		case e.Unknown:
			continue // the marker stays: the list is read before it is made again
		case e.Refused != "" && e.Action == Create:
			w.clear(ElementMarker, e.ProductID)
			continue
		case e.Refused != "", e.Known && e.Action == Unchanged, e.ID == 0:
			continue
		}
		w.Elements = append(w.Elements, ElementRow{CatalogID: e.CatalogID, ProductID: e.ProductID, ElementID: e.ID, Hash: e.Hash})
		if e.Action == Create || e.Pending {
			w.clear(ElementMarker, e.ProductID)
		}
	}
}
