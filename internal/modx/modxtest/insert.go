package modxtest

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// DefaultTime is the creation time of rows whose spec leaves it zero.
var DefaultTime = time.Date(2025, 1, 15, 12, 0, 0, 0, time.UTC)

// SetSetting writes a system setting, replacing an existing value.
func SetSetting(ctx context.Context, db *sqlx.DB, o Options, key, value string) error {
	q := "REPLACE INTO `" + o.Prefix + "system_settings` (`key`, value) VALUES (" + quote(key) + ", " + quote(value) + ")"
	if _, err := db.ExecContext(ctx, q); err != nil {
		return fmt.Errorf("set setting %s: %w", key, err)
	}
	return nil
}

// SetContextSetting writes a context_setting row (an override for one context).
func SetContextSetting(ctx context.Context, db *sqlx.DB, o Options, context, key, value string) error {
	q := "REPLACE INTO `" + o.Prefix + "context_setting` (context_key, `key`, value) VALUES (" +
		quote(context) + ", " + quote(key) + ", " + quote(value) + ")"
	if _, err := db.ExecContext(ctx, q); err != nil {
		return fmt.Errorf("set %s setting %s: %w", context, key, err)
	}
	return nil
}

// UserSpec describes a user; zero fields take defaults.
type UserSpec struct {
	Username    string // default "user{id}"
	FullName    string
	Email       string
	Phone       string
	MobilePhone string
	Inactive    bool
	Blocked     bool
	CreatedOn   time.Time // default DefaultTime
	ClassKey    string    // default "modUser" (MODX 3: MODX\Revolution\modUser)
	Extended    *string   // nil: NULL, as in most real rows
	NoProfile   bool      // no user_attributes row
	Sudo        bool      // a manager with every permission (users.sudo)
}

