package modxtest

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
)

// Quantities is what a shop's orders hold, as an end-to-end test expects
// their deals to link it: order id -> product id -> the count of its lines,
// products with an id only (a line of a deleted product keeps its id).
func Quantities(ctx context.Context, db *sqlx.DB, o Options) (map[int64]map[int64]float64, error) {
	var rows []struct {
		Order   int64   `db:"order_id"`
		Product int64   `db:"product_id"`
		Count   float64 `db:"n"`
	}
	q := "SELECT order_id, product_id, SUM(`count`) AS n FROM `" + o.Prefix + o.shop("order_products") +
		"` WHERE product_id > 0 AND `count` > 0 GROUP BY order_id, product_id"
	if err := db.SelectContext(ctx, &rows, q); err != nil {
		return nil, fmt.Errorf("read order quantities: %w", err)
	}
	out := map[int64]map[int64]float64{}
	for _, r := range rows {
		if out[r.Order] == nil {
			out[r.Order] = map[int64]float64{}
		}
		out[r.Order][r.Product] = r.Count
	}
	return out, nil
}
