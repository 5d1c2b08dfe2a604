// Package modxtest builds throw-away MODX databases with a shop for tests,
// the demo and benchmarks: the DDL of the tables modx-amocrm reads (three
// miniShop2 generations on MODX 2, MiniShop3 on MODX 3), insert helpers that
// write rows the way the shop's PHP does, with defaults for everything, and
// a deterministic generator of realistic shop data.
package modxtest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// Generations of the shop, as modx.Schema.Generation names them.
const (
	Gen24 = "2.4" // miniShop2 2.4
	Gen30 = "3.0" // miniShop2 3.0
	Gen4x = "4.x" // miniShop2 4.x
	// GenMS3 is MiniShop3 1.x on MODX 3: ms3_* tables, see minishop3.go.
	GenMS3 = "1.x"
)

// Options select what Create builds.
type Options struct {
	Prefix     string // "" means no prefix; use "modx_" for the default install
	Generation string // Gen24, Gen30, Gen4x or GenMS3; "" means Gen4x
	MyISAM     bool   // ms2 and old extra tables with ENGINE=MyISAM, as real shops have them
	FormIt     bool
	// OldExtra installs the amoCRM extra 1.9.3 as its package does: its
	// tables, settings, plugin and snippet (oldextra.go).
	OldExtra bool
	// SimpleQueue adds simpleQueue's table, which the extra queues into
	// with amocrm_use_simple_queue on.
	SimpleQueue bool
	SiteName    string // default "Магазин"
	SiteURL     string // default "https://shop.example/"
	Timezone    string // date_timezone setting; default "Europe/Moscow"
	// PHPTimezone is php.ini's date.timezone. Setting it leaves
	// date_timezone empty (MODX's default, seen in two real dumps), and the
	// shop's DATETIMEs are then written in this zone.
	PHPTimezone string
	// Upgraded is a miniShop2 4.x shop upgraded from 3.0 (see Upgrade): the
	// draft status is 999, and addresses of orders placed before the upgrade
	// name no order.
	Upgraded bool
}

func (o Options) gen() string {
	if o.Generation == "" {
		return Gen4x
	}
	return o.Generation
}

// zone is where the shop's PHP writes DATETIMEs: date_timezone, else
// php.ini's zone. Create has checked the names.
func (o Options) zone() *time.Location {
	name := o.PHPTimezone
	if name == "" {
		name = or(o.Timezone, "Europe/Moscow")
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(fmt.Sprintf("modxtest: zone %q: %v", name, err))
	}
	return loc
}

// wall is t as the shop's PHP writes it into a DATETIME: date('Y-m-d H:i:s')
// in its zone (literal formats a time's own wall clock).
func (o Options) wall(t time.Time) time.Time { return t.In(o.zone()) }

// ms3 reports whether o is a MiniShop3 shop (MODX 3).
func (o Options) ms3() bool { return o.gen() == GenMS3 }

// shop names a shop table: "orders" is ms2_orders or ms3_orders.
func (o Options) shop(name string) string {
	if o.ms3() {
		return "ms3_" + name
	}
	return "ms2_" + name
}

// StatusIDs are the ids of a fixture shop's default statuses; Draft is 0
// where the generation has no drafts.
type StatusIDs struct{ Draft, New, Paid, Sent, Cancelled int64 }

// Statuses returns the status ids Create seeds for o's generation.
func Statuses(o Options) StatusIDs {
	switch o.gen() {
	case GenMS3:
		return StatusIDs{Draft: 1, New: 2, Paid: 3, Sent: 4, Cancelled: 5}
	case Gen4x:
		if o.Upgraded { // the 4.x resolver keeps 3.0's status 999 as the draft
			return StatusIDs{Draft: 999, New: 1, Paid: 2, Sent: 3, Cancelled: 4}
		}
		return StatusIDs{Draft: 5, New: 1, Paid: 2, Sent: 3, Cancelled: 4}
	case Gen30:
		return StatusIDs{Draft: 999, New: 1, Paid: 2, Sent: 3, Cancelled: 4}
	}
	return StatusIDs{New: 1, Paid: 2, Sent: 3, Cancelled: 4}
}

