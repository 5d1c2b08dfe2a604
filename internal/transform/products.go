package transform

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/modx-amocrm/modx-amocrm/internal/config"
	"github.com/modx-amocrm/modx-amocrm/internal/crm"
	"github.com/modx-amocrm/modx-amocrm/internal/shop"
)

// ProductsList is the list products go to and its fields (Meta.Products).
type ProductsList struct {
	Catalog crm.Catalog
	Fields  []crm.CustomField
}

// ErrNoProductsList means the account has no list of type "products" and
// orders.products.catalog names none.
var ErrNoProductsList = errors.New("the account has no products list: turn on «Товары» in amoCRM's settings, or name a list in orders.products.catalog")

// FindCatalog picks the list products go to: the one ref names by id or
// name, or, when ref is zero, the account's list of type "products" (an
// account has one at most: amocrm.ru crm_platform/catalogs-api).
func FindCatalog(ref config.IDRef, cats []crm.Catalog) (crm.Catalog, error) {
	var names []string
	for _, c := range cats {
		names = append(names, c.Name)
		switch {
		case ref.IsZero() && c.Type == crm.CatalogProducts,
			ref.ID != 0 && c.ID == ref.ID,
			ref.Name != "" && sameName(c.Name, ref.Name):
			return c, nil
		}
	}
	if ref.IsZero() {
		return crm.Catalog{}, ErrNoProductsList
	}
	return crm.Catalog{}, fmt.Errorf("orders.products.catalog: %w", notFound("list", ref, "the account", names))
}

// ProductLine is a product an order's lines hold: the element of the
// products list it should be, and the quantity the deal links.
type ProductLine struct {
	ProductID int64  // the shop's product id, also the element's EXTERNAL_ID
	SKU       string // the article, by which a hand-made element is found
	// Element is the element as it should be (no ID): name, SKU = article,
	// PRICE = price, EXTERNAL_ID. Hash is its digest: an element sent with
	// another hash is updated.
	Element  crm.CatalogElement
	Hash     string
	Quantity float64 // of every line of the product in the order
}

// productPlan is orders.products with the list's fields found by code; a
// field the list lacks is not sent (a regular list has no SKU or PRICE).
type productPlan struct {
	sku, price, external *crm.CustomField
}

func (m *Mapper) resolveProducts() error {
	if !m.cfg.Orders.Products.Enabled {
		return nil
	}
	if m.meta.Products == nil {
		return errors.New("orders.products: the products list was not read from the account")
	}
	fields := newFieldSet(m.meta.Products.Fields)
	m.products = &productPlan{sku: fields.byCode[foldKey(crm.FieldSKU)],
		price: fields.byCode[foldKey(crm.FieldPrice)], external: fields.byCode[foldKey(crm.FieldExternalID)]}
	return nil
}

// orderProducts gives an order's products in cart order, one line per
// product with the lines' counts summed. The element takes the product as
// the shop has it now (title, list price), else as it was ordered.
func (m *Mapper) orderProducts(o *shop.Order, notes *[]string) ([]ProductLine, error) {
	var out []ProductLine
	index := map[int64]int{}
	for i, p := range o.Products {
		switch {
		case p.ProductID <= 0:
			*notes = append(*notes, fmt.Sprintf("products[%d] %q has no product id: not linked", i, p.Name))
			continue
		case p.Count <= 0:
			*notes = append(*notes, fmt.Sprintf("products[%d] %q has count %d: not linked", i, p.Name, p.Count))
			continue
		}
		if j, ok := index[p.ProductID]; ok {
			out[j].Quantity += float64(p.Count)
			continue
		}
		el := m.element(p, notes)
		hash, err := Hash(el)
		if err != nil {
			return nil, err
		}
		index[p.ProductID] = len(out)
		out = append(out, ProductLine{ProductID: p.ProductID, SKU: strings.TrimSpace(p.Article), Element: el, Hash: hash,
			Quantity: float64(p.Count)})
	}
	return out, nil
}

