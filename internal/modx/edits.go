package modx

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/modx-amocrm/modx-amocrm/internal/shop"
)

// What an edit in the shop's back office writes into the order's own row
// (the sources are listed in modxtest/edit.go, which writes edits the same
// way):
//
//   - miniShop2's order window (msOrderUpdateProcessor, 2.4-4.4.1) sets
//     updatedon on every save, recomputes cost on every save from 4.4.0
//     (when the window got an editable delivery cost), and changes the
//     status through changeOrderStatus(), which writes status and a log row
//     and leaves updatedon alone;
//   - a product line added, changed or removed there ends in
//     msOrder::updateProducts(), which rewrites cost, cart_cost and weight
//     and leaves updatedon alone;
//   - MiniShop3's manager saves the order with updatedon set and leaves cost
//     alone; its product services rewrite cost, cart_cost and weight
//     without updatedon; its recalculation writes all of them;
//   - an address or comment edit in the window comes with updatedon;
//     plugins, imports and scripts may change anything without a trace.
//
// So status, cost, cart_cost, delivery_cost, weight and updatedon, the
// order's signature (transform.Signature), change with every edit made in
// the back office, and reading them takes the orders table alone.

// OrderSignatures reads the signature columns of the orders ids (sorted),
// in id order, in one statement on the orders table's primary key; ids the
// shop no longer has are absent. Dense ids, as linked orders mostly are,
// are read as their range, which also returns the few orders between them
// (at most as many again): half the time of as many key lookups on MyISAM.
// Callers page the ids (a comparison pages the orders it linked), so the
// statement stays bounded.
func (db *DB) OrderSignatures(ctx context.Context, ids []int64) ([]shop.OrderSignature, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	where, arg := "o.id IN (?)", args(ids)
	if first, last := ids[0], ids[len(ids)-1]; last-first < 2*int64(len(ids)) {
		where, arg = "o.id BETWEEN ? AND ?", args(first, last)
	}
	s, err := db.detected(ctx)
	if err != nil {
		return nil, err
	}
	n := s.names
	o := func(col, fallback string) string { return s.col(n.orders, "o", col, fallback) }
	q := "SELECT o.id, " + o(n.status, "0") + ", " + o("cost", "0") + ", " + o("cart_cost", "0") + ", " +
		o("delivery_cost", "0") + ", " + o("weight", "0") + ", " + o("updatedon", "NULL") +
		" FROM " + db.table(n.orders) + " o WHERE " + where + " ORDER BY o.id"
	out := make([]shop.OrderSignature, 0, len(ids))
	err = db.each(ctx, fmt.Sprintf("read the signatures of %d orders", len(ids)), q, arg, func(rows *sql.Rows) error {
		var (
			sig     shop.OrderSignature
			updated sql.NullTime
		)
		err := rows.Scan(&sig.ID, &sig.Status, &sig.Cost, &sig.CartCost, &sig.DeliveryCost, &sig.Weight, &updated)
		sig.UpdatedOn = db.wallTime(updated)
		out = append(out, sig)
		return err
	})
	return out, err
}
