package modx

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/shop"
)

// OrderHeaders reads one keyset page of order headers by id.
func (db *DB) OrderHeaders(ctx context.Context, afterID int64, limit int) ([]shop.OrderHeader, error) {
	s, err := db.detected(ctx)
	if err != nil {
		return nil, err
	}
	n := s.names
	q := "SELECT o.id, " + s.col(n.orders, "o", n.status, "0") + ", " + s.col(n.orders, "o", "num", "''") +
		", o.createdon FROM " + db.table(n.orders) + " o WHERE o.id > ? ORDER BY o.id LIMIT ?"
	var out []shop.OrderHeader
	err = db.each(ctx, fmt.Sprintf("read orders after %d", afterID), q, args(afterID, limit), func(rows *sql.Rows) error {
		var (
			h       shop.OrderHeader
			created sql.NullTime
		)
		err := rows.Scan(&h.ID, &h.Status, &h.Num, &created)
		h.CreatedOn = db.wallTime(created)
		out = append(out, h)
		return err
	})
	return out, err
}

// ZeroOrders counts the orders at status 0. Status 0 lasts only inside
// miniShop2's submit(), between saving the order with its address and
// lines and changeOrderStatus(); an order still there with both, after
// settle, is a placed order that changeOrderStatus() failed on: miniShop2
// 4.4.1's issue #950 (a fatal on the missing old status; fixed by PR #951
// after the tag), or the old extra's PHP fatal inside msOnCreateOrder on
// its zero-config path (real-installs.md §6.7, §7.5).
type ZeroOrders struct {
	All    int // at status 0
	Placed int // of them, with lines and an address, created before the settle cut
}

// StatusZero counts the orders at status 0 (see ZeroOrders): placed are
// those created before settled with their lines and address.
func (db *DB) StatusZero(ctx context.Context, settled time.Time) (ZeroOrders, error) {
	var z ZeroOrders
	s, err := db.detected(ctx)
	if err != nil {
		return z, err
	}
	n := s.names
	q := "SELECT COUNT(*), COALESCE(SUM(o.createdon < ? AND " + db.placedAtZero(s) + "), 0) FROM " + db.table(n.orders) +
		" o WHERE o.`" + n.status + "` = 0"
	err = db.each(ctx, "count orders at status 0", q, args(db.wallString(settled)), func(rows *sql.Rows) error {
		return rows.Scan(&z.All, &z.Placed)
	})
	return z, err
}

