package modxtest

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// GenOptions size a generated shop. The schema must exist (Create with the
// same Prefix and Generation; FormIt too when Forms > 0).
type GenOptions struct {
	Prefix     string
	Generation string
	Orders     int
	Users      int // user accounts; orders reuse them (real shops: ~10 orders a user)
	Forms      int
	Seed       int64
	Now        time.Time // newest order time; zero means 2025-06-01 12:00 UTC
	// Timezone and PHPTimezone are the shop's, as Create took them.
	Timezone, PHPTimezone string
	// Marks puts where customers came from (utm_*, yclid, _ym_uid,
	// referrer) into most orders' properties and forms' values; off, the
	// shop is the same as without the option.
	Marks bool
}

// Dataset says what Generate wrote, with ids tests can assert on.
type Dataset struct {
	Orders, Users, Forms, Products, Categories, Lines, StatusLogs, Addresses int

	FirstOrderID, LastOrderID int64
	// ManagerID is the back office's manager (sudo): every status change
	// after placing is logged as theirs, and on 4.x some orders are theirs
	// (ManagerOrders), made in the back office for a customer.
	ManagerID       int64
	ManagerOrders   []int64
	UnplacedOrders  []int64 // status 0
	DraftOrders     []int64 // the generation's draft status
	NoAddressOrders []int64
	// NoContactOrders have no address and belong to the shared placeholder
	// account or to the manager: the order names no customer, and the
	// account is not theirs, so nothing identifies them (they are parked as
	// such).
	NoContactOrders []int64
	NullNumOrders   []int64
	CatalogID       int64   // root resource of the catalog
	TopCategories   []int64 // direct children of the catalog
	SharedEmail     string  // the placeholder e-mail many unrelated orders share
	FormItKey       string  // formit.form_encryptkey, set when Forms > 0
}

// Catalog shape: the catalog resource, topCats under it, each with
// subCats, each with leafCats: three category levels.
const (
	topCats     = 4
	subCats     = 3
	leafCats    = 2
	productsGen = 200
)

var (
	firstNames = []string{"Иван", "Анна", "Пётр", "Мария", "Ольга", "Сергей", "Наталья", "Алексей", "Ekaterina", "John"}
	lastNames  = []string{"Иванов", "Петрова", "Сидоров", "Кузнецова", "Смирнов", "Попова", "O'Brien", "Волков"}
	cities     = []string{"Москва", "Санкт-Петербург", "Казань", "Новосибирск", "Екатеринбург", "Владивосток"}
	streets    = []string{"Ленина", "Тверская", "Мира", "Садовая", "Гагарина", "Пушкина"}
	goods      = []string{"Кроссовки", "Сапоги", "Футболка", "Куртка", "Рюкзак", "Кружка ☕", "Шапка", "Носки 🧦"}
	colors     = []string{"Красный", "Синий", "Чёрный", "Белый"}
	formNames  = []string{"Обратный звонок", "Заявка на консультацию", "Заказ", "Форма со страницы контакты"}

	utmSources   = []string{"yandex", "google", "vk", "telegram", "email"}
	utmMedia     = []string{"cpc", "organic", "social", "newsletter"}
	utmCampaigns = []string{"zima-2025", "sale", "brand", "retargeting"}
	comments     = []string{"", "", "Позвоните перед доставкой", "Домофон не работает 🔔", "Оставить у двери", "<b>срочно</b>"}
)

// Generate fills the schema with a deterministic, realistic shop: nested
// categories, products with articles and options, registered customers and
// guest accounts (username = e-mail, mobilephone = phone, some synthetic
// e-mails), a shared placeholder e-mail, phones in many shapes, orders with
// addresses, lines and status logs (some without), unplaced and draft
// orders, forms with Cyrillic keys, emoji, empty and NULL columns. Times
// are written as the shop's PHP writes them (DATETIMEs in its zone); a
// guest's account is made by their first checkout, at its time.
func Generate(ctx context.Context, db *sqlx.DB, o GenOptions) (*Dataset, error) {
	g := &generator{
		db: db, o: o, rnd: rand.New(rand.NewPCG(uint64(o.Seed), 0x6d6f6478)),
		ds:  &Dataset{SharedEmail: "noemail@shop.example"},
		now: o.Now,
	}
	if g.now.IsZero() {
		g.now = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	}
	steps := []struct {
		name string
		run  func(context.Context) error
	}{{"catalog", g.catalog}, {"people", g.drawPeople}, {"orders", g.orders}, {"users", g.users}, {"forms", g.forms}}
	for _, s := range steps {
		if err := s.run(ctx); err != nil {
			return nil, fmt.Errorf("generate %s: %w", s.name, err)
		}
	}
	return g.ds, nil
}