// Create creates the tables and the default rows (statuses, deliveries and
// payments, site settings). The DDL has no FULLTEXT and, without MyISAM, no
// engine clause, so it also loads into go-mysql-server.
func Create(ctx context.Context, db *sqlx.DB, o Options) error {
	switch o.gen() {
	case Gen24, Gen30, Gen4x, GenMS3:
	default:
		return fmt.Errorf("generation %q: want %s, %s, %s or %s", o.Generation, Gen24, Gen30, Gen4x, GenMS3)
	}
	for _, name := range []string{o.Timezone, o.PHPTimezone} {
		if _, err := time.LoadLocation(name); err != nil {
			return fmt.Errorf("zone %q: %w", name, err)
		}
	}
	if o.Upgraded {
		if o.gen() != Gen4x {
			return fmt.Errorf("only a %s shop is upgraded from %s", Gen4x, Gen30)
		}
		old := o
		old.Generation, old.Upgraded = Gen30, false
		if err := Create(ctx, db, old); err != nil {
			return err
		}
		_, err := Upgrade(ctx, db, old)
		return err
	}
	shopDDL, shopSeed := ms2DDL, ms2Seed
	if o.ms3() {
		shopDDL, shopSeed = ms3DDL, ms3Seed
	}
	stmts := slices.Concat(coreDDL(o), accessDDL(o), shopDDL(o), extrasDDL(o), shopSeed(o), coreSeed(o), accessSeed(o))
	if o.OldExtra {
		stmts = slices.Concat(stmts, oldExtraSeed(o))
	}
	for _, stmt := range stmts {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("create modx schema: %s: %w", firstWords(stmt), err)
		}
	}
	return nil
}

// Upgrade turns a miniShop2 3.0 shop into 4.x the way the 4.x package's
// upgrade does, and returns the upgraded shop's options: ms2_orders.address
// is dropped and ms2_order_addresses gains order_id, NULL on every existing
// row (so an order placed before the upgrade finds its address only by
// user_id and createdon, which checkout writes alike); the statuses
// resolver finds status 999 by id, renames it Черновик and stores it in
// ms2_status_draft (_build/resolvers/resolve.statuses.php, 4.0.0-4.4.1).
func Upgrade(ctx context.Context, db *sqlx.DB, o Options) (Options, error) {
	if o.gen() != Gen30 {
		return o, fmt.Errorf("upgrade: want a %s shop, got %s", Gen30, o.gen())
	}
	p := func(name string) string { return "`" + o.Prefix + name + "`" }
	for _, stmt := range []string{
		"ALTER TABLE " + p("ms2_orders") + " DROP COLUMN address",
		"ALTER TABLE " + p("ms2_order_addresses") + " ADD COLUMN order_id int(10) unsigned DEFAULT NULL AFTER id, ADD KEY order_id (order_id)",
		"UPDATE " + p("ms2_order_statuses") + " SET name = 'Черновик' WHERE id = 999",
		setting(o, "ms2_status_new", "1"),
		setting(o, "ms2_status_draft", "999"),
	} {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			return o, fmt.Errorf("upgrade to %s: %s: %w", Gen4x, firstWords(stmt), err)
		}
	}
	o.Generation, o.Upgraded = Gen4x, true
	return o, nil
}

func firstWords(stmt string) string {
	if f := strings.Fields(stmt); len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return stmt
}

// Column runs that miniShop2 and MiniShop3 declare alike.
const (
	orderCosts = `cost decimal(12,2) DEFAULT 0.00,
cart_cost decimal(12,2) DEFAULT 0.00,
delivery_cost decimal(12,2) DEFAULT 0.00,
weight decimal(13,3) DEFAULT 0.000,
`
	logHead = `user_id int(10) unsigned NOT NULL DEFAULT 0,
order_id int(10) unsigned NOT NULL DEFAULT 0,
` + "`timestamp`" + ` datetime DEFAULT NULL,
action varchar(100) NOT NULL DEFAULT '',
`
	logKeys  = "PRIMARY KEY (id),\nKEY user_id (user_id),\nKEY order_id (order_id)"
	lineCols = `name varchar(255) DEFAULT NULL,
count int(10) unsigned DEFAULT 1,
price decimal(12,2) DEFAULT 0.00,
weight decimal(13,3) DEFAULT 0.000,
cost decimal(12,2) DEFAULT 0.00,
options text,
`
)

// idColumn is xPDOSimpleObject's primary key column.
const idColumn = "id int(10) unsigned NOT NULL AUTO_INCREMENT,\n"

// createTable renders one CREATE TABLE under o's prefix; engine is "" or
// " ENGINE=MyISAM".
func (o Options) createTable(name, body, engine string) string {
	return "CREATE TABLE `" + o.Prefix + name + "` (\n" + body + "\n)" + engine + " DEFAULT CHARSET=utf8mb4"
}

