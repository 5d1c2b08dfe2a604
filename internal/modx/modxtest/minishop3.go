package modxtest

import (
	"context"
	"crypto/md5"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// MiniShop3's tables as its 1.x schema declares them
// (core/components/minishop3/schema/minishop3.mysql.schema.xml at commit
// 00df7338 of modx-pro/MiniShop3; the facts and sources are listed in
// internal/modx/minishop3.go). InnoDB, as MiniShop3's model says.
func ms3DDL(o Options) []string {
	t, id := o.createTable, idColumn
	return []string{
		t("ms3_orders", id+`user_id int(10) unsigned NOT NULL,
customer_id int(10) unsigned NOT NULL,
token varchar(128) NOT NULL DEFAULT '',
uuid char(36) NOT NULL DEFAULT '',
idempotency_key varchar(128) DEFAULT NULL,
createdon datetime DEFAULT NULL,
updatedon datetime DEFAULT NULL,
num varchar(20) DEFAULT NULL,
`+orderCosts+`status_id int(10) unsigned DEFAULT 0,
delivery_id int(10) unsigned DEFAULT 0,
payment_id int(10) unsigned DEFAULT 0,
context varchar(100) DEFAULT 'web',
order_comment text,
properties text,
PRIMARY KEY (id),
KEY user_id (user_id),
KEY customer_id (customer_id),
KEY token (token),
UNIQUE KEY uuid (uuid),
UNIQUE KEY idempotency_key (idempotency_key),
UNIQUE KEY num (num),
KEY status_id (status_id)`, ""),
		t("ms3_order_addresses", id+"order_id int(10) unsigned NOT NULL,\ncreatedon datetime DEFAULT NULL,\nupdatedon datetime DEFAULT NULL,\n"+
			"first_name varchar(255) DEFAULT NULL,\nlast_name varchar(255) DEFAULT NULL,\nphone varchar(20) DEFAULT NULL,\n"+
			"email varchar(191) DEFAULT NULL,\ncountry varchar(100) DEFAULT NULL,\n`index` varchar(50) DEFAULT NULL,\n"+
			"region varchar(100) DEFAULT NULL,\ncity varchar(100) DEFAULT NULL,\nmetro varchar(255) DEFAULT NULL,\n"+
			"street varchar(255) DEFAULT NULL,\nbuilding varchar(10) DEFAULT NULL,\nentrance varchar(10) DEFAULT NULL,\n"+
			"floor varchar(10) DEFAULT NULL,\nroom varchar(10) DEFAULT NULL,\ncomment text,\ntext_address text,\nproperties text,\n"+
			"PRIMARY KEY (id),\nKEY order_id (order_id)", ""),
		t("ms3_order_products", id+`product_id int(10) unsigned NOT NULL,
order_id int(10) unsigned NOT NULL,
product_key varchar(34) NOT NULL,
`+lineCols+`properties text,
PRIMARY KEY (id),
KEY product_id (product_id),
KEY order_id (order_id)`, ""),
		t("ms3_order_logs", id+logHead+"entry text NOT NULL,\nvisible tinyint(1) NOT NULL DEFAULT 1,\nip text NOT NULL,\n"+logKeys, ""),
		t("ms3_order_statuses", id+"name varchar(100) NOT NULL,\ndescription text,\ncolor char(6) DEFAULT '000000',\n"+
			"active tinyint(1) DEFAULT 1,\nfinal tinyint(1) DEFAULT 0,\nfixed tinyint(1) DEFAULT 0,\n"+
			"position int(10) unsigned DEFAULT 0,\neditable tinyint(1) DEFAULT 1,\nPRIMARY KEY (id),\nKEY active (active)", ""),
		t("ms3_products", "id int(10) unsigned NOT NULL,\narticle varchar(50) DEFAULT NULL,\nprice decimal(12,2) DEFAULT 0.00,\n"+
			"old_price decimal(12,2) DEFAULT 0.00,\nstock decimal(13,3) DEFAULT 0.000,\nweight decimal(13,3) DEFAULT 0.000,\n"+
			"image varchar(255) DEFAULT NULL,\nthumb varchar(255) DEFAULT NULL,\npreview_file_id int(10) unsigned DEFAULT NULL,\n"+
			"vendor_id int(10) unsigned DEFAULT 0,\nmade_in varchar(100) DEFAULT '',\nnew tinyint(1) unsigned DEFAULT 0,\n"+
			"popular tinyint(1) unsigned DEFAULT 0,\nfavorite tinyint(1) unsigned DEFAULT 0,\ntags text,\ncolor text,\nsize text,\n"+
			"source_id int(10) unsigned DEFAULT 1,\nPRIMARY KEY (id),\nKEY article (article)", ""),
		t("ms3_product_categories", "product_id int(10) unsigned NOT NULL,\ncategory_id int(10) unsigned NOT NULL,\n"+
			"menuindex int(10) unsigned NOT NULL DEFAULT 0,\nPRIMARY KEY (product_id, category_id),\n"+
			"KEY category_menuindex (category_id, menuindex)", ""),
		t("ms3_deliveries", id+"name varchar(255) NOT NULL,\ndescription text,\nprice varchar(11) DEFAULT '0',\n"+
			"weight_price decimal(12,2) DEFAULT 0.00,\ndistance_price decimal(12,2) DEFAULT 0.00,\nlogo varchar(255) DEFAULT NULL,\n"+
			"position tinyint(1) unsigned DEFAULT 0,\nactive tinyint(1) DEFAULT 1,\nclass varchar(50) DEFAULT NULL,\nproperties text,\n"+
			"validation_rules text,\nfree_delivery_amount decimal(12,2) DEFAULT 0.00,\nPRIMARY KEY (id)", ""),
		t("ms3_payments", id+"name varchar(255) NOT NULL,\ndescription text,\nprice varchar(11) DEFAULT '0',\n"+
			"logo varchar(255) DEFAULT NULL,\nposition tinyint(1) unsigned DEFAULT 0,\nactive int(10) unsigned DEFAULT 1,\n"+
			"class varchar(50) DEFAULT NULL,\nproperties text,\nPRIMARY KEY (id)", ""),
		t("ms3_delivery_payments", "delivery_id int(10) unsigned NOT NULL,\npayment_id int(10) unsigned NOT NULL,\n"+
			"PRIMARY KEY (delivery_id, payment_id)", ""),
		// The schema declares last_name UNIQUE, which cannot be what runs (two
		// customers could not share a surname); the model maps index it plainly.
		t("ms3_customers", id+`user_id int(10) unsigned DEFAULT 0,
customer_group_id int(10) unsigned DEFAULT NULL,
first_name varchar(191) DEFAULT '',
last_name varchar(191) DEFAULT '',
phone varchar(50) DEFAULT '',
email varchar(191) DEFAULT '',
token varchar(128) DEFAULT '',
password varchar(255) DEFAULT NULL,
email_verified_at datetime DEFAULT NULL,
is_active tinyint(1) NOT NULL DEFAULT 1,
is_blocked tinyint(1) NOT NULL DEFAULT 0,
failed_login_attempts int(10) NOT NULL DEFAULT 0,
blocked_until datetime DEFAULT NULL,
created_at datetime NOT NULL DEFAULT CURRENT_TIMESTAMP,
updated_at datetime DEFAULT NULL,
last_login_at datetime DEFAULT NULL,
orders_count int(10) unsigned NOT NULL DEFAULT 0,
total_spent decimal(12,2) NOT NULL DEFAULT 0.00,
last_order_at datetime DEFAULT NULL,
privacy_accepted_at datetime DEFAULT NULL,
privacy_ip varchar(45) DEFAULT NULL,
PRIMARY KEY (id),
KEY user_id (user_id),
KEY first_name (first_name),
KEY last_name (last_name),
KEY email (email),
KEY phone (phone)`, ""),
	}
}

// ms3Seed returns what MiniShop3's seed migrations write: the five
// statuses named by lexicon key, their settings, deliveries and payments.
func ms3Seed(o Options) []string {
	p := func(name string) string { return "`" + o.Prefix + name + "`" }
	return []string{
		"INSERT INTO " + p("ms3_order_statuses") + " (id, name, color, final, fixed, editable, active, position) VALUES " +
			"(1, 'ms3_order_status_draft', 'C0C0C0', 0, 0, 0, 1, 0), (2, 'ms3_order_status_new', '000000', 0, 1, 0, 1, 1), " +
			"(3, 'ms3_order_status_paid', '008000', 0, 1, 0, 1, 2), (4, 'ms3_order_status_sent', '003366', 1, 1, 0, 1, 3), " +
			"(5, 'ms3_order_status_cancelled', '800000', 1, 1, 0, 1, 4)",
		setting(o, "ms3_status_draft", "1"), setting(o, "ms3_status_new", "2"),
		setting(o, "ms3_status_paid", "3"), setting(o, "ms3_status_canceled", "5"),
		"INSERT INTO " + p("ms3_deliveries") + " (id, name, price, position, validation_rules) VALUES " +
			`(1, 'Самовывоз', '0', 0, '{"receiver":"required", "email":"required|email"}'), (2, 'Курьер', '300', 1, NULL)`,
		"INSERT INTO " + p("ms3_payments") + " (id, name, price, position) VALUES (1, 'Оплата наличными', '0', 0), (2, 'Картой онлайн', '0', 1)",
		"INSERT INTO " + p("ms3_delivery_payments") + " (delivery_id, payment_id) VALUES (1, 1), (1, 2), (2, 1), (2, 2)",
	}
}

// insertMS3Order writes an order the way MiniShop3 does: a draft row and an
// empty address when the cart starts (OrderDraftManager::createDraft), cart
// lines and costs, the checkout form's address, then on submit the customer,
// the number and the status change with its log row.
func insertMS3Order(ctx context.Context, db *sqlx.DB, o Options, s OrderSpec, created time.Time) (int64, error) {
	st := Statuses(o)
	id, err := insertRow(ctx, db, o.Prefix, "ms3_orders", map[string]any{
		"user_id": s.UserID, "customer_id": 0, "token": randomHex(16), "uuid": uuid(),
		"createdon": o.wall(created), "status_id": st.Draft, "context": "web",
	})
	if err != nil {
		return 0, err
	}
	var addrID int64
	if !s.NoAddress {
		if addrID, err = insertRow(ctx, db, o.Prefix, "ms3_order_addresses", map[string]any{"order_id": id, "createdon": o.wall(created)}); err != nil {
			return 0, err
		}
	}
	if err := insertLines(ctx, db, o, id, s.Lines); err != nil {
		return 0, err
	}
	order := map[string]any{
		"cost": or(s.Cost, "100.00"), "cart_cost": or(s.Cost, "100.00"), "delivery_id": orID(s.Delivery, 1),
		"payment_id": orID(s.Payment, 1), "order_comment": s.ManagerComment, "updatedon": o.wall(created),
	}
	if s.Properties != "" {
		order["properties"] = s.Properties
	}
	if err := update(ctx, db, o, "ms3_orders", id, order); err != nil {
		return 0, err
	}
	if addrID != 0 {
		address := map[string]any{"comment": s.Comment}
		for k, v := range s.Address {
			address[k] = v
		}
		if err := update(ctx, db, o, "ms3_order_addresses", addrID, ms3Address(address)); err != nil {
			return 0, err
		}
	}
	if s.Unplaced || s.Status == st.Draft {
		return id, nil
	}
	var num any = "2501/" + strconv.FormatInt(id, 10)
	switch {
	case s.NullNum:
		num = nil
	case s.Num != "":
		num = s.Num
	}
	if err := submitMS3(ctx, db, o, id, num, created); err != nil {
		return 0, err
	}
	if s.Status == 0 || s.Status == st.New {
		return id, nil
	}
	if s.NoLog {
		return id, SetStatus(ctx, db, o, id, s.Status, created)
	}
	return id, ChangeStatusBy(ctx, db, o, id, s.Status, s.Manager, created)
}

// ms3Address turns OrderSpec.Address (miniShop2 column names) into a
// MiniShop3 1.x address: receiver splits into first_name and last_name, and
// user_id is gone.
func ms3Address(overrides map[string]any) map[string]any {
	a := defaultAddress()
	for k, v := range overrides {
		a[k] = v
	}
	a["first_name"], a["last_name"] = splitName(a["receiver"])
	delete(a, "receiver")
	delete(a, "user_id")
	return a
}

// splitName splits a receiver into MiniShop3 1.x's first_name and
// last_name; a NULL receiver gives NULLs.
func splitName(receiver any) (first, last any) {
	r, ok := receiver.(string)
	if !ok {
		return nil, nil
	}
	f, l, _ := strings.Cut(r, " ")
	return f, l
}

// submitMS3 is OrderSubmitHandler::submit for a draft: a customer made from
// the address, the number, then the status change to new with its log row.
func submitMS3(ctx context.Context, db *sqlx.DB, o Options, id int64, num any, at time.Time) error {
	var c struct {
		First, Last, Email, Phone sql.NullString
		UserID                    int64
	}
	q := "SELECT a.first_name, a.last_name, a.email, a.phone, o.user_id FROM `" + o.Prefix + "ms3_orders` o LEFT JOIN `" +
		o.Prefix + "ms3_order_addresses` a ON a.order_id = o.id WHERE o.id = ? ORDER BY a.id LIMIT 1"
	if err := db.QueryRowContext(ctx, q, id).Scan(&c.First, &c.Last, &c.Email, &c.Phone, &c.UserID); err != nil {
		return fmt.Errorf("read draft %d: %w", id, err)
	}
	var customer int64
	if c.Email.String != "" || c.Phone.String != "" {
		var err error
		customer, err = insertRow(ctx, db, o.Prefix, "ms3_customers", map[string]any{
			"user_id": c.UserID, "first_name": c.First.String, "last_name": c.Last.String, "email": c.Email.String,
			"phone": c.Phone.String, "token": randomHex(16), "created_at": o.wall(at),
		})
		if err != nil {
			return err
		}
	}
	if err := update(ctx, db, o, "ms3_orders", id, map[string]any{"customer_id": customer, "num": num, "updatedon": o.wall(at)}); err != nil {
		return err
	}
	return ChangeStatus(ctx, db, o, id, Statuses(o).New, at)
}

// ms3LogEntry is what OrderLogService::add stores for a status row: the
// id wrapped as {"status_id": …}, a number when it is one.
func ms3LogEntry(entry string) string {
	if _, err := strconv.ParseInt(entry, 10, 64); err == nil {
		return `{"status_id":` + entry + `}`
	}
	return `{"status_id":` + strconv.Quote(entry) + `}`
}

// productKey is DBCart::getProductKey: "ms" and the MD5 of the key fields.
func productKey(productID int64, options string) string {
	sum := md5.Sum([]byte(strconv.FormatInt(productID, 10) + options))
	return "ms" + hex.EncodeToString(sum[:])
}

// update sets columns of one row by id.
func update(ctx context.Context, db *sqlx.DB, o Options, table string, id int64, set map[string]any) error {
	parts := make([]string, 0, len(set))
	for _, k := range sortedKeys(set) {
		parts = append(parts, "`"+k+"` = "+literal(set[k]))
	}
	q := "UPDATE `" + o.Prefix + table + "` SET " + strings.Join(parts, ", ") + " WHERE id = " + literal(id)
	if _, err := db.ExecContext(ctx, q); err != nil {
		return fmt.Errorf("update %s %d: %w", table, id, err)
	}
	return nil
}

// randomHex returns n random bytes in hex: a session token.
func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// uuid returns a random version 4 UUID, as Ramsey\Uuid::uuid4() makes them.
func uuid() string {
	b := make([]byte, 16)
	rand.Read(b)
	return uuidOf(b)
}

// uuidOf formats 16 bytes as a version 4 UUID.
func uuidOf(b []byte) string {
	b[6], b[8] = b[6]&0x0f|0x40, b[8]&0x3f|0x80
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// ms3Orders writes MiniShop3's tables: every order as its draft grew into
// it, placed ones with their customer and the log of every status change.
type ms3Orders struct {
	g                                         *generator
	st                                        StatusIDs
	orders, addresses, lines, logs, customers *batch
	addrID, customerID                        int64
	customerOf                                map[int64]int64 // buyer (MODX user) -> ms3_customers.id
}

func (g *generator) ms3Writer(o Options) orderWriter {
	return &ms3Orders{g: g, st: Statuses(o), customerOf: map[int64]int64{},
		orders: g.batch("ms3_orders", "id", "user_id", "customer_id", "token", "uuid", "createdon", "updatedon", "num",
			"cost", "cart_cost", "delivery_cost", "weight", "status_id", "delivery_id", "payment_id", "context",
			"properties", "order_comment"),
		addresses: g.batch("ms3_order_addresses", "id", "order_id", "createdon", "first_name", "last_name", "phone",
			"email", "country", "`index`", "region", "city", "metro", "street", "building", "entrance", "floor", "room",
			"comment", "text_address", "properties"),
		lines: g.batch("ms3_order_products", "order_id", "product_id", "product_key", "name", "count", "price", "weight",
			"cost", "options"),
		logs:      g.batch("ms3_order_logs", "user_id", "order_id", "`timestamp`", "action", "entry", "visible", "ip"),
		customers: g.batch("ms3_customers", "id", "user_id", "first_name", "last_name", "phone", "email", "token", "created_at"),
	}
}

func (w *ms3Orders) write(ctx context.Context, o genOrder) error {
	for _, l := range o.lines {
		options, _ := l.options.(string)
		if err := w.lines.add(ctx, o.id, l.product.id, productKey(l.product.id, options), l.product.title, l.qty,
			money(l.product.price), "0.500", money(l.product.price*l.qty), l.options); err != nil {
			return err
		}
	}
	var customer int64
	if a := o.address; a != nil {
		w.addrID++
		first, last, _ := strings.Cut(o.receiver, " ")
		if err := w.addresses.add(ctx, w.addrID, o.id, o.created, first, last, a.phone, a.email, a.country, a.index,
			nil, a.city, "", a.street, a.building, "", a.floor, a.room, a.comment, nil, nil); err != nil {
			return err
		}
		if o.step > 0 {
			var err error
			if customer, err = w.customer(ctx, o, first, last); err != nil {
				return err
			}
		}
	}
	// Tokens and UUIDs follow from the id, so a seed gives the same shop.
	sum := md5.Sum([]byte("order" + strconv.FormatInt(o.id, 10)))
	if err := w.orders.add(ctx, o.id, o.buyer.id, customer, hex.EncodeToString(sum[:]), uuidOf(sum[:]), o.created,
		o.created, o.num, money(o.cart+o.delivery), money(o.cart), money(o.delivery), "1.500", o.status, o.deliveryID,
		o.paymentID, "web", o.properties, o.comment); err != nil {
		return err
	}
	// Placing is a logged status change in MiniShop3, and so is every later one.
	for s := w.st.New; o.step > 0 && s <= o.status; s++ {
		at := o.created.Add(time.Duration(s-w.st.New) * time.Hour)
		if err := w.logs.add(ctx, o.logUser(s-w.st.New+1, w.g.ds.ManagerID), o.id, at, "status", ms3LogEntry(strconv.FormatInt(s, 10)), true,
			`{"ip":"127.0.0.1","suspected":[],"network":[]}`); err != nil {
			return err
		}
		w.g.ds.StatusLogs++
	}
	return nil
}

// customer is the buyer's ms3_customers row, made at their first placed
// order from its address (Customer::getId); a customer who is logged in
// keeps it. 0 while the address has neither e-mail nor phone.
func (w *ms3Orders) customer(ctx context.Context, o genOrder, first, last string) (int64, error) {
	if o.address.email == "" && o.address.phone == "" {
		return 0, nil
	}
	if id, ok := w.customerOf[o.buyer.id]; ok {
		return id, nil
	}
	w.customerID++
	w.customerOf[o.buyer.id] = w.customerID
	return w.customerID, w.customers.add(ctx, w.customerID, o.buyer.id, first, last, o.address.phone, o.address.email,
		fmt.Sprintf("%032x", w.customerID), o.created)
}

// orphan writes an address whose draft is gone: a receiver and no data.
func (w *ms3Orders) orphan(ctx context.Context, id int64) error {
	row := make([]any, 20) // the columns of ms3Writer's address batch
	row[0], row[1], row[2], row[3], row[4] = id, 0, w.g.now.In(w.g.shopOptions().zone()), "orphan", ""
	return w.addresses.add(ctx, row...)
}

func (w *ms3Orders) flush(ctx context.Context) error {
	return flushAll(ctx, w.orders, w.addresses, w.lines, w.logs, w.customers)
}