type generator struct {
	db       *sqlx.DB
	o        GenOptions
	rnd      *rand.Rand
	ds       *Dataset
	now      time.Time
	products []product
	people   []person
}

type product struct {
	id    int64
	title string
	price int // kopecks
}

type person struct {
	id              int64
	name, email     string
	phone           string // 10 digits, no country code
	sharedPerson    bool   // the placeholder account many buyers end up in
	guest           bool   // an account checkout made: created with the first order
	username        string
	profilePhone    string
	mobile          string
	extended        any
	active, blocked bool
	created         time.Time
	ordered         bool // created is the first order's time
}

func (g *generator) pick(list []string) string { return list[g.rnd.IntN(len(list))] }

func (g *generator) chance(percent int) bool { return g.rnd.IntN(100) < percent }

func (g *generator) batch(table string, columns ...string) *batch {
	return newBatch(g.db, g.o.Prefix, table, columns...)
}

// shopOptions are the Options of the shop being filled.
func (g *generator) shopOptions() Options {
	return Options{Prefix: g.o.Prefix, Generation: g.o.Generation, Timezone: g.o.Timezone, PHPTimezone: g.o.PHPTimezone}
}

// catalog writes the category tree and the products. Ids are assigned here
// (the tables are fresh), so rows go out in multi-row INSERTs.
func (g *generator) catalog(ctx context.Context) error {
	o := g.shopOptions()
	res := g.batch("site_content", "id", "pagetitle", "parent", "isfolder", "class_key", "published")
	next := int64(1)
	add := func(title string, parent int64, class string) (int64, error) {
		id := next
		next++
		return id, res.add(ctx, id, title, parent, class != "msProduct", o.classKey(class), true)
	}
	var err error
	if g.ds.CatalogID, err = add("Каталог", 0, "modDocument"); err != nil {
		return err
	}
	var leaves []int64
	for i := 0; i < topCats; i++ {
		top, err := add(fmt.Sprintf("Раздел %d", i+1), g.ds.CatalogID, "msCategory")
		if err != nil {
			return err
		}
		g.ds.TopCategories = append(g.ds.TopCategories, top)
		for j := 0; j < subCats; j++ {
			sub, err := add(fmt.Sprintf("Подраздел %d.%d", i+1, j+1), top, "msCategory")
			if err != nil {
				return err
			}
			leaves = append(leaves, sub) // products also sit on the middle level
			for k := 0; k < leafCats; k++ {
				leaf, err := add(fmt.Sprintf("Группа %d.%d.%d", i+1, j+1, k+1), sub, "msCategory")
				if err != nil {
					return err
				}
				leaves = append(leaves, leaf)
			}
		}
	}
	g.ds.Categories = int(next - 2)

	data := g.batch(o.shop("products"), "id", "article", "price", "weight", "tags", "color", "size")
	extra := g.batch(o.shop("product_categories"), "product_id", "category_id")
	for i := 0; i < productsGen; i++ {
		p := product{title: fmt.Sprintf("%s %d", g.pick(goods), i+1), price: (g.rnd.IntN(500) + 1) * 1000}
		parent := leaves[g.rnd.IntN(len(leaves))]
		if p.id, err = add(p.title, parent, "msProduct"); err != nil {
			return err
		}
		var article, colorJSON any
		if !g.chance(10) { // real rows: article NULL, tags/color/size NULL
			article = fmt.Sprintf("ART-%05d", i+1)
		}
		if g.chance(50) {
			colorJSON = `["` + g.pick(colors) + `"]`
		}
		if err := data.add(ctx, p.id, article, money(p.price), "0.500", nil, colorJSON, nil); err != nil {
			return err
		}
		if g.chance(10) {
			if err := extra.add(ctx, p.id, g.ds.TopCategories[g.rnd.IntN(topCats)]); err != nil {
				return err
			}
		}
		g.products = append(g.products, p)
	}
	g.ds.Products = productsGen
	return flushAll(ctx, res, data, extra)
}