// PlacedAtZero returns which of the given orders are at status 0 with their
// lines and an address: placed orders changeOrderStatus() failed on (see
// ZeroOrders), which the caller sends once they are older than settle.
func (db *DB) PlacedAtZero(ctx context.Context, ids []int64) (map[int64]bool, error) {
	out := make(map[int64]bool, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	s, err := db.detected(ctx)
	if err != nil {
		return nil, err
	}
	n := s.names
	q := "SELECT o.id FROM " + db.table(n.orders) + " o WHERE o.id IN (?) AND o.`" + n.status + "` = 0 AND " + db.placedAtZero(s)
	err = db.each(ctx, fmt.Sprintf("check %d orders at status 0", len(ids)), q, args(ids), func(rows *sql.Rows) error {
		var id int64
		err := rows.Scan(&id)
		out[id] = true
		return err
	})
	return out, err
}

// placedAtZero is the condition on order o that its lines and address are
// written: the address by its order_id (4.x, MiniShop3) or the order's
// address column (before 4.0).
func (db *DB) placedAtZero(s *Schema) string {
	n := s.names
	address := "FALSE"
	switch {
	case s.Has(n.addresses, "order_id"):
		address = "EXISTS (SELECT 1 FROM " + db.table(n.addresses) + " a WHERE a.order_id = o.id)"
	case s.Has(n.orders, "address"):
		address = "EXISTS (SELECT 1 FROM " + db.table(n.addresses) + " a WHERE a.id = o.address AND o.address > 0)"
	}
	return "EXISTS (SELECT 1 FROM " + db.table(n.products) + " op WHERE op.order_id = o.id) AND " + address
}

// OrderNums returns the numbers shop staff know orders by ("2510/7"), for
// the given ids; ids that are not orders, or have no number, are absent.
func (db *DB) OrderNums(ctx context.Context, ids []int64) (map[int64]string, error) {
	out := make(map[int64]string, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	s, err := db.detected(ctx)
	if err != nil {
		return nil, err
	}
	if !s.Has("ms2_orders", "num") {
		return out, nil
	}
	q := "SELECT id, COALESCE(num, '') FROM " + db.table("ms2_orders") + " WHERE id IN (?) AND COALESCE(num, '') <> ''"
	err = db.each(ctx, "read order numbers", q, args(ids), func(rows *sql.Rows) error {
		var id int64
		var num string
		err := rows.Scan(&id, &num)
		out[id] = num
		return err
	})
	return out, err
}

// LoadOrders reads full orders — header, address, cart lines with articles
// and category ancestries, delivery and payment names, customer — with a
// fixed number of queries for the whole batch. Unknown ids are absent; the
// result is ordered by id.
func (db *DB) LoadOrders(ctx context.Context, ids []int64) ([]shop.Order, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	s, err := db.detected(ctx)
	if err != nil {
		return nil, err
	}
	orders, links, err := db.orderRows(ctx, s, ids)
	if err != nil {
		return nil, err
	}
	if len(orders) == 0 {
		return nil, nil
	}
	byID := make(map[int64]*shop.Order, len(orders))
	for i := range orders {
		byID[orders[i].ID] = &orders[i]
	}
	if err := db.attachAddresses(ctx, s, byID, links.address); err != nil {
		return nil, err
	}
	if err := db.attachProducts(ctx, s, byID); err != nil {
		return nil, err
	}
	if err := db.attachCustomers(ctx, s, orders, links.customer); err != nil {
		return nil, err
	}
	return orders, nil
}

// orderLinks are the ids an order row points to that its record does not
// keep: the address before miniShop2 4.0, MiniShop3's customer.
type orderLinks struct {
	address, customer map[int64]int64 // order id -> ms2_order_addresses.id / ms3_customers.id
}

// orderRows reads the orders rows of ids and what they link to.
func (db *DB) orderRows(ctx context.Context, s *Schema, ids []int64) ([]shop.Order, orderLinks, error) {
	n := s.names
	o := func(col, fallback string) string { return s.col(n.orders, "o", col, fallback) }
	comment := "''"
	switch {
	case s.Has(n.orders, "order_comment"):
		comment = o("order_comment", "''")
	case s.Has(n.orders, "comment"):
		comment = o("comment", "''")
	}
	properties, customer := "NULL", "0"
	if s.Has(n.orders, "properties") {
		properties = "o.properties"
	}
	if s.Shop == ShopMiniShop3 {
		customer = o("customer_id", "0")
	}
	cols := []string{
		"o.id", o("user_id", "0"), o("num", "''"), "o.createdon", "o.updatedon",
		o("cost", "0"), o("cart_cost", "0"), o("delivery_cost", "0"), o("weight", "0"),
		o(n.status, "0"), o(n.delivery, "0"), o(n.payment, "0"), o("context", "''"), comment,
		o("address", "0"), customer, properties,
	}
	from := db.table(n.orders) + " o"
	cols = append(cols, db.joinName(s, n.deliveries, "d", "o."+n.delivery, &from),
		db.joinName(s, n.payments, "p", "o."+n.payment, &from))
	var (
		orders []shop.Order
		links  = orderLinks{address: map[int64]int64{}, customer: map[int64]int64{}}
	)
	q := "SELECT " + strings.Join(cols, ", ") + " FROM " + from + " WHERE o.id IN (?) ORDER BY o.id"
	err := db.each(ctx, fmt.Sprintf("read %d orders", len(ids)), q, args(ids), func(rows *sql.Rows) error {
		var (
			r                     shop.Order
			created, updated      sql.NullTime
			addressID, customerID int64
			properties            sql.NullString
			delivery, payment     sql.NullString
		)
		err := rows.Scan(&r.ID, &r.UserID, &r.Num, &created, &updated,
			&r.Cost, &r.CartCost, &r.DeliveryCost, &r.Weight,
			&r.Status, &r.DeliveryID, &r.PaymentID, &r.Context, &r.Comment,
			&addressID, &customerID, &properties, &delivery, &payment)
		if err != nil {
			return err
		}
		r.CreatedOn, r.UpdatedOn = db.wallTime(created), db.wallTime(updated)
		r.Properties = rawJSON(properties)
		r.DeliveryName, r.PaymentName = delivery.String, payment.String
		if addressID > 0 {
			links.address[r.ID] = addressID
		}
		if customerID > 0 {
			links.customer[r.ID] = customerID
		}
		orders = append(orders, r)
		return nil
	})
	return orders, links, err
}

// attachCustomers sets Order.Customer: MiniShop3's customer (ms3_customers)
// where the order links one, else the MODX user behind user_id.
func (db *DB) attachCustomers(ctx context.Context, s *Schema, orders []shop.Order, customerOf map[int64]int64) error {
	shopCustomers, err := db.shopCustomers(ctx, s, slices.Collect(maps.Values(customerOf)))
	if err != nil {
		return err
	}
	var userIDs []int64
	for _, o := range orders {
		if shopCustomers[customerOf[o.ID]] == nil && o.UserID > 0 {
			userIDs = append(userIDs, o.UserID)
		}
	}
	users, err := db.usersByIDs(ctx, s, userIDs)
	if err != nil {
		return err
	}
	if err := db.markAccounts(ctx, s, users); err != nil {
		return err
	}
	byUser := make(map[int64]*shop.Customer, len(users))
	for i := range users {
		byUser[users[i].ID] = &users[i]
	}
	for i := range orders {
		if c := shopCustomers[customerOf[orders[i].ID]]; c != nil {
			orders[i].Customer = c
			continue
		}
		orders[i].Customer = byUser[orders[i].UserID]
	}
	return nil
}

// joinName LEFT JOINs a delivery/payment table onto from and returns its
// name column, or NULL when the table is missing.
func (db *DB) joinName(s *Schema, table, alias, key string, from *string) string {
	if !s.Has(table, "name") {
		return "NULL"
	}
	*from += " LEFT JOIN " + db.table(table) + " " + alias + " ON " + alias + ".id = " + key
	return alias + ".name"
}

// addressColumns are the ms2_order_addresses columns an Address holds, in
// select order; older generations lack some, which then read as "".
var addressColumns = []struct {
	name  string
	field func(*shop.Address) *string
}{
	{"receiver", func(a *shop.Address) *string { return &a.Receiver }},
	{"phone", func(a *shop.Address) *string { return &a.Phone }},
	{"email", func(a *shop.Address) *string { return &a.Email }},
	{"country", func(a *shop.Address) *string { return &a.Country }},
	{"index", func(a *shop.Address) *string { return &a.Index }},
	{"region", func(a *shop.Address) *string { return &a.Region }},
	{"city", func(a *shop.Address) *string { return &a.City }},
	{"metro", func(a *shop.Address) *string { return &a.Metro }},
	{"street", func(a *shop.Address) *string { return &a.Street }},
	{"building", func(a *shop.Address) *string { return &a.Building }},
	{"entrance", func(a *shop.Address) *string { return &a.Entrance }},
	{"floor", func(a *shop.Address) *string { return &a.Floor }},
	{"room", func(a *shop.Address) *string { return &a.Room }},
	{"comment", func(a *shop.Address) *string { return &a.Comment }},
	{"text_address", func(a *shop.Address) *string { return &a.TextAddress }},
}

// attachAddresses sets Order.Address: by order_id on miniShop2 4.x and
// MiniShop3 (the newest row wins when a shop has duplicates), before 4.0 by
// ms2_orders.address.
func (db *DB) attachAddresses(ctx context.Context, s *Schema, byID map[int64]*shop.Order, addressIDs map[int64]int64) error {
	t := s.names.addresses
	if !s.Has(t, "") {
		return nil
	}
	cols := []string{"a.id"}
	for _, c := range addressColumns {
		if c.name == "receiver" {
			cols = append(cols, s.receiver())
			continue
		}
		cols = append(cols, s.col(t, "a", c.name, "''"))
	}
	cols = append(cols, "a.properties")
	if !s.Has(t, "properties") {
		cols[len(cols)-1] = "NULL"
	}
	sel := "SELECT " + strings.Join(cols, ", ")
	what := fmt.Sprintf("read addresses of %d orders", len(byID))
	if !s.Has(t, "order_id") {
		if len(addressIDs) == 0 {
			return nil
		}
		owner := map[int64][]int64{} // an address row may serve several orders
		var ids []int64
		for orderID, addrID := range addressIDs {
			owner[addrID] = append(owner[addrID], orderID)
			ids = append(ids, addrID)
		}
		return db.eachAddress(ctx, what, sel+" FROM "+db.table(t)+" a WHERE a.id IN (?) ORDER BY a.id", args(ids), nil,
			func(a shop.Address) {
				for _, id := range owner[a.ID] {
					addr := a
					byID[id].Address = &addr
				}
			})
	}
	var orderID int64
	err := db.eachAddress(ctx, what, sel+", a.order_id FROM "+db.table(t)+" a WHERE a.order_id IN (?) ORDER BY a.id",
		args(orderIDs(byID)), []any{&orderID}, func(a shop.Address) {
			byID[orderID].Address = &a // rows come by id, so a later duplicate replaces an earlier one
		})
	if err != nil {
		return err
	}
	return db.attachUnlinkedAddresses(ctx, s, sel, byID)
}

// attachUnlinkedAddresses finds the addresses of orders placed before a
// 4.x upgrade: the upgrade dropped ms2_orders.address and left their rows'
// order_id empty, but checkout wrote the same user_id and createdon to the
// order and its address. Orders of one account in the same second take
// its unlinked addresses in id order.
func (db *DB) attachUnlinkedAddresses(ctx context.Context, s *Schema, sel string, byID map[int64]*shop.Order) error {
	t := s.names.addresses
	if !s.Has(t, "user_id") || !s.Has(t, "createdon") {
		return nil
	}
	type key struct {
		user    int64
		created string
	}
	want := map[key][]int64{}
	var users []int64
	var times []string
	ids := orderIDs(byID)
	slices.Sort(ids)
	for _, id := range ids {
		o := byID[id]
		if o.Address != nil || o.CreatedOn.IsZero() {
			continue
		}
		k := key{o.UserID, db.wallString(o.CreatedOn)}
		want[k] = append(want[k], id)
		users, times = append(users, o.UserID), append(times, k.created)
	}
	if len(want) == 0 {
		return nil
	}
	var (
		user    int64
		created sql.NullTime
	)
	q := sel + ", a.user_id, a.createdon FROM " + db.table(t) + " a WHERE (a.order_id IS NULL OR a.order_id = 0)" +
		" AND a.user_id IN (?) AND a.createdon IN (?) ORDER BY a.id"
	return db.eachAddress(ctx, fmt.Sprintf("read unlinked addresses of %d orders", len(users)), q, args(users, times),
		[]any{&user, &created}, func(a shop.Address) {
			k := key{user, db.wallString(db.wallTime(created))}
			if ids := want[k]; len(ids) > 0 {
				byID[ids[0]].Address = &a
				want[k] = ids[1:]
			}
		})
}

// eachAddress runs an address query whose columns are attachAddresses's
// and then extra, and calls fn with each row's address once extra is set.
func (db *DB) eachAddress(ctx context.Context, what, q string, a []any, extra []any, fn func(shop.Address)) error {
	return db.each(ctx, what, q, a, func(rows *sql.Rows) error {
		var (
			addr       shop.Address
			properties sql.NullString
		)
		dest := []any{&addr.ID}
		for _, c := range addressColumns {
			dest = append(dest, c.field(&addr))
		}
		dest = append(append(dest, &properties), extra...)
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		addr.Properties = rawJSON(properties)
		fn(addr)
		return nil
	})
}

func orderIDs(byID map[int64]*shop.Order) []int64 {
	ids := make([]int64, 0, len(byID))
	for id := range byID {
		ids = append(ids, id)
	}
	return ids
}

// attachProducts sets Order.Products in cart order, with each product's
// article and category ancestries.
func (db *DB) attachProducts(ctx context.Context, s *Schema, byID map[int64]*shop.Order) error {
	n := s.names
	if !s.Has(n.products, "") {
		return nil
	}
	op := func(col, fallback string) string { return s.col(n.products, "op", col, fallback) }
	cols := []string{"op.id", "op.order_id", op("product_id", "0"), op("name", "''"), op("count", "0"),
		op("price", "0"), op("weight", "0"), op("cost", "0"), "op.options"}
	if !s.Has(n.products, "options") {
		cols[len(cols)-1] = "NULL"
	}
	from := db.table(n.products) + " op"
	if s.Has(n.productData, "") {
		cols = append(cols, s.col(n.productData, "p", "article", "''"), s.col(n.productData, "p", "price", "''"))
		from += " LEFT JOIN " + db.table(n.productData) + " p ON p.id = op.product_id"
	} else {
		cols = append(cols, "''", "''")
	}
	// The product as the shop has it now, for the products list: a renamed
	// or repriced product updates its element when next ordered.
	if s.Has("site_content", "pagetitle") {
		cols = append(cols, "COALESCE(c.pagetitle, '')")
		from += " LEFT JOIN " + db.table("site_content") + " c ON c.id = op.product_id"
	} else {
		cols = append(cols, "''")
	}
	q := "SELECT " + strings.Join(cols, ", ") + " FROM " + from + " WHERE op.order_id IN (?) ORDER BY op.order_id, op.id"
	var productIDs []int64
	err := db.each(ctx, fmt.Sprintf("read products of %d orders", len(byID)), q, args(orderIDs(byID)), func(rows *sql.Rows) error {
		var (
			p       shop.OrderProduct
			orderID int64
			options sql.NullString
		)
		err := rows.Scan(&p.ID, &orderID, &p.ProductID, &p.Name, &p.Count,
			&p.Price, &p.Weight, &p.Cost, &options, &p.Article, &p.ListPrice, &p.Title)
		if err != nil {
			return err
		}
		p.Options = rawJSON(options)
		o := byID[orderID]
		o.Products = append(o.Products, p)
		productIDs = append(productIDs, p.ProductID)
		return nil
	})
	if err != nil {
		return err
	}
	var lines []*shop.OrderProduct
	for _, o := range byID {
		for i := range o.Products {
			lines = append(lines, &o.Products[i])
		}
	}
	return db.attachCategories(ctx, s, lines, productIDs)
}

// attachCategories fills each line's primary and additional ancestries.
func (db *DB) attachCategories(ctx context.Context, s *Schema, lines []*shop.OrderProduct, productIDs []int64) error {
	if len(productIDs) == 0 {
		return nil
	}
	extra, err := db.additionalCategories(ctx, s, productIDs)
	if err != nil {
		return err
	}
	all := append([]int64{}, productIDs...)
	for _, cats := range extra {
		all = append(all, cats...)
	}
	if err := db.loadParents(ctx, all); err != nil {
		return err
	}
	for _, p := range lines {
		p.Categories = db.ancestry(p.ProductID)
		for _, c := range extra[p.ProductID] {
			p.AdditionalCategories = append(p.AdditionalCategories, append([]int64{c}, db.ancestry(c)...))
		}
	}
	return nil
}

// additionalCategories reads ms2_product_categories (ms3_product_categories)
// for the products.
func (db *DB) additionalCategories(ctx context.Context, s *Schema, productIDs []int64) (map[int64][]int64, error) {
	t := s.names.productCategories
	if !s.Has(t, "") {
		return nil, nil
	}
	out := map[int64][]int64{}
	err := db.each(ctx, fmt.Sprintf("read additional categories of %d products", len(productIDs)),
		"SELECT product_id, category_id FROM "+db.table(t)+
			" WHERE product_id IN (?) ORDER BY product_id, category_id", args(productIDs),
		func(rows *sql.Rows) error {
			var product, category int64
			err := rows.Scan(&product, &category)
			out[product] = append(out[product], category)
			return err
		})
	return out, err
}
