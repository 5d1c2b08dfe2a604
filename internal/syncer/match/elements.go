package match

import (
	"context"
	"fmt"
	"strconv"

	"github.com/modx-amocrm/modx-amocrm/internal/crm"
	"github.com/modx-amocrm/modx-amocrm/internal/transform"
)

// The products list may hold elements of products our state does not know:
// made by hand, by an earlier install, or by a create whose answer was
// lost. amoCRM's element search is the `query` that finds nothing written a
// moment ago (reference §7 15), so the list is read whole instead: once per
// list (a state meta entry remembers it, so a product added to the shop
// later is created without reading the list again), and again for a
// product whose create had an unknown outcome. A pass keeps what it read.

// metaListRead keeps the id of the products list read whole.
const metaListRead = "products_list_read"

// list is a products list as read whole.
type list struct {
	catalogID int64
	index     *transform.ElementIndex
	byID      map[int64]crm.CatalogElement
}

// Elements returns, by product id, the elements the list holds for lines
// (products our state lacks): by external id, else by an article only one
// hand-made element has. The list is read when it never was, or again when
// pending (a create of one of them had an unknown outcome); otherwise
// nothing is found.
func (m *Matcher) Elements(ctx context.Context, catalogID int64, lines []transform.ProductLine, pending bool) (map[int64]crm.CatalogElement, error) {
	if len(lines) == 0 {
		return nil, nil
	}
	if !pending && (m.list == nil || m.list.catalogID != catalogID) {
		v, ok, err := m.ledger.Meta(ctx, metaListRead)
		if err != nil {
			return nil, fmt.Errorf("read whether the products list was read: %w", err)
		}
		if ok && v == strconv.FormatInt(catalogID, 10) {
			return nil, nil
		}
	}
	return m.FindElements(ctx, catalogID, lines, pending)
}

// FindElements reads the list, unless this pass has and fresh is not
// asked, and finds lines' products in it.
func (m *Matcher) FindElements(ctx context.Context, catalogID int64, lines []transform.ProductLine, fresh bool) (map[int64]crm.CatalogElement, error) {
	if fresh || m.list == nil || m.list.catalogID != catalogID {
		if err := m.readList(ctx, catalogID); err != nil {
			return nil, err
		}
	}
	out := map[int64]crm.CatalogElement{}
	for _, l := range lines {
		if id, ok := m.list.index.Find(l); ok {
			out[l.ProductID] = m.list.byID[id]
		}
	}
	return out, nil
}

// readList reads the whole list, a page of 100 a request, and remembers
// that it did.
func (m *Matcher) readList(ctx context.Context, catalogID int64) error {
	byID := map[int64]crm.CatalogElement{}
	var all []crm.CatalogElement
	err := m.crm.CatalogElements(ctx, catalogID, func(page []crm.CatalogElement) error {
		for _, e := range page {
			if _, seen := byID[e.ID]; !seen { // an element created meanwhile may shift one into the next page
				byID[e.ID] = e
				all = append(all, e)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("read the products list %d: %w", catalogID, err)
	}
	m.list = &list{catalogID: catalogID, index: transform.NewElementIndex(all), byID: byID}
	m.log.Info("read the products list", "source", "products", "list_id", catalogID, "elements", len(all))
	if err := m.ledger.SetMeta(ctx, metaListRead, strconv.FormatInt(catalogID, 10)); err != nil {
		return fmt.Errorf("remember the products list was read: %w", err)
	}
	return nil
}