// drawPeople draws the accounts: a third registered customers, the rest
// guest accounts miniShop2 made at checkout, plus the shared placeholder
// and, when there are orders, the manager. They are written after the
// orders, which date the guests' accounts.
func (g *generator) drawPeople(context.Context) error {
	n := max(g.o.Users, 1)
	host := "shop.example"
	start := g.now.AddDate(-2, 0, 0)
	for i := 0; i < n; i++ {
		p := person{id: int64(i + 1), name: g.pick(firstNames) + " " + g.pick(lastNames), phone: g.tenDigits()}
		p.email = fmt.Sprintf("buyer%d@example.com", p.id)
		p.username, p.mobile, p.guest = p.email, g.phoneShape(p.phone), true
		switch {
		case i == 0:
			p.sharedPerson, p.guest, p.email, p.username = true, false, g.ds.SharedEmail, g.ds.SharedEmail
		case i%3 == 0: // registered through the site: own login, phone in "phone"
			p.username, p.profilePhone, p.mobile, p.guest = fmt.Sprintf("login%d", p.id), p.mobile, "", false
			p.extended = phpEscape(`{"amoCRMFields":{"position":"Менеджер"}}`)
		case i%7 == 0: // guest without e-mail: miniShop2 invents {receiver}@{host}
			p.email = fmt.Sprintf("%s%d@%s", strings.ToLower(translit(p.name)), p.id, host)
			p.username = p.email
		}
		p.created = start.Add(time.Duration(i) * (2 * 365 * 24 * time.Hour) / time.Duration(n))
		p.active, p.blocked = !g.chance(2), g.chance(1)
		g.people = append(g.people, p)
	}
	g.ds.Users = n
	if g.o.Orders > 0 {
		g.ds.ManagerID = int64(n + 1)
	}
	return nil
}

// users writes the accounts drawn by drawPeople, and the manager.
func (g *generator) users(ctx context.Context) error {
	users := g.batch("users", "id", "username", "class_key", "active", "createdon", "sudo")
	profiles := g.batch("user_attributes", "internalKey", "fullname", "email", "phone", "mobilephone",
		"blocked", "address", "comment", "extended")
	class := g.shopOptions().classKey("modUser")
	for _, p := range g.people {
		if err := users.add(ctx, p.id, p.username, class, p.active, p.created.Unix(), false); err != nil {
			return err
		}
		if err := profiles.add(ctx, p.id, p.name, p.email, p.profilePhone, p.mobile, p.blocked, "", "", p.extended); err != nil {
			return err
		}
	}
	if id := g.ds.ManagerID; id != 0 {
		if err := users.add(ctx, id, "manager", class, true, g.now.AddDate(-3, 0, 0).Unix(), true); err != nil {
			return err
		}
		if err := profiles.add(ctx, id, "Менеджер магазина", "manager@shop.example", "+7 495 000-00-00", "", false, "", "", nil); err != nil {
			return err
		}
	}
	return flushAll(ctx, users, profiles)
}

// genOrder is one generated order, drawn before it is written in the
// shop's shape.
type genOrder struct {
	id                    int64
	created               time.Time
	buyer                 person
	receiver              string
	status                int64 // the shop's id; 0 while unplaced
	step                  int64 // a placed order went new (1), paid (2), sent (3) or cancelled (4)
	num                   any
	lines                 []genLine
	cart, delivery        int // kopecks
	deliveryID, paymentID int
	properties            any
	address               *genAddress // nil: none
	comment               string      // the manager's order comment
	logged                bool        // miniShop2: its way to the status is logged
	byManager             bool        // made in the back office (4.x): user_id is the manager's
}

