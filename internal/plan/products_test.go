package plan

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/modx-amocrm/modx-amocrm/internal/crm"
	"github.com/modx-amocrm/modx-amocrm/internal/transform"
)

const catalogID = 7001

// productsMeta is an account with a products list whose SKU field is 11.
func productsMeta() *transform.Meta {
	return &transform.Meta{Products: &transform.ProductsList{Catalog: crm.Catalog{ID: catalogID, Name: "Товары"},
		Fields: []crm.CustomField{{ID: 11, Name: "Артикул", Code: crm.FieldSKU}}}}
}

// line is a product line of an order: the element as the shop has it.
func line(product int64, name string, quantity float64) transform.ProductLine {
	el := crm.CatalogElement{Name: name, CustomFieldsValues: []crm.CustomFieldValues{{FieldID: 11, Values: []crm.FieldValue{{Value: fmt.Sprint("SKU-", product)}}}}}
	return transform.ProductLine{ProductID: product, SKU: fmt.Sprint("SKU-", product), Element: el, Hash: name, Quantity: quantity}
}

// ordersWithProducts plans new orders with lines, each in its own plan's
// deals, as the orders source does.
func ordersWithProducts(t *testing.T, lines map[int64][]transform.ProductLine) *Plan {
	t.Helper()
	var orders []*Order
	for _, id := range slices.Sorted(maps.Keys(lines)) {
		o := order(id, 1, fmt.Sprint("7900", id))
		o.Deal.Products = lines[id]
		orders = append(orders, o)
	}
	p := planOrders(t, mapper{}, orders...)
	p.Meta = productsMeta()
	for i, o := range orders { // planOrders planned with an empty meta
		if err := attach(p.Meta, p.Deals[i], o.Deal.Products, nil, Extras{}, true); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

// TestProductLines: a product in several orders of a batch is one element,
// as the newest order has it.
func TestProductLines(t *testing.T) {
	p := ordersWithProducts(t, map[int64][]transform.ProductLine{
		1: {line(5, "Кружка", 1), line(6, "Ложка", 2)},
		2: {line(5, "Кружка большая", 3)},
	})
	var got []string
	for _, l := range p.ProductLines() {
		got = append(got, fmt.Sprintf("%d %s", l.ProductID, l.Element.Name))
	}
	if want := []string{"5 Кружка большая", "6 Ложка"}; !slices.Equal(got, want) {
		t.Errorf("lines %v, want %v", got, want)
	}
}

// TestAddElements: an element our state knows is left alone or updated,
// one found in the list is remembered (and updated when it differs), the
// others are created; only news is reported.
func TestAddElements(t *testing.T) {
	lines := []transform.ProductLine{line(1, "Кружка", 1), line(2, "Ложка", 1), line(3, "Чашка", 1), line(4, "Блюдце", 1), line(5, "Нож", 1)}
	known := map[int64]ElementRow{
		1: {CatalogID: catalogID, ProductID: 1, ElementID: 901, Hash: "Кружка"},
		2: {CatalogID: catalogID, ProductID: 2, ElementID: 902, Hash: "Ложка старая"},
	}
	found := map[int64]crm.CatalogElement{
		3: {ID: 903, Name: "Чашка", CustomFieldsValues: []crm.CustomFieldValues{{FieldID: 11, FieldCode: crm.FieldSKU, Values: []crm.FieldValue{{Value: "SKU-3"}}}}},
		4: {ID: 904, Name: "Блюдце (склад)"},
	}
	p := New(SourceOrders, KindOrder, productsMeta())
	p.AddElements(lines, known, found, map[int64]bool{5: true})
	var got []string
	for _, e := range p.Elements {
		got = append(got, fmt.Sprintf("%d:%s:%d:%d", e.ProductID, e.Action, e.ID, e.Want.ID))
	}
	want := []string{"1:unchanged:901:0", "2:update:902:902", "3:unchanged:903:0", "4:update:904:904", "5:create:0:0"}
	if !slices.Equal(got, want) {
		t.Errorf("elements:\n got %v\nwant %v", got, want)
	}
	var keys []string
	for _, e := range p.Entries(p.Writes()) {
		keys = append(keys, e.Key+" "+string(e.Action))
	}
	if want := []string{"product:2 update", "product:3 unchanged", "product:4 update", "product:5 create"}; !slices.Equal(keys, want) {
		t.Errorf("entries %v, want %v (what our state knows unchanged is not news)", keys, want)
	}

	// Applied: 5 made, 2's update refused.
	p.Elements[4].ID = 905
	p.Elements[1].Refused = "amoCRM refused the element's update: name"
	w := p.Writes()
	var rows []string
	for _, r := range w.Elements {
		rows = append(rows, fmt.Sprintf("%d=%d", r.ProductID, r.ElementID))
	}
	if want := []string{"3=903", "4=904", "5=905"}; !slices.Equal(rows, want) {
		t.Errorf("element rows %v, want %v (a refused update keeps the hash last sent)", rows, want)
	}
	if got := w.Cleared[ElementMarker]; !slices.Equal(got, []int64{5}) {
		t.Errorf("cleared element markers %v, want product 5's", got)
	}
}

// TestProductLinksOutcomes: what a deal's links leave in the state and the
// report, for each outcome of the links and of the elements they need.
func TestProductLinksOutcomes(t *testing.T) {
	kind := ProductsKind(KindOrder)
	tests := []struct {
		name string
		// apply sets the outcomes on a plan of order 1 (products 1 and 2,
		// element 901 known, 2 created as 902) whose deal is 501.
		apply      func(p *Plan, d *Deal)
		send       string // the links Linking sends: element x quantity
		action     Action
		hash       bool // the link records the quantities (else owed: "")
		parked     bool
		waits      bool
		keepMarker bool
	}{
		{name: "linked", send: "901x2 902x1", action: Create, hash: true, apply: func(p *Plan, d *Deal) {
			d.Products.Linked = true
		}},
		{name: "read back", send: "902x1", action: Create, hash: true, apply: func(p *Plan, d *Deal) {
			d.Products.Read, d.Products.Have = true, []crm.ElementLink{{ID: 901}}
			d.Products.Linked = true
		}},
		{name: "all there", send: "", action: Unchanged, hash: true, apply: func(p *Plan, d *Deal) {
			d.Products.Read, d.Products.Have = true, []crm.ElementLink{{ID: 901}, {ID: 902}}
			d.Products.Linked = true
		}},
		{name: "element lost", send: "901x2", action: Create, waits: true, apply: func(p *Plan, d *Deal) {
			p.Elements[1].ID, p.Elements[1].Unknown = 0, true
			d.Products.Linked = true
		}},
		{name: "element refused", send: "901x2", action: Fail, parked: true, apply: func(p *Plan, d *Deal) {
			p.Elements[1].ID, p.Elements[1].Refused = 0, "amoCRM refused the element: name"
			d.Products.Linked = true
		}},
		{name: "links refused", send: "901x2 902x1", action: Fail, parked: true, apply: func(p *Plan, d *Deal) {
			d.Products.Refused = "amoCRM refused the deal's products: to_entity_id"
		}},
		{name: "links lost", send: "901x2 902x1", action: Skip, keepMarker: true, apply: func(p *Plan, d *Deal) {
			d.Products.Unknown = true
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := ordersWithProducts(t, map[int64][]transform.ProductLine{1: {line(1, "Кружка", 2), line(2, "Ложка", 1)}})
			p.AddElements(p.ProductLines(), map[int64]ElementRow{1: {ProductID: 1, ElementID: 901, Hash: "Кружка"}}, nil, nil)
			d := p.Deals[0]
			d.ID, d.Contact.ID, p.Elements[1].ID = 501, 601, 902
			tt.apply(p, d)
			var send []string
			for _, dl := range p.Linking() {
				for _, l := range dl.Products.Send {
					send = append(send, fmt.Sprintf("%dx%g", l.ToEntityID, l.Metadata.Quantity))
				}
			}
			if got := strings.Join(send, " "); got != tt.send {
				t.Errorf("sends %q, want %q", got, tt.send)
			}
			w := p.Writes()
			i := slices.IndexFunc(w.Links, func(l Link) bool { return l.Kind == kind })
			switch {
			case i < 0:
				t.Fatalf("no %s link: %+v", kind, w.Links)
			case w.Links[i].AmoID != 501 || (w.Links[i].Hash != "") != tt.hash:
				t.Errorf("link %+v: want deal 501, hash recorded: %v", w.Links[i], tt.hash)
			}
			if got := len(w.Parked) == 1 && w.Parked[0].Entity == "products"; got != tt.parked {
				t.Errorf("parked %+v, want parked: %v", w.Parked, tt.parked)
			}
			if got := len(w.Waits) == 1; got != tt.waits {
				t.Errorf("waits %+v, want waiting: %v", w.Waits, tt.waits)
			}
			if kept := !slices.Contains(w.Cleared[kind], 1); kept != tt.keepMarker {
				t.Errorf("marker kept: %v, want %v", kept, tt.keepMarker)
			}
			var lead, products *Entry
			es := p.Entries(w)
			for i := range es {
				switch es[i].Kind {
				case "lead":
					lead = &es[i]
				case "products":
					products = &es[i]
				}
			}
			if lead == nil || lead.Action != Create {
				t.Errorf("the deal's entry %+v: want created, whatever its products", lead)
			}
			if products == nil || products.Action != tt.action {
				t.Fatalf("products entry %+v, want %s", products, tt.action)
			}
			if tt.action == Create && products.Changes[0].Field != "Кружка" && products.Changes[0].Field != "Ложка" {
				t.Errorf("products entry names its products by id: %+v", products.Changes)
			}
		})
	}
}

// TestOwedExtras: a deal made before gets only what it owes: products
// whose link was left owed, a task whose link has no id. One made before
// products and tasks were on gets nothing.
func TestOwedExtras(t *testing.T) {
	task := &crm.Task{Text: "Перезвонить"}
	lines := []transform.ProductLine{line(1, "Кружка", 1)}
	tests := []struct {
		name            string
		x               Extras
		products, tasks bool
	}{
		{"before products and tasks", Extras{}, false, false},
		{"all done", Extras{Products: Link{Kind: "order_products", Hash: "h"}, Task: Link{Kind: "order_task", AmoID: 5}}, false, false},
		{"products owed", Extras{Products: Link{Kind: "order_products"}, Task: Link{Kind: "order_task", AmoID: 5}}, true, false},
		{"task owed", Extras{Products: Link{Kind: "order_products", Hash: "h"}, Task: Link{Kind: "order_task"}}, false, true},
	}
	for _, tt := range tests {
		p := New(SourceOrders, KindOrder, productsMeta())
		d := &Deal{ID: 501}
		if err := attach(p.Meta, d, lines, task, tt.x, false); err != nil {
			t.Fatal(err)
		}
		if (d.Products != nil) != tt.products || (d.Task != nil) != tt.tasks {
			t.Errorf("%s: products %v, task %v; want %v, %v", tt.name, d.Products != nil, d.Task != nil, tt.products, tt.tasks)
		}
	}
}
