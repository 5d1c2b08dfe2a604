package state

import (
	"context"
	"fmt"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/plan"
)

// Element is the element of an amoCRM list a shop product became.
type Element struct {
	CatalogID int64     `db:"catalog_id"`
	ProductID int64     `db:"product_id"` // the shop's product id
	ElementID int64     `db:"element_id"`
	Hash      string    `db:"hash"` // hex SHA-256 of the element last sent
	UpdatedAt time.Time `db:"updated_at"`
}

// ElementOf is an element row of a plan as the state keeps it.
func ElementOf(r plan.ElementRow) Element {
	return Element{CatalogID: r.CatalogID, ProductID: r.ProductID, ElementID: r.ElementID, Hash: r.Hash}
}

const elementColumns = `catalog_id, product_id, element_id, hash, updated_at`

// Elements returns the elements of the list catalogID that the products
// became, by product id; products without one are absent.
func (s *Store) Elements(ctx context.Context, catalogID int64, productIDs []int64) (map[int64]Element, error) {
	els, err := selectIn[Element](ctx, s, fmt.Sprintf("read elements of list %d", catalogID), `SELECT `+elementColumns+
		` FROM {{prefix}}catalog_elements WHERE catalog_id = ? AND product_id IN (?) ORDER BY product_id`, productIDs, catalogID)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]Element, len(els))
	for _, e := range els {
		out[e.ProductID] = e
	}
	return out, nil
}

// PutElements inserts or replaces the elements of their lists and
// products; UpdatedAt is set to the transaction's time.
func (tx *Tx) PutElements(els []Element) error {
	args := make([]any, 0, 5*len(els))
	for _, e := range els {
		args = append(args, e.CatalogID, e.ProductID, e.ElementID, e.Hash, tx.now)
	}
	return tx.insertRows(fmt.Sprintf("put %d elements", len(els)), `INSERT INTO {{prefix}}catalog_elements (`+elementColumns+`)`,
		`ON DUPLICATE KEY UPDATE element_id = VALUES(element_id), hash = VALUES(hash), updated_at = VALUES(updated_at)`,
		5, args)
}