// userID is the order's user_id: the buyer's account, or the manager's for
// an order made in the back office.
func (o genOrder) userID(manager int64) int64 {
	if o.byManager {
		return manager
	}
	return o.buyer.id
}

// logUser is who the log row of the change to step s is by: the customer
// places the order, the manager moves it on (miniShop2::orderLog).
func (o genOrder) logUser(step, manager int64) int64 {
	if step <= 1 {
		return o.userID(manager)
	}
	return manager
}

type genLine struct {
	product product
	qty     int
	options any
}

type genAddress struct {
	phone, city, street, building, room, comment string
	country, index, floor                        any
	email                                        string // "" on 2.4, which has no such column
}

// orders writes orders with their addresses, lines and logs.
func (g *generator) orders(ctx context.Context) error {
	o := g.shopOptions()
	w := g.ms2Writer(o)
	if o.ms3() {
		w = g.ms3Writer(o)
	}
	st := Statuses(o)
	start := g.now.AddDate(-1, 0, 0)
	span := g.now.Sub(start)
	monthly := map[string]int{}
	zone := o.zone()
	for i := 0; i < g.o.Orders; i++ {
		created := start.Add(span * time.Duration(i) / time.Duration(max(g.o.Orders, 1))).Truncate(time.Second).In(zone)
		ord := g.drawOrder(o, st, int64(i+1), created, monthly)
		if p := &g.people[ord.buyer.id-1]; p.guest && !p.ordered && !ord.byManager {
			p.created, p.ordered = created, true // the checkout made the account
		}
		if ord.byManager {
			g.ds.ManagerOrders = append(g.ds.ManagerOrders, ord.id)
		}
		switch {
		case ord.status == 0:
			g.ds.UnplacedOrders = append(g.ds.UnplacedOrders, ord.id)
		case ord.step == 0:
			g.ds.DraftOrders = append(g.ds.DraftOrders, ord.id)
		}
		if ord.num == nil {
			g.ds.NullNumOrders = append(g.ds.NullNumOrders, ord.id)
		}
		if ord.address == nil {
			g.ds.NoAddressOrders = append(g.ds.NoAddressOrders, ord.id)
			if (ord.buyer.sharedPerson || ord.byManager) && ord.status != 0 && ord.step != 0 {
				g.ds.NoContactOrders = append(g.ds.NoContactOrders, ord.id)
			}
		} else {
			g.ds.Addresses++
		}
		g.ds.Lines += len(ord.lines)
		if err := w.write(ctx, ord); err != nil {
			return err
		}
	}
	g.ds.Orders = g.o.Orders
	if g.o.Orders > 0 {
		g.ds.FirstOrderID, g.ds.LastOrderID = 1, int64(g.o.Orders)
		// Orphan address rows, as real shops have them.
		if err := w.orphan(ctx, int64(g.ds.Addresses+1)); err != nil {
			return err
		}
	}
	return w.flush(ctx)
}