func (m *Mapper) element(p shop.OrderProduct, notes *[]string) crm.CatalogElement {
	pp := m.products
	name := strings.TrimSpace(p.Title)
	if name == "" {
		name = strings.TrimSpace(p.Name)
	}
	if name == "" {
		name = "Товар " + strconv.FormatInt(p.ProductID, 10)
	}
	el := crm.CatalogElement{Name: cut(name, TextLimit)}
	put := func(f *crm.CustomField, v string) {
		if f != nil && v != "" {
			el.CustomFieldsValues = append(el.CustomFieldsValues, crm.CustomFieldValues{FieldID: f.ID, Values: []crm.FieldValue{{Value: v}}})
		}
	}
	put(pp.sku, cut(strings.TrimSpace(p.Article), TextLimit))
	price := p.ListPrice
	if strings.TrimSpace(price) == "" {
		price = p.Price
	}
	if _, err := parseDecimal(price); err == nil {
		put(pp.price, displayDecimal(price))
	} else if strings.TrimSpace(price) != "" {
		*notes = append(*notes, fmt.Sprintf("product %d: price %q is not a number, not sent", p.ProductID, price))
	}
	put(pp.external, strconv.FormatInt(p.ProductID, 10))
	return el
}

// ElementIndex finds the elements of the products list that shop products
// already have: by EXTERNAL_ID (the product's id), else by SKU when exactly
// one live element without an external id carries it (one a manager made
// by hand). Build it from the list's elements (Client.CatalogElements).
type ElementIndex struct {
	byExternal map[string]int64
	bySKU      map[string][]int64
}

// NewElementIndex indexes a list's elements; deleted ones are left out.
func NewElementIndex(els []crm.CatalogElement) *ElementIndex {
	x := &ElementIndex{byExternal: map[string]int64{}, bySKU: map[string][]int64{}}
	for _, e := range els {
		if e.IsDeleted {
			continue
		}
		if ext := e.FieldText(crm.FieldExternalID); ext != "" {
			if _, ok := x.byExternal[ext]; !ok {
				x.byExternal[ext] = e.ID
			}
			continue
		}
		if sku := strings.TrimSpace(e.FieldText(crm.FieldSKU)); sku != "" {
			x.bySKU[sku] = append(x.bySKU[sku], e.ID)
		}
	}
	return x
}

// Find returns the element of the product of line, if the list has one.
func (x *ElementIndex) Find(line ProductLine) (int64, bool) {
	if id, ok := x.byExternal[strconv.FormatInt(line.ProductID, 10)]; ok {
		return id, true
	}
	if ids := x.bySKU[line.SKU]; line.SKU != "" && len(ids) == 1 {
		return ids[0], true
	}
	return 0, false
}

// ProductLinks are the links of a deal's products for POST
// /api/v4/leads/link: each product's element (elements by product id) with
// its quantity. Products without an element yet are returned as missing and
// get no link.
func ProductLinks(leadID, catalogID int64, lines []ProductLine, elements map[int64]int64) (links []crm.Link, missing []int64) {
	for _, l := range lines {
		id, ok := elements[l.ProductID]
		if !ok {
			missing = append(missing, l.ProductID)
			continue
		}
		links = append(links, crm.Link{EntityID: leadID, ToEntityID: id, ToEntityType: crm.LinkCatalogElements,
			Metadata: &crm.LinkMetadata{CatalogID: catalogID, Quantity: l.Quantity}})
	}
	return links, missing
}

// Unlinked returns the links of want whose element the deal does not have
// yet (have: its _embedded.catalog_elements). After a link request whose
// outcome is unknown, only these are sent again: one sent twice may add up
// its quantity.
func Unlinked(want []crm.Link, have []crm.ElementLink) []crm.Link {
	linked := make(map[int64]bool, len(have))
	for _, e := range have {
		linked[e.ID] = true
	}
	var out []crm.Link
	for _, l := range want {
		if !linked[l.ToEntityID] {
			out = append(out, l)
		}
	}
	return out
}
