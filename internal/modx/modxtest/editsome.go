package modxtest

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"
)

// BackOfficeEdits lists the orders EditBackOffice edited, by what a
// manager did to them. Every edit is one the deal shows (price, goods,
// the mapped address fields, product links), so after one sync each of
// these orders' deals equals a fresh mapping of the order and got one note;
// the deleted orders' deals are handled by orders.on_delete.
type BackOfficeEdits struct {
	Products []int64 // a product line added and the first one removed
	Quantity []int64 // the first line's count raised by 2
	Delivery []int64 // the delivery cost changed (4.4 window; MiniShop3 window and recalculation); none before 4.4
	Address  []int64 // city and street changed in the window
	Comment  []int64 // the customer's comment (the address's) changed in the window
	Deleted  []int64
}

// Edited returns every edited order that still exists, in id order.
func (e *BackOfficeEdits) Edited() []int64 {
	all := slices.Concat(e.Products, e.Quantity, e.Delivery, e.Address, e.Comment)
	slices.Sort(all)
	return slices.Compact(all)
}

// EditBackOffice edits up to n orders of each kind in a shop made by
// Generate, the way its back office does (the functions of edit.go), each
// order once: placed orders whose status is not final, with two lines or
// more and an address. The manager is ds.ManagerID; at is when.
func EditBackOffice(ctx context.Context, db *sqlx.DB, o Options, ds *Dataset, n int, at time.Time) (*BackOfficeEdits, error) {
	orders, err := editable(ctx, db, o)
	if err != nil {
		return nil, err
	}
	var products []struct {
		ID    int64  `db:"id"`
		Title string `db:"pagetitle"`
		Price string `db:"price"`
	}
	q := "SELECT p.id, c.pagetitle, p.price FROM `" + o.Prefix + o.shop("products") + "` p JOIN `" + o.Prefix +
		"site_content` c ON c.id = p.id ORDER BY p.id LIMIT ?"
	if err := db.SelectContext(ctx, &products, q, n); err != nil {
		return nil, fmt.Errorf("read products to add: %w", err)
	}
	e := &BackOfficeEdits{}
	save := func(s OrderSave) func(int64) error {
		s.Manager, s.At = ds.ManagerID, at
		return func(id int64) error { return SaveOrder(ctx, db, o, id, s) }
	}
	kinds := []struct {
		list *[]int64
		edit func(i int, id int64) error
	}{
		{&e.Products, func(i int, id int64) error {
			p := products[i%len(products)]
			if _, err := AddOrderLine(ctx, db, o, id, LineSpec{ProductID: p.ID, Name: p.Title, Count: 2, Price: p.Price}, ds.ManagerID, at); err != nil {
				return err
			}
			first, err := idsWhere(ctx, db, o, o.shop("order_products"), "order_id", id)
			if err != nil {
				return err
			}
			return RemoveOrderLine(ctx, db, o, first[0], ds.ManagerID, at)
		}},
		{&e.Quantity, func(_ int, id int64) error {
			var line struct {
				ID    int64 `db:"id"`
				Count int64 `db:"count"`
			}
			q := "SELECT id, count FROM `" + o.Prefix + o.shop("order_products") + "` WHERE order_id = ? ORDER BY id LIMIT 1"
			if err := db.GetContext(ctx, &line, q, id); err != nil {
				return fmt.Errorf("read the first line of order %d: %w", id, err)
			}
			return UpdateOrderLine(ctx, db, o, line.ID, LineChange{Count: line.Count + 2}, ds.ManagerID, at)
		}},
		{&e.Delivery, func(i int, id int64) error {
			cost := strconv.Itoa(450+50*i) + ".00"
			if err := save(OrderSave{DeliveryCost: cost})(id); err != nil || !o.ms3() {
				return err
			}
			return RecalculateOrder(ctx, db, o, id, cost, ds.ManagerID, at)
		}},
		{&e.Address, func(i int, id int64) error {
			return save(OrderSave{Address: map[string]any{"city": "Тверь", "street": "Советская " + strconv.Itoa(i+1)}})(id)
		}},
		{&e.Comment, func(i int, id int64) error {
			return save(OrderSave{Address: map[string]any{"comment": "Позвонить за час, попытка " + strconv.Itoa(i+1)}})(id)
		}},
		{&e.Deleted, func(_ int, id int64) error { return DeleteOrder(ctx, db, o, id, ds.ManagerID, at) }},
	}
	next := 0
	for _, k := range kinds {
		if k.list == &e.Delivery && (o.gen() == Gen24 || o.gen() == Gen30) {
			continue // the window shows the delivery cost read-only
		}
		for i := 0; i < n && next < len(orders); i++ {
			id := orders[next]
			next++
			if err := k.edit(i, id); err != nil {
				return nil, fmt.Errorf("edit order %d: %w", id, err)
			}
			*k.list = append(*k.list, id)
		}
	}
	return e, nil
}

// editable lists the placed orders whose lines the back office may change
// (status not final, not the draft) with two lines or more and an address.
func editable(ctx context.Context, db *sqlx.DB, o Options) ([]int64, error) {
	status, link := "status", "a.order_id = o.id"
	if o.ms3() {
		status = "status_id"
	}
	if o.gen() == Gen24 || o.gen() == Gen30 {
		link = "a.id = o.address"
	}
	p := func(name string) string { return "`" + o.Prefix + o.shop(name) + "`" }
	q := "SELECT o.id FROM " + p("orders") + " o JOIN " + p("order_statuses") + " s ON s.id = o." + status +
		" AND s.final = 0 AND s.id <> ? WHERE EXISTS (SELECT 1 FROM " + p("order_addresses") + " a WHERE " + link + ")" +
		" AND (SELECT COUNT(*) FROM " + p("order_products") + " l WHERE l.order_id = o.id) >= 2 ORDER BY o.id"
	var ids []int64
	if err := db.SelectContext(ctx, &ids, q, Statuses(o).Draft); err != nil {
		return nil, fmt.Errorf("find orders to edit: %w", err)
	}
	return ids, nil
}