// drawOrder draws one order; the random calls come in a fixed order, so a
// seed gives the same shop.
func (g *generator) drawOrder(o Options, st StatusIDs, id int64, created time.Time, monthly map[string]int) genOrder {
	ord := genOrder{id: id, created: created, buyer: g.people[g.rnd.IntN(len(g.people))]}
	ord.receiver = ord.buyer.name
	phone10 := ord.buyer.phone
	if ord.buyer.sharedPerson { // unrelated buyers behind one placeholder account
		ord.receiver, phone10 = g.pick(firstNames)+" "+g.pick(lastNames), g.tenDigits()
	}

	ord.step = int64(1 + g.rnd.IntN(4))
	ord.status = st.New + ord.step - 1
	switch r := g.rnd.IntN(1000); {
	case r < 5 && !o.ms3(): // MiniShop3 has no status 0: such an order is still a draft
		ord.status, ord.step = 0, 0
	case r < 15 && st.Draft != 0:
		ord.status, ord.step = st.Draft, 0
	}
	prefix := created.Format("0601")
	monthly[prefix]++
	ord.num = fmt.Sprintf("%s/%d", prefix, monthly[prefix])
	// MiniShop3 numbers every order it places.
	if ord.step == 0 && ord.status != 0 || g.chance(1) && !o.ms3() {
		ord.num = nil
	}

	count := 1 + g.rnd.IntN(5)
	for j := 0; j < count; j++ {
		l := genLine{product: g.products[g.rnd.IntN(len(g.products))], qty: 1 + g.rnd.IntN(3)}
		if g.chance(40) {
			l.options = phpEscape(fmt.Sprintf(`{"color":"%s","size":"%d"}`, g.pick(colors), 36+g.rnd.IntN(10)))
		} else if g.chance(50) {
			l.options = "[]"
		}
		ord.cart += l.product.price * l.qty
		ord.lines = append(ord.lines, l)
	}
	ord.delivery = g.rnd.IntN(2) * 30000
	if g.chance(5) {
		ord.properties = phpEscape(`{"amoCRMFields":{"tags":"сайт"}}`)
	}
	if g.o.Marks && g.chance(70) {
		ord.properties = g.orderMarks(ord.properties != nil)
	}
	ord.deliveryID = 1 + g.rnd.IntN(2)
	ord.paymentID = 1 + g.rnd.IntN(2)

	if !g.chance(1) {
		a := &genAddress{phone: g.phoneShape(phone10), country: g.nullable("Россия")}
		a.index = g.nullable(strconv.Itoa(100000 + g.rnd.IntN(900000)))
		a.city, a.street = g.pick(cities), g.pick(streets)
		a.building, a.room = strconv.Itoa(1+g.rnd.IntN(99)), strconv.Itoa(1+g.rnd.IntN(200))
		a.comment = g.pick(comments)
		if o.gen() != Gen24 {
			a.email = ord.buyer.email
			if g.chance(3) {
				a.email = ""
			}
			a.floor = g.nullable("3")
		}
		ord.address = a
	}
	ord.comment = g.pick(comments)
	// Most orders log their way to the current status; some have no log at
	// all (imports, direct updates).
	ord.logged = ord.step > 0 && !g.chance(20)
	ord.byManager = o.gen() == Gen4x && ord.step > 0 && g.chance(3)
	return ord
}

// orderWriter writes drawn orders in one shop's tables.
type orderWriter interface {
	write(ctx context.Context, o genOrder) error
	orphan(ctx context.Context, addressID int64) error
	flush(ctx context.Context) error
}

// ms2Orders writes miniShop2's tables of one generation.
type ms2Orders struct {
	g                              *generator
	gen                            string
	orders, addresses, lines, logs *batch
	addrID                         int64
}

func (g *generator) ms2Writer(o Options) orderWriter {
	gen := o.gen()
	orderCols := []string{"id", "user_id", "createdon", "updatedon", "num", "cost", "cart_cost", "delivery_cost",
		"weight", "status", "delivery", "payment", "context", "properties"}
	addrCols := []string{"id", "user_id", "createdon", "receiver", "phone", "country", "`index`", "region", "city",
		"metro", "street", "building", "room", "comment", "properties"}
	if gen == Gen24 {
		orderCols = append(orderCols, "comment", "address")
	} else {
		orderCols = append(orderCols, "session_id", "order_comment")
		addrCols = append(addrCols, "email", "entrance", "floor", "text_address")
		if gen == Gen30 {
			orderCols = append(orderCols, "address")
		} else {
			addrCols = append(addrCols, "order_id")
		}
	}
	return &ms2Orders{g: g, gen: gen,
		orders:    g.batch("ms2_orders", orderCols...),
		addresses: g.batch("ms2_order_addresses", addrCols...),
		lines:     g.batch("ms2_order_products", "order_id", "product_id", "name", "count", "price", "weight", "cost", "options"),
		logs:      g.batch("ms2_order_logs", "user_id", "order_id", "`timestamp`", "action", "entry", "ip"),
	}
}