// InsertUser inserts a user and its profile.
func InsertUser(ctx context.Context, db *sqlx.DB, o Options, u UserSpec) (int64, error) {
	created := u.CreatedOn
	if created.IsZero() {
		created = DefaultTime
	}
	username := u.Username
	if username == "" {
		// Unique until renamed after the insert, when the id is known.
		username = "tmp-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	}
	id, err := insertRow(ctx, db, o.Prefix, "users", map[string]any{
		"username": username, "class_key": or(u.ClassKey, o.classKey("modUser")), "active": !u.Inactive,
		"createdon": created.Unix(), "sudo": u.Sudo,
	})
	if err != nil {
		return 0, err
	}
	if u.Username == "" {
		q := "UPDATE `" + o.Prefix + "users` SET username = " + quote("user"+strconv.FormatInt(id, 10)) + " WHERE id = " + literal(id)
		if _, err := db.ExecContext(ctx, q); err != nil {
			return 0, fmt.Errorf("name user %d: %w", id, err)
		}
	}
	if u.NoProfile {
		return id, nil
	}
	var extended any
	if u.Extended != nil {
		extended = *u.Extended
	}
	_, err = insertRow(ctx, db, o.Prefix, "user_attributes", map[string]any{
		"internalKey": id, "fullname": u.FullName, "email": u.Email, "phone": u.Phone,
		"mobilephone": u.MobilePhone, "blocked": u.Blocked, "address": "", "comment": "", "extended": extended,
	})
	return id, err
}

// InsertCategory inserts an msCategory resource under parent (0: root).
func InsertCategory(ctx context.Context, db *sqlx.DB, o Options, parent int64, title string) (int64, error) {
	return insertRow(ctx, db, o.Prefix, "site_content", map[string]any{
		"pagetitle": title, "parent": parent, "isfolder": true, "class_key": o.classKey("msCategory"), "published": true,
	})
}

// ProductSpec describes a product; zero fields take defaults.
type ProductSpec struct {
	Parent     int64  // primary category
	Title      string // default "Товар"
	Article    string // "" stores NULL, as real shops do
	Price      string // default "100.00"
	Categories []int64
}

// InsertProduct inserts an msProduct resource, its ms2_products (ms3_products)
// row and its additional categories.
func InsertProduct(ctx context.Context, db *sqlx.DB, o Options, p ProductSpec) (int64, error) {
	id, err := insertRow(ctx, db, o.Prefix, "site_content", map[string]any{
		"pagetitle": or(p.Title, "Товар"), "parent": p.Parent, "class_key": o.classKey("msProduct"), "published": true,
	})
	if err != nil {
		return 0, err
	}
	var article any
	if p.Article != "" {
		article = p.Article
	}
	if _, err := insertRow(ctx, db, o.Prefix, o.shop("products"), map[string]any{
		"id": id, "article": article, "price": or(p.Price, "100.00"),
	}); err != nil {
		return 0, err
	}
	for _, c := range p.Categories {
		if _, err := insertRow(ctx, db, o.Prefix, o.shop("product_categories"), map[string]any{
			"product_id": id, "category_id": c,
		}); err != nil {
			return 0, err
		}
	}
	return id, nil
}

// LineSpec is one cart line; zero fields take defaults.
type LineSpec struct {
	ProductID int64
	Name      string // default "Товар"
	Count     int64  // default 1
	Price     string // default "100.00"
	Weight    string // the unit weight; "" stores the column's default, 0
	Options   string // "" stores NULL
}

// OrderSpec describes an order; every zero field takes a default, so
// OrderSpec{} is an order a customer placed at checkout, with one line and
// an address.
type OrderSpec struct {
	UserID int64
	// Guest makes the customer's account as miniShop2's checkout does for a
	// guest, in the same request as the order: username and e-mail from the
	// address (or {receiver}@{site host}), fullname the receiver, mobilephone
	// the phone, users.createdon the order's time. An account with that
	// username is reused, as for a returning guest. miniShop2 only.
	Guest bool
	// Manager is the back-office manager who moves the order on after it is
	// placed: the log rows after the first are theirs (else the customer's,
	// as when a payment callback changes the status).
	Manager int64
	// ByManager: Manager made the order in the back office (miniShop2 4.x),
	// so user_id is the manager's own user; only the address is the customer.
	ByManager bool
	// Num defaults to miniShop2's own numbering: "{yymm}/{n}", n one more
	// than the month's last order.
	Num string
	// NullNum stores NULL in num (widened columns of real shops allow it).
	NullNum bool
	// Status is where the order ends; 0 means the new status. A placed order
	// is written the way checkout writes it: inserted at status 0 with its
	// number, the address (before the order on 2.x and 3.0, which link it
	// from ms2_orders.address; after it on 4.x), the lines, then moved to
	// new with a log row, and on to Status with another (MiniShop3: a draft
	// row first, see insertMS3Order). Status = the draft status is a cart of
	// the db storage: num empty, no log.
	Status int64
	// Unplaced leaves the order at status 0 with no log: still being
	// written, or placed by miniShop2 4.4.1, whose changeOrderStatus() fails
	// on a new order (its issue #950).
	Unplaced bool
	// NoLog writes Status straight into the order with no log row, as
	// imports, plugins and direct SQL do.
	NoLog     bool
	CreatedOn time.Time // the checkout's instant, default DefaultTime; stored in the shop's zone
	Cost      string    // default "100.00"
	Delivery  int64     // default 1
	Payment   int64     // default 1
	// Comment is the customer's comment, which checkout stores in the
	// address; ManagerComment is the order's own comment column, which only
	// the back office writes.
	Comment        string
	ManagerComment string
	// Properties is the order's JSON; "" stores NULL.
	Properties string
	// Address overrides address columns by miniShop2 name (nil value:
	// NULL). Columns the generation lacks are dropped; MiniShop3 1.x splits
	// receiver into first_name and last_name.
	Address   map[string]any
	NoAddress bool
	Lines     []LineSpec // default one line
}

// InsertOrder inserts an order with its address and lines, linked and in
// the order the shop writes them, and the status changes that follow.
func InsertOrder(ctx context.Context, db *sqlx.DB, o Options, s OrderSpec) (int64, error) {
	created := s.CreatedOn
	if created.IsZero() {
		created = DefaultTime
	}
	if o.ms3() {
		return insertMS3Order(ctx, db, o, s, created)
	}
	st := Statuses(o)
	final := s.Status
	if final == 0 {
		final = st.New
	}
	cart := st.Draft != 0 && final == st.Draft && !s.Unplaced
	address := defaultAddress()
	address["comment"] = s.Comment
	for k, v := range s.Address {
		address[k] = v
	}
	user := s.UserID
	var err error
	switch {
	case s.ByManager:
		user = s.Manager
	case s.Guest:
		if user, err = guestAccount(ctx, db, o, address, created); err != nil {
			return 0, err
		}
	}
	address["user_id"], address["createdon"] = user, o.wall(created)
	if o.gen() == Gen24 {
		for _, k := range []string{"email", "entrance", "floor", "text_address"} {
			delete(address, k)
		}
	}
	row := map[string]any{
		"user_id": user, "createdon": o.wall(created), "cost": or(s.Cost, "100.00"), "cart_cost": or(s.Cost, "100.00"),
		"status": 0, "delivery": orID(s.Delivery, 1), "payment": orID(s.Payment, 1), "context": "web",
	}
	switch {
	case s.NoLog:
		row["status"] = final
	case cart:
		row["status"] = st.Draft
	}
	switch {
	case s.NullNum:
		row["num"] = nil
	case s.Num != "":
		row["num"] = s.Num
	case cart:
		row["num"] = ""
	default:
		if row["num"], err = nextNum(ctx, db, o, created); err != nil {
			return 0, err
		}
	}
	if s.Properties != "" {
		row["properties"] = s.Properties
	}
	if o.gen() == Gen24 {
		row["comment"] = s.ManagerComment
	} else {
		row["order_comment"] = s.ManagerComment
	}
	// xPDO saves a related object the order points to before the order, and
	// one pointing to the order after it.
	if !s.NoAddress && o.gen() != Gen4x {
		addrID, err := insertRow(ctx, db, o.Prefix, "ms2_order_addresses", address)
		if err != nil {
			return 0, err
		}
		row["address"] = addrID
	}
	id, err := insertRow(ctx, db, o.Prefix, "ms2_orders", row)
	if err != nil {
		return 0, err
	}
	if !s.NoAddress && o.gen() == Gen4x {
		address["order_id"] = id
		if _, err := insertRow(ctx, db, o.Prefix, "ms2_order_addresses", address); err != nil {
			return 0, err
		}
	}
	if err := insertLines(ctx, db, o, id, s.Lines); err != nil {
		return 0, err
	}
	if s.Unplaced || s.NoLog || cart {
		return id, nil
	}
	// changeOrderStatus(new): logged as the customer's (msOrderHandler::submit).
	if err := ChangeStatusBy(ctx, db, o, id, st.New, user, created); err != nil {
		return 0, err
	}
	if final == st.New {
		return id, nil
	}
	by := s.Manager
	if by == 0 {
		by = user
	}
	return id, ChangeStatusBy(ctx, db, o, id, final, by, created)
}

// nextNum is miniShop2's getNum(): the month as %y%m, "/", and one more
// than the number of the month's last order.
func nextNum(ctx context.Context, db *sqlx.DB, o Options, at time.Time) (string, error) {
	month := o.wall(at).Format("0601")
	var last []string
	q := "SELECT num FROM `" + o.Prefix + "ms2_orders` WHERE num LIKE ? ORDER BY id DESC LIMIT 1"
	if err := db.SelectContext(ctx, &last, q, month+"/%"); err != nil {
		return "", fmt.Errorf("number an order: %w", err)
	}
	n := 0
	if len(last) > 0 {
		_, suffix, _ := strings.Cut(last[0], "/")
		n, _ = strconv.Atoi(suffix)
	}
	return month + "/" + strconv.Itoa(n+1), nil
}

// guestAccount is the MODX user checkout makes for a guest
// (miniShop2::getCustomerId), or the one it made before for the same
// username.
func guestAccount(ctx context.Context, db *sqlx.DB, o Options, address map[string]any, at time.Time) (int64, error) {
	email, _ := address["email"].(string)
	receiver, _ := address["receiver"].(string)
	phone, _ := address["phone"].(string)
	username := email
	if username == "" {
		host := "shop.example"
		if u, err := url.Parse(or(o.SiteURL, "https://shop.example/")); err == nil && u.Hostname() != "" {
			host = u.Hostname()
		}
		username = translit(receiver) + "@" + host
	}
	var ids []int64
	if err := db.SelectContext(ctx, &ids, "SELECT id FROM `"+o.Prefix+"users` WHERE username = ?", username); err != nil {
		return 0, fmt.Errorf("find guest %s: %w", username, err)
	}
	if len(ids) > 0 {
		return ids[0], nil
	}
	return InsertUser(ctx, db, o, UserSpec{Username: username, FullName: receiver, Email: username, MobilePhone: phone, CreatedOn: at})
}

// defaultAddress is the address an OrderSpec gets, by miniShop2 column.
func defaultAddress() map[string]any {
	return map[string]any{
		"receiver": "Иван Петров", "phone": "+79001234567", "email": "ivan@example.com",
		"city": "Москва", "street": "Тверская", "building": "1", "room": "10",
	}
}

// insertLines inserts an order's cart lines; nil means one default line.
func insertLines(ctx context.Context, db *sqlx.DB, o Options, orderID int64, lines []LineSpec) error {
	if lines == nil {
		lines = []LineSpec{{}}
	}
	for _, l := range lines {
		if _, err := insertLine(ctx, db, o, orderID, l, productKey(l.ProductID, l.Options)); err != nil {
			return err
		}
	}
	return nil
}

// insertLine inserts one line and returns its id; key is MiniShop3's
// product_key (unused on miniShop2).
func insertLine(ctx context.Context, db *sqlx.DB, o Options, orderID int64, l LineSpec, key string) (int64, error) {
	count := orID(l.Count, 1)
	price := or(l.Price, "100.00")
	p, err := strconv.ParseFloat(price, 64)
	if err != nil {
		return 0, fmt.Errorf("line price %q: %w", price, err)
	}
	var options any
	if l.Options != "" {
		options = l.Options
	}
	row := map[string]any{
		"order_id": orderID, "product_id": l.ProductID, "name": or(l.Name, "Товар"), "count": count,
		"price": price, "cost": strconv.FormatFloat(p*float64(count), 'f', 2, 64), "options": options,
	}
	if l.Weight != "" {
		row["weight"] = l.Weight
	}
	if o.ms3() {
		row["product_key"] = key
	}
	return insertRow(ctx, db, o.Prefix, o.shop("order_products"), row)
}

// LogSpec describes an order log row; Action defaults to "status".
type LogSpec struct {
	OrderID int64
	UserID  int64 // who made the change: the customer, a manager, 0 for a script
	Action  string
	// Entry is the new status id for status rows, which MiniShop3 stores
	// as {"status_id": …}; other actions' entries are stored as given.
	Entry string
	At    time.Time // default DefaultTime
}

// InsertStatusLog inserts an order log row (ms2_order_logs or ms3_order_logs).
func InsertStatusLog(ctx context.Context, db *sqlx.DB, o Options, l LogSpec) (int64, error) {
	at := l.At
	if at.IsZero() {
		at = DefaultTime
	}
	row := map[string]any{
		"order_id": l.OrderID, "user_id": l.UserID, "action": or(l.Action, "status"), "entry": l.Entry,
		"timestamp": o.wall(at), "ip": `{"ip":"127.0.0.1","suspected":[],"network":[]}`,
	}
	if o.ms3() && row["action"] == "status" {
		row["entry"] = ms3LogEntry(l.Entry)
	}
	return insertRow(ctx, db, o.Prefix, o.shop("order_logs"), row)
}

// ChangeStatus moves an order to status and logs it with no user, as a
// script calling miniShop2's changeOrderStatus() or MiniShop3's
// OrderStatusService::change() does; a zero at means DefaultTime.
func ChangeStatus(ctx context.Context, db *sqlx.DB, o Options, orderID, status int64, at time.Time) error {
	return ChangeStatusBy(ctx, db, o, orderID, status, 0, at)
}

// ChangeStatusBy is ChangeStatus by a user: the customer for the first
// change, a manager in the back office after it.
func ChangeStatusBy(ctx context.Context, db *sqlx.DB, o Options, orderID, status, userID int64, at time.Time) error {
	if at.IsZero() {
		at = DefaultTime
	}
	if err := SetStatus(ctx, db, o, orderID, status, at); err != nil {
		return err
	}
	_, err := InsertStatusLog(ctx, db, o, LogSpec{OrderID: orderID, UserID: userID, Entry: strconv.FormatInt(status, 10), At: at})
	return err
}

// SetStatus moves an order to status with no log row, as imports, plugins
// and direct SQL do; a zero at means DefaultTime.
func SetStatus(ctx context.Context, db *sqlx.DB, o Options, orderID, status int64, at time.Time) error {
	if at.IsZero() {
		at = DefaultTime
	}
	column := "status"
	if o.ms3() {
		column = "status_id"
	}
	return update(ctx, db, o, o.shop("orders"), orderID, map[string]any{column: status, "updatedon": o.wall(at)})
}

// PlaceOrder completes the checkout of an order left unplaced or as a draft:
// miniShop2 numbers a cart and moves it to the new status with a log row;
// MiniShop3 submits the draft (customer, number) and then does the same.
func PlaceOrder(ctx context.Context, db *sqlx.DB, o Options, orderID int64, at time.Time) error {
	if at.IsZero() {
		at = DefaultTime
	}
	if o.ms3() {
		return submitMS3(ctx, db, o, orderID, "2501/"+strconv.FormatInt(orderID, 10), at)
	}
	num, err := nextNum(ctx, db, o, at)
	if err != nil {
		return err
	}
	q := "UPDATE `" + o.Prefix + "ms2_orders` SET num = ? WHERE id = ? AND (num = '' OR num IS NULL)"
	if _, err := db.ExecContext(ctx, q, num, orderID); err != nil {
		return fmt.Errorf("number order %d: %w", orderID, err)
	}
	var user int64
	if err := db.GetContext(ctx, &user, "SELECT user_id FROM `"+o.Prefix+"ms2_orders` WHERE id = ?", orderID); err != nil {
		return fmt.Errorf("read order %d: %w", orderID, err)
	}
	return ChangeStatusBy(ctx, db, o, orderID, Statuses(o).New, user, at)
}

// FormSpec describes a FormIt saved form.
type FormSpec struct {
	Name           string // default "Обратный звонок"
	Context        string // default "web"
	Values         string // JSON, or ciphertext when Encrypted; default {}
	Date           time.Time
	Encrypted      bool
	EncryptionType int // default 2 when Encrypted, else 1 (FormIt's column default)
}

// InsertForm inserts a formit_forms row.
func InsertForm(ctx context.Context, db *sqlx.DB, o Options, f FormSpec) (int64, error) {
	date := f.Date
	if date.IsZero() {
		date = DefaultTime
	}
	typ := f.EncryptionType
	if typ == 0 {
		typ = 1
		if f.Encrypted {
			typ = 2
		}
	}
	return insertRow(ctx, db, o.Prefix, "formit_forms", map[string]any{
		"form": or(f.Name, "Обратный звонок"), "context_key": or(f.Context, "web"), "values": or(f.Values, "{}"),
		"ip": "127.0.0.1", "date": date.Unix(), "encrypted": f.Encrypted, "encryption_type": typ,
		"hash": fmt.Sprintf("%032x", date.UnixNano()),
	})
}

// InsertManagerLog inserts a manager_log row by the admin, user 1 (item is
// the object's id).
func InsertManagerLog(ctx context.Context, db *sqlx.DB, o Options, action, classKey string, item int64, at time.Time) error {
	return managerLog(ctx, db, o, 1, action, classKey, item, at)
}

// managerLog is MODX's logManagerAction() by user: the row every manager
// processor writes last (modObjectUpdateProcessor: objectType + "_update",
// modObjectRemoveProcessor: "_delete", modObjectCreateProcessor: "_create").
func managerLog(ctx context.Context, db *sqlx.DB, o Options, user int64, action, classKey string, item int64, at time.Time) error {
	_, err := insertRow(ctx, db, o.Prefix, "manager_log", map[string]any{
		"user": user, "occurred": o.wall(at), "action": action, "classKey": classKey, "item": strconv.FormatInt(item, 10),
	})
	return err
}

func orID(v, def int64) int64 {
	if v == 0 {
		return def
	}
	return v
}