// myisam is the engine clause of the shop and old extra tables.
func (o Options) myisam() string {
	if o.MyISAM {
		return " ENGINE=MyISAM"
	}
	return ""
}

// coreDDL returns MODX's own tables. Types and nullability follow the
// references: user_attributes strings NOT NULL with an empty default; MODX 3 makes
// internalKey unsigned, widens a few columns and namespaces the class keys.
func coreDDL(o Options) []string {
	// miniShop2 alters site_content's default class to msProduct (real-installs.md §2.8).
	userClass, hashClass, resourceClass := "modUser", "hashing.modNative", "msProduct"
	internalKey, gender, wide := "int(10)", "int(1)", "191"
	if o.ms3() {
		userClass, hashClass, resourceClass = o.classKey("modUser"), `MODX\Revolution\Hashing\modNative`, o.classKey("modDocument")
		internalKey, gender, wide = "int(10) unsigned", "tinyint(1)", "255"
	}
	return []string{
		o.createTable("users", idColumn+`username varchar(100) NOT NULL DEFAULT '',
password varchar(255) NOT NULL DEFAULT '',
cachepwd varchar(255) NOT NULL DEFAULT '',
class_key varchar(100) NOT NULL DEFAULT `+quote(userClass)+`,
active tinyint(1) unsigned NOT NULL DEFAULT 1,
remote_key varchar(191) DEFAULT NULL,
remote_data text,
hash_class varchar(100) NOT NULL DEFAULT `+quote(hashClass)+`,
salt varchar(100) NOT NULL DEFAULT '',
primary_group int(10) unsigned NOT NULL DEFAULT 0,
session_stale text,
sudo tinyint(1) unsigned NOT NULL DEFAULT 0,
createdon int(20) NOT NULL DEFAULT 0,
PRIMARY KEY (id),
UNIQUE KEY username (username),
KEY class_key (class_key)`, ""),
		o.createTable("user_attributes", idColumn+`internalKey `+internalKey+` NOT NULL,
fullname varchar(100) NOT NULL DEFAULT '',
email varchar(100) NOT NULL DEFAULT '',
phone varchar(100) NOT NULL DEFAULT '',
mobilephone varchar(100) NOT NULL DEFAULT '',
blocked tinyint(1) unsigned NOT NULL DEFAULT 0,
blockeduntil int(11) NOT NULL DEFAULT 0,
blockedafter int(11) NOT NULL DEFAULT 0,
logincount int(11) NOT NULL DEFAULT 0,
lastlogin int(11) NOT NULL DEFAULT 0,
thislogin int(11) NOT NULL DEFAULT 0,
failedlogincount int(10) NOT NULL DEFAULT 0,
sessionid varchar(100) NOT NULL DEFAULT '',
dob int(10) NOT NULL DEFAULT 0,
gender `+gender+` NOT NULL DEFAULT 0,
address text NOT NULL,
country varchar(`+wide+`) NOT NULL DEFAULT '',
city varchar(`+wide+`) NOT NULL DEFAULT '',
state varchar(25) NOT NULL DEFAULT '',
zip varchar(25) NOT NULL DEFAULT '',
fax varchar(100) NOT NULL DEFAULT '',
photo varchar(`+wide+`) NOT NULL DEFAULT '',
comment text NOT NULL,
website varchar(`+wide+`) NOT NULL DEFAULT '',
extended text,
PRIMARY KEY (id),
UNIQUE KEY internalKey (internalKey)`, ""),
		o.createTable("site_content", idColumn+`pagetitle varchar(191) NOT NULL DEFAULT '',
alias varchar(191) DEFAULT '',
parent int(10) NOT NULL DEFAULT 0,
isfolder tinyint(1) unsigned NOT NULL DEFAULT 0,
class_key varchar(100) NOT NULL DEFAULT `+quote(resourceClass)+`,
context_key varchar(100) NOT NULL DEFAULT 'web',
published tinyint(1) unsigned NOT NULL DEFAULT 0,
deleted tinyint(1) unsigned NOT NULL DEFAULT 0,
menuindex int(10) NOT NULL DEFAULT 0,
createdon int(20) NOT NULL DEFAULT 0,
editedon int(20) NOT NULL DEFAULT 0,
content mediumtext,
PRIMARY KEY (id),
KEY parent (parent),
KEY class_key (class_key)`, ""),
		o.createTable("system_settings", "`key` varchar(50) NOT NULL DEFAULT '',\n"+
			"value text NOT NULL,\nxtype varchar(75) NOT NULL DEFAULT 'textfield',\nnamespace varchar(40) NOT NULL DEFAULT 'core',\n"+
			"area varchar(255) NOT NULL DEFAULT '',\neditedon timestamp NULL DEFAULT NULL,\nPRIMARY KEY (`key`)", ""),
		o.createTable("context_setting", "context_key varchar(191) NOT NULL,\n`key` varchar(50) NOT NULL,\nvalue text,\n"+
			"xtype varchar(75) NOT NULL DEFAULT 'textfield',\nnamespace varchar(40) NOT NULL DEFAULT 'core',\n"+
			"area varchar(255) NOT NULL DEFAULT '',\neditedon timestamp NULL DEFAULT NULL,\nPRIMARY KEY (context_key, `key`)", ""),
		o.createTable("manager_log", idColumn+"`user` int(10) unsigned NOT NULL DEFAULT 0,\noccurred datetime DEFAULT NULL,\n"+
			"action varchar(100) NOT NULL DEFAULT '',\nclassKey varchar(100) NOT NULL DEFAULT '',\nitem varchar(255) NOT NULL DEFAULT '0',\n"+
			"PRIMARY KEY (id),\nKEY user_occurred (`user`, occurred)", ""),
		o.createTable("site_plugins", idColumn+"name varchar(50) NOT NULL DEFAULT '',\ndescription varchar(255) NOT NULL DEFAULT '',\n"+
			"plugincode mediumtext,\ndisabled tinyint(1) unsigned NOT NULL DEFAULT 0,\nstatic_file varchar(255) NOT NULL DEFAULT '',\n"+
			"PRIMARY KEY (id),\nUNIQUE KEY name (name)", ""),
		o.createTable("site_plugin_events", "pluginid int(10) NOT NULL DEFAULT 0,\nevent varchar(191) NOT NULL DEFAULT '',\n"+
			"priority int(10) NOT NULL DEFAULT 0,\npropertyset int(10) NOT NULL DEFAULT 0,\nPRIMARY KEY (pluginid, event)", ""),
		o.createTable("site_snippets", idColumn+"name varchar(50) NOT NULL DEFAULT '',\ndescription varchar(255) NOT NULL DEFAULT '',\n"+
			"snippet mediumtext,\nstatic_file varchar(255) NOT NULL DEFAULT '',\nPRIMARY KEY (id),\nUNIQUE KEY name (name)", ""),
		o.createTable("site_htmlsnippets", idColumn+"name varchar(50) NOT NULL DEFAULT '',\ndescription varchar(255) NOT NULL DEFAULT '',\n"+
			"snippet mediumtext,\nPRIMARY KEY (id),\nUNIQUE KEY name (name)", ""),
		o.createTable("site_templates", idColumn+"templatename varchar(50) NOT NULL DEFAULT '',\ndescription varchar(255) NOT NULL DEFAULT '',\n"+
			"content mediumtext,\nPRIMARY KEY (id),\nUNIQUE KEY templatename (templatename)", ""),
	}
}