func (w *ms2Orders) write(ctx context.Context, o genOrder) error {
	for _, l := range o.lines {
		if err := w.lines.add(ctx, o.id, l.product.id, l.product.title, l.qty, money(l.product.price), "0.500",
			money(l.product.price*l.qty), l.options); err != nil {
			return err
		}
	}
	manager := w.g.ds.ManagerID
	row := []any{o.id, o.userID(manager), o.created, nil, o.num, money(o.cart + o.delivery), money(o.cart), money(o.delivery),
		"1.500", o.status, o.deliveryID, o.paymentID, "web", o.properties}
	var link any = 0
	if a := o.address; a != nil {
		w.addrID++
		link = w.addrID
		addr := []any{w.addrID, o.userID(manager), o.created, o.receiver, a.phone, a.country, a.index, nil, a.city, "",
			a.street, a.building, a.room, a.comment, nil}
		if w.gen != Gen24 {
			addr = append(addr, a.email, "", a.floor, nil)
			if w.gen == Gen4x {
				addr = append(addr, o.id)
			}
		}
		if err := w.addresses.add(ctx, addr...); err != nil {
			return err
		}
	}
	if w.gen == Gen24 {
		row = append(row, o.comment, link)
	} else {
		row = append(row, "", o.comment)
		if w.gen == Gen30 {
			row = append(row, link)
		}
	}
	if err := w.orders.add(ctx, row...); err != nil {
		return err
	}
	if !o.logged {
		return nil
	}
	for s := int64(1); s <= o.status; s++ {
		at := o.created.Add(time.Duration(s-1) * time.Hour)
		if err := w.logs.add(ctx, o.logUser(s, manager), o.id, at, "status", strconv.FormatInt(s, 10),
			`{"ip":"127.0.0.1","suspected":[],"network":[]}`); err != nil {
			return err
		}
		w.g.ds.StatusLogs++
	}
	return nil
}

// orphan writes an address row with no order (4.x only: before, addresses
// are found through their order).
func (w *ms2Orders) orphan(ctx context.Context, id int64) error {
	if w.gen != Gen4x {
		return nil
	}
	return w.addresses.add(ctx, id, 0, w.g.now.In(w.g.shopOptions().zone()), "orphan", "", nil, nil, nil, nil, nil, nil, nil, nil, nil, nil,
		"", nil, nil, nil, nil)
}

func (w *ms2Orders) flush(ctx context.Context) error {
	return flushAll(ctx, w.orders, w.addresses, w.lines, w.logs)
}

// forms writes FormIt submissions: JSON with Cyrillic label keys, some
// encrypted with the site's key.
func (g *generator) forms(ctx context.Context) error {
	if g.o.Forms == 0 {
		return nil
	}
	g.ds.FormItKey = fmt.Sprintf("modx%x.%08d", g.rnd.Uint64(), g.rnd.IntN(1e8))
	q := "REPLACE INTO `" + g.o.Prefix + "system_settings` (`key`, value) VALUES ('formit.form_encryptkey', " + quote(g.ds.FormItKey) + ")"
	if _, err := g.db.ExecContext(ctx, q); err != nil {
		return fmt.Errorf("set formit key: %w", err)
	}
	forms := g.batch("formit_forms", "form", "context_key", "`values`", "ip", "`date`", "`encrypted`", "encryption_type", "hash")
	start := g.now.AddDate(0, -3, 0)
	for i := 0; i < g.o.Forms; i++ {
		name := g.pick(firstNames)
		values := phpEscape(fmt.Sprintf(`{"Ф.И.О":"%s","Телефон":"%s","Адрес эл. почты":"","Сообщение":"Перезвоните 🙏"}`,
			name, g.phoneShape(g.tenDigits())))
		if g.o.Marks && g.chance(70) {
			// FormIt saves every field the form posts, its hidden ones too
			// (FormItSaveForm stores the hook's values).
			v := map[string]any{"Ф.И.О": name, "Телефон": g.phoneShape(g.tenDigits()), "Сообщение": "Перезвоните 🙏"}
			maps.Copy(v, g.marks())
			values = PHPJSON(v)
		}
		encrypted, typ := false, 1
		if g.chance(10) {
			values, encrypted, typ = EncryptFormValues(g.ds.FormItKey, values), true, 2
		}
		date := start.Add(time.Duration(i) * time.Minute)
		if err := forms.add(ctx, g.pick(formNames), "web", values, "127.0.0.1", date.Unix(), encrypted, typ,
			fmt.Sprintf("%032x", g.rnd.Uint64())); err != nil {
			return err
		}
	}
	g.ds.Forms = g.o.Forms
	return flushAll(ctx, forms)
}