// classKey is the site_content or users class_key of a MODX 2 class on o's
// MODX: MiniShop3's resources and MODX 3's own classes are namespaced.
func (o Options) classKey(class string) string {
	if !o.ms3() {
		return class
	}
	switch class {
	case "msProduct", "msCategory":
		return `MiniShop3\Model\` + class
	}
	return `MODX\Revolution\` + class
}

// ms2DDL returns miniShop2's tables of o's generation; miniShop2 columns
// are nullable except ids.
func ms2DDL(o Options) []string {
	gen := o.gen()
	ms2 := o.myisam()
	id := idColumn
	t := o.createTable

	orders := id + "user_id int(10) unsigned NOT NULL,\n"
	if gen != Gen24 {
		orders += "session_id varchar(32) DEFAULT '',\n"
	}
	orders += "createdon datetime DEFAULT NULL,\nupdatedon datetime DEFAULT NULL,\nnum varchar(20) DEFAULT '',\n" + orderCosts +
		`status int(10) unsigned DEFAULT 0,
delivery int(10) unsigned DEFAULT 0,
payment int(10) unsigned DEFAULT 0,
context varchar(100) DEFAULT 'web',
`
	switch gen {
	case Gen24:
		orders += "comment text,\naddress int(10) unsigned DEFAULT 0,\n"
	case Gen30:
		orders += "order_comment text,\naddress int(10) unsigned DEFAULT 0,\n"
	default:
		orders += "order_comment text,\n"
	}
	orders += "properties text,\ntype tinyint(3) unsigned DEFAULT 0,\nPRIMARY KEY (id),\nKEY user_id (user_id),\nKEY status (status)"

	addresses := id
	if gen == Gen4x {
		addresses += "order_id int(10) unsigned DEFAULT NULL,\n"
	}
	addresses += `user_id int(10) unsigned NOT NULL,
createdon datetime DEFAULT NULL,
updatedon datetime DEFAULT NULL,
receiver varchar(255) DEFAULT NULL,
phone varchar(20) DEFAULT NULL,
`
	if gen != Gen24 {
		addresses += "email varchar(191) DEFAULT NULL,\n"
	}
	addresses += "country varchar(100) DEFAULT NULL,\n`index` varchar(50) DEFAULT NULL,\nregion varchar(100) DEFAULT NULL,\n" +
		"city varchar(100) DEFAULT NULL,\nmetro varchar(255) DEFAULT NULL,\nstreet varchar(255) DEFAULT NULL,\nbuilding varchar(10) DEFAULT NULL,\n"
	if gen != Gen24 {
		addresses += "entrance varchar(10) DEFAULT NULL,\nfloor varchar(10) DEFAULT NULL,\n"
	}
	addresses += "room varchar(10) DEFAULT NULL,\n"
	if gen != Gen24 {
		addresses += "text_address text,\n"
	}
	addresses += "comment text,\nproperties text,\nPRIMARY KEY (id),\nKEY user_id (user_id)"
	if gen == Gen4x {
		addresses += ",\nKEY order_id (order_id)"
	}

	products := id + "product_id int(10) unsigned NOT NULL,\norder_id int(10) unsigned NOT NULL,\n" + lineCols
	if gen != Gen24 {
		products += "properties text,\n"
	}
	products += "PRIMARY KEY (id),\nKEY product_id (product_id),\nKEY order_id (order_id)"

	return []string{
		t("ms2_orders", orders, ms2),
		t("ms2_order_addresses", addresses, ms2),
		t("ms2_order_products", products, ms2),
		t("ms2_order_logs", id+logHead+"entry varchar(255) NOT NULL DEFAULT '0',\nip text NOT NULL,\n"+logKeys, ms2),
		t("ms2_order_statuses", id+"name varchar(100) NOT NULL,\ndescription text,\ncolor char(6) DEFAULT '000000',\n"+
			"email_user tinyint(1) DEFAULT 0,\nemail_manager tinyint(1) DEFAULT 0,\nactive tinyint(1) DEFAULT 1,\n"+
			"final tinyint(1) DEFAULT 0,\nfixed tinyint(1) DEFAULT 0,\n`rank` int(10) unsigned DEFAULT 0,\n"+
			"editable tinyint(1) DEFAULT 1,\nPRIMARY KEY (id),\nKEY active (active)", ms2),
		t("ms2_products", "id int(10) unsigned NOT NULL,\narticle varchar(50) DEFAULT NULL,\nprice decimal(12,2) DEFAULT 0.00,\n"+
			"old_price decimal(12,2) DEFAULT 0.00,\nweight decimal(13,3) DEFAULT 0.000,\nimage varchar(255) DEFAULT NULL,\n"+
			"thumb varchar(255) DEFAULT NULL,\nvendor int(10) unsigned DEFAULT 0,\nmade_in varchar(100) DEFAULT '',\n"+
			"new tinyint(1) unsigned DEFAULT 0,\npopular tinyint(1) unsigned DEFAULT 0,\nfavorite tinyint(1) unsigned DEFAULT 0,\n"+
			"tags text,\ncolor text,\nsize text,\nsource int(10) unsigned DEFAULT 1,\nPRIMARY KEY (id),\nKEY article (article)", ms2),
		t("ms2_product_categories", "product_id int(10) unsigned NOT NULL,\ncategory_id int(10) unsigned NOT NULL,\n"+
			"PRIMARY KEY (product_id, category_id)", ms2),
		t("ms2_deliveries", id+"name varchar(255) NOT NULL,\ndescription text,\nprice varchar(11) DEFAULT '0',\n"+
			"`rank` tinyint(1) unsigned DEFAULT 0,\nactive tinyint(1) DEFAULT 1,\nPRIMARY KEY (id)", ms2),
		t("ms2_payments", id+"name varchar(255) NOT NULL,\ndescription text,\nprice varchar(11) DEFAULT '0',\n"+
			"`rank` int(10) unsigned DEFAULT 0,\nactive tinyint(1) unsigned DEFAULT 1,\nPRIMARY KEY (id)", ms2),
	}
}

// extrasDDL returns FormIt's and the old amoCRM extra's tables, as o asks.
func extrasDDL(o Options) []string {
	var stmts []string
	t, id := o.createTable, idColumn
	if o.FormIt {
		stmts = append(stmts, t("formit_forms", id+"form varchar(255) NOT NULL DEFAULT '',\n"+
			"context_key varchar(100) NOT NULL DEFAULT '',\n`values` text NOT NULL,\nip varchar(100) NOT NULL DEFAULT '',\n"+
			"`date` int(11) NOT NULL DEFAULT 0,\n`encrypted` tinyint(1) NOT NULL DEFAULT 0,\n"+
			"encryption_type int(2) NOT NULL DEFAULT 1,\nhash varchar(255) NOT NULL DEFAULT '',\nPRIMARY KEY (id)", ""))
	}
	if o.OldExtra {
		stmts = append(stmts, oldExtraDDL(o)...)
	}
	return stmts
}

// ms2Seed returns the rows a fresh miniShop2 install has: statuses of the
// generation, ms2_status_* settings on 4.x, a delivery and a payment.
func ms2Seed(o Options) []string {
	p := func(name string) string { return "`" + o.Prefix + name + "`" }
	statuses := "INSERT INTO " + p("ms2_order_statuses") + " (id, name, color, active, final, fixed, `rank`) VALUES " +
		"(1, 'Новый', '000000', 1, 0, 1, %d), (2, 'Оплачен', '008000', 1, 0, 1, %d), " +
		"(3, 'Отправлен', '003366', 1, 1, 1, %d), (4, 'Отменён', '800000', 1, 1, 1, %d)"
	var stmts []string
	switch o.gen() {
	case Gen4x:
		stmts = append(stmts, fmt.Sprintf(statuses, 1, 2, 3, 4),
			"INSERT INTO "+p("ms2_order_statuses")+" (id, name, color, active, final, fixed, `rank`) VALUES (5, 'Черновик', 'C0C0C0', 1, 0, 0, 0)",
			setting(o, "ms2_status_new", "1"), setting(o, "ms2_status_draft", "5"))
	case Gen30:
		stmts = append(stmts, fmt.Sprintf(statuses, 0, 1, 2, 3),
			"INSERT INTO "+p("ms2_order_statuses")+" (id, name, color, active, final, fixed, `rank`) VALUES (999, 'Оформляется', 'C0C0C0', 1, 0, 0, 998)")
	default:
		stmts = append(stmts, fmt.Sprintf(statuses, 0, 1, 2, 3))
	}
	return append(stmts,
		"INSERT INTO "+p("ms2_deliveries")+" (id, name, price, `rank`) VALUES (1, 'Самовывоз', '0', 0), (2, 'Курьер', '300', 1)",
		"INSERT INTO "+p("ms2_payments")+" (id, name, price, `rank`) VALUES (1, 'Оплата наличными', '0', 0), (2, 'Картой онлайн', '0', 1)",
	)
}

// modxVersions are settings_version values of the real dumps of
// real-installs.md §1 per generation (D2, D4, D1; D6 for MODX 3).
var modxVersions = map[string]string{Gen24: "2.6.1-pl", Gen30: "2.8.4-pl", Gen4x: "2.8.7-pl", GenMS3: "3.0.5-pl"}

// coreSeed returns MODX's own settings.
func coreSeed(o Options) []string {
	settings := map[string]string{
		"site_name":        or(o.SiteName, "Магазин"),
		"site_url":         or(o.SiteURL, "https://shop.example/"),
		"date_timezone":    or(o.Timezone, "Europe/Moscow"),
		"settings_version": modxVersions[o.gen()],
	}
	if o.PHPTimezone != "" {
		settings["date_timezone"] = ""
	}
	var stmts []string
	for _, k := range sortedKeys(settings) {
		stmts = append(stmts, setting(o, k, settings[k]))
	}
	return stmts
}

// setting is the INSERT of one system setting.
func setting(o Options, key, value string) string {
	return "INSERT INTO `" + o.Prefix + "system_settings` (`key`, value) VALUES (" + quote(key) + ", " + quote(value) + ")"
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