// marks draws where a customer came from: a search or ad campaign's UTM
// marks, sometimes a click id, Metrica's visitor id and the referrer.
func (g *generator) marks() map[string]any {
	m := map[string]any{"utm_source": g.pick(utmSources), "utm_medium": g.pick(utmMedia), "utm_campaign": g.pick(utmCampaigns)}
	if g.chance(30) {
		m["yclid"] = strconv.FormatUint(g.rnd.Uint64()>>8, 10)
	}
	if g.chance(50) {
		m["_ym_uid"] = strconv.FormatInt(1600000000+g.rnd.Int64N(1e8), 10) + strconv.Itoa(100000000+g.rnd.IntN(9e8))
	}
	if g.chance(50) {
		m["referrer"] = "https://" + g.pick([]string{"yandex.ru", "www.google.com", "vk.com"}) + "/"
	}
	return m
}

// orderMarks is an order's properties with marks, as plugins save them:
// a shop's own plugin at the top level; the old amoCRM extra's, merged into
// properties.amoCRMFields (its mergeOrderOptions), keyed by the tracking
// field's code in lower case, which its prepareOrder matches to the field.
func (g *generator) orderMarks(tagged bool) any {
	props := map[string]any{}
	fields := map[string]any{}
	if tagged {
		fields["tags"] = "сайт"
	}
	if g.chance(50) {
		maps.Copy(props, g.marks())
	} else {
		maps.Copy(fields, g.marks())
	}
	if len(fields) > 0 {
		props["amoCRMFields"] = fields
	}
	return PHPJSON(props)
}

// tenDigits returns a Russian mobile number without the country code.
func (g *generator) tenDigits() string {
	return fmt.Sprintf("9%09d", g.rnd.IntN(1e9))
}

// phoneShape writes ten digits the ways miniShop2 stores them per version.
func (g *generator) phoneShape(d string) string {
	switch g.rnd.IntN(5) {
	case 0:
		return "+7" + d
	case 1:
		return "8" + d
	case 2:
		return "8-" + d[:3] + "-" + d[3:6] + "-" + d[6:8] + "-" + d[8:]
	case 3:
		return "+7(" + d[:3] + ")" + d[3:6] + "-" + d[6:8] + "-" + d[8:]
	default:
		return d
	}
}

// nullable returns v, "" or NULL: forms leave fields empty or absent.
func (g *generator) nullable(v string) any {
	switch g.rnd.IntN(10) {
	case 0:
		return nil
	case 1:
		return ""
	}
	return v
}

func money(kopecks int) string {
	return fmt.Sprintf("%d.%02d", kopecks/100, kopecks%100)
}

func flushAll(ctx context.Context, batches ...*batch) error {
	for _, b := range batches {
		if err := b.flush(ctx); err != nil {
			return err
		}
	}
	return nil
}

var latin = map[rune]string{'а': "a", 'б': "b", 'в': "v", 'г': "g", 'д': "d", 'е': "e", 'ё': "e", 'ж': "zh",
	'з': "z", 'и': "i", 'й': "y", 'к': "k", 'л': "l", 'м': "m", 'н': "n", 'о': "o", 'п': "p", 'р': "r", 'с': "s",
	'т': "t", 'у': "u", 'ф': "f", 'х': "h", 'ц': "c", 'ч': "ch", 'ш': "sh", 'щ': "sch", 'ы': "y", 'э': "e",
	'ю': "yu", 'я': "ya"}

// translit makes the local part of a synthetic guest e-mail.
func translit(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case latin[r] != "":
			b.WriteString(latin[r])
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
		}
	}
	return b.String()
}
