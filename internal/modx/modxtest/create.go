// Package modxtest builds throw-away MODX + miniShop2 databases for tests,
// the demo and benchmarks: the DDL of the tables modx-amocrm reads (three
// miniShop2 generations), insert helpers with defaults for everything, and a
// deterministic generator of realistic shop data.
package modxtest

import (
	"context"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"
)

// Generations of miniShop2, as modx.Schema.Generation names them.
const (
	Gen24 = "2.4"
	Gen30 = "3.0"
	Gen4x = "4.x"
)

// Options select what Create builds.
type Options struct {
	Prefix     string // "" means no prefix; use "modx_" for the default install
	Generation string // Gen24, Gen30 or Gen4x; "" means Gen4x
	MyISAM     bool   // ms2 and old extra tables with ENGINE=MyISAM, as real shops have them
	FormIt     bool
	OldExtra   bool   // amocrm_leads, amocrm_users, amocrm_status
	SiteName   string // default "Магазин"
	SiteURL    string // default "https://shop.example/"
	Timezone   string // date_timezone setting; default "Europe/Moscow"
}

func (o Options) gen() string {
	if o.Generation == "" {
		return Gen4x
	}
	return o.Generation
}

// Create creates the tables and the default rows (statuses, one delivery and
// payment, site settings). The DDL has no FULLTEXT and, without MyISAM, no
// engine clause, so it also loads into go-mysql-server.
func Create(ctx context.Context, db *sqlx.DB, o Options) error {
	switch o.gen() {
	case Gen24, Gen30, Gen4x:
	default:
		return fmt.Errorf("generation %q: want %s, %s or %s", o.Generation, Gen24, Gen30, Gen4x)
	}
	for _, stmt := range append(ddl(o), seed(o)...) {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("create modx schema: %s: %w", firstWords(stmt), err)
		}
	}
	return nil
}

func firstWords(stmt string) string {
	if f := strings.Fields(stmt); len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return stmt
}

// ddl returns the CREATE TABLE statements for o. Types and nullability follow
// the references: miniShop2 columns nullable except ids, user_attributes
// strings NOT NULL DEFAULT ”.
func ddl(o Options) []string {
	gen := o.gen()
	ms2 := ""
	if o.MyISAM {
		ms2 = " ENGINE=MyISAM"
	}
	t := func(name, body, engine string) string {
		return "CREATE TABLE `" + o.Prefix + name + "` (\n" + body + "\n)" + engine + " DEFAULT CHARSET=utf8mb4"
	}
	id := "id int(10) unsigned NOT NULL AUTO_INCREMENT,\n"

	orders := id + "user_id int(10) unsigned NOT NULL,\n"
	if gen != Gen24 {
		orders += "session_id varchar(32) DEFAULT '',\n"
	}
	orders += `createdon datetime DEFAULT NULL,
updatedon datetime DEFAULT NULL,
num varchar(20) DEFAULT '',
cost decimal(12,2) DEFAULT 0.00,
cart_cost decimal(12,2) DEFAULT 0.00,
delivery_cost decimal(12,2) DEFAULT 0.00,
weight decimal(13,3) DEFAULT 0.000,
status int(10) unsigned DEFAULT 0,
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

	products := id + `product_id int(10) unsigned NOT NULL,
order_id int(10) unsigned NOT NULL,
name varchar(255) DEFAULT NULL,
count int(10) unsigned DEFAULT 1,
price decimal(12,2) DEFAULT 0.00,
weight decimal(13,3) DEFAULT 0.000,
cost decimal(12,2) DEFAULT 0.00,
options text,
`
	if gen != Gen24 {
		products += "properties text,\n"
	}
	products += "PRIMARY KEY (id),\nKEY product_id (product_id),\nKEY order_id (order_id)"

	stmts := []string{
		t("users", id+`username varchar(100) NOT NULL DEFAULT '',
password varchar(255) NOT NULL DEFAULT '',
cachepwd varchar(255) NOT NULL DEFAULT '',
class_key varchar(100) NOT NULL DEFAULT 'modUser',
active tinyint(1) unsigned NOT NULL DEFAULT 1,
remote_key varchar(191) DEFAULT NULL,
remote_data text,
hash_class varchar(100) NOT NULL DEFAULT 'hashing.modNative',
salt varchar(100) NOT NULL DEFAULT '',
primary_group int(10) unsigned NOT NULL DEFAULT 0,
session_stale text,
sudo tinyint(1) unsigned NOT NULL DEFAULT 0,
createdon int(20) NOT NULL DEFAULT 0,
PRIMARY KEY (id),
UNIQUE KEY username (username),
KEY class_key (class_key)`, ""),
		t("user_attributes", id+`internalKey int(10) NOT NULL,
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
gender int(1) NOT NULL DEFAULT 0,
address text NOT NULL,
country varchar(191) NOT NULL DEFAULT '',
city varchar(191) NOT NULL DEFAULT '',
state varchar(25) NOT NULL DEFAULT '',
zip varchar(25) NOT NULL DEFAULT '',
fax varchar(100) NOT NULL DEFAULT '',
photo varchar(191) NOT NULL DEFAULT '',
comment text NOT NULL,
website varchar(191) NOT NULL DEFAULT '',
extended text,
PRIMARY KEY (id),
UNIQUE KEY internalKey (internalKey)`, ""),
		t("site_content", id+`pagetitle varchar(191) NOT NULL DEFAULT '',
alias varchar(191) DEFAULT '',
parent int(10) NOT NULL DEFAULT 0,
isfolder tinyint(1) unsigned NOT NULL DEFAULT 0,
class_key varchar(100) NOT NULL DEFAULT 'msProduct',
context_key varchar(100) NOT NULL DEFAULT 'web',
published tinyint(1) unsigned NOT NULL DEFAULT 0,
deleted tinyint(1) unsigned NOT NULL DEFAULT 0,
menuindex int(10) NOT NULL DEFAULT 0,
createdon int(20) NOT NULL DEFAULT 0,
editedon int(20) NOT NULL DEFAULT 0,
PRIMARY KEY (id),
KEY parent (parent),
KEY class_key (class_key)`, ""),
		t("system_settings", "`key` varchar(50) NOT NULL DEFAULT '',\n"+
			"value text NOT NULL,\nxtype varchar(75) NOT NULL DEFAULT 'textfield',\nnamespace varchar(40) NOT NULL DEFAULT 'core',\n"+
			"area varchar(255) NOT NULL DEFAULT '',\neditedon timestamp NULL DEFAULT NULL,\nPRIMARY KEY (`key`)", ""),
		t("context_setting", "context_key varchar(191) NOT NULL,\n`key` varchar(50) NOT NULL,\nvalue text,\n"+
			"xtype varchar(75) NOT NULL DEFAULT 'textfield',\nnamespace varchar(40) NOT NULL DEFAULT 'core',\n"+
			"area varchar(255) NOT NULL DEFAULT '',\neditedon timestamp NULL DEFAULT NULL,\nPRIMARY KEY (context_key, `key`)", ""),
		t("manager_log", id+"`user` int(10) unsigned NOT NULL DEFAULT 0,\noccurred datetime DEFAULT NULL,\n"+
			"action varchar(100) NOT NULL DEFAULT '',\nclassKey varchar(100) NOT NULL DEFAULT '',\nitem varchar(255) NOT NULL DEFAULT '0',\n"+
			"PRIMARY KEY (id),\nKEY user_occurred (`user`, occurred)", ""),
		t("site_plugins", id+"name varchar(50) NOT NULL DEFAULT '',\ndescription varchar(255) NOT NULL DEFAULT '',\n"+
			"disabled tinyint(1) unsigned NOT NULL DEFAULT 0,\nPRIMARY KEY (id),\nUNIQUE KEY name (name)", ""),
		t("ms2_orders", orders, ms2),
		t("ms2_order_addresses", addresses, ms2),
		t("ms2_order_products", products, ms2),
		t("ms2_order_logs", id+`user_id int(10) unsigned NOT NULL DEFAULT 0,
order_id int(10) unsigned NOT NULL DEFAULT 0,
`+"`timestamp`"+` datetime DEFAULT NULL,
action varchar(100) NOT NULL DEFAULT '',
entry varchar(255) NOT NULL DEFAULT '0',
ip text NOT NULL,
PRIMARY KEY (id),
KEY user_id (user_id),
KEY order_id (order_id)`, ms2),
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
	if o.FormIt {
		stmts = append(stmts, t("formit_forms", id+"form varchar(255) NOT NULL DEFAULT '',\n"+
			"context_key varchar(100) NOT NULL DEFAULT '',\n`values` text NOT NULL,\nip varchar(100) NOT NULL DEFAULT '',\n"+
			"`date` int(11) NOT NULL DEFAULT 0,\n`encrypted` tinyint(1) NOT NULL DEFAULT 0,\n"+
			"encryption_type int(2) NOT NULL DEFAULT 1,\nhash varchar(255) NOT NULL DEFAULT '',\nPRIMARY KEY (id)", ""))
	}
	if o.OldExtra {
		stmts = append(stmts,
			t("amocrm_users", id+"`user` int(11) unsigned DEFAULT NULL,\nuser_id int(11) unsigned DEFAULT NULL,\n"+
				"PRIMARY KEY (id),\nUNIQUE KEY `user` (`user`),\nUNIQUE KEY user_id (user_id)", ms2),
			t("amocrm_leads", id+"`order` int(11) unsigned DEFAULT NULL,\norder_id int(11) unsigned DEFAULT NULL,\n"+
				"pipeline_id int(11) unsigned DEFAULT NULL,\nPRIMARY KEY (id),\nKEY `order` (`order`),\nKEY amo (order_id, pipeline_id)", ms2),
			t("amocrm_status", id+"status int(11) unsigned DEFAULT NULL,\nstatus_id int(11) unsigned DEFAULT NULL,\n"+
				"pipeline_id int(11) unsigned DEFAULT NULL,\nPRIMARY KEY (id),\nKEY status (status)", ms2))
	}
	return stmts
}

// seed returns the rows a fresh install has: statuses of the generation,
// ms2_status_* settings on 4.x, the site settings, a delivery and a payment.
func seed(o Options) []string {
	p := func(name string) string { return "`" + o.Prefix + name + "`" }
	statuses := "INSERT INTO " + p("ms2_order_statuses") + " (id, name, color, active, final, fixed, `rank`) VALUES " +
		"(1, 'Новый', '000000', 1, 0, 1, %d), (2, 'Оплачен', '008000', 1, 0, 1, %d), " +
		"(3, 'Отправлен', '003366', 1, 1, 1, %d), (4, 'Отменён', '800000', 1, 1, 1, %d)"
	settings := map[string]string{
		"site_name":     or(o.SiteName, "Магазин"),
		"site_url":      or(o.SiteURL, "https://shop.example/"),
		"date_timezone": or(o.Timezone, "Europe/Moscow"),
	}
	var stmts []string
	switch o.gen() {
	case Gen4x:
		stmts = append(stmts, fmt.Sprintf(statuses, 1, 2, 3, 4),
			"INSERT INTO "+p("ms2_order_statuses")+" (id, name, color, active, final, fixed, `rank`) VALUES (5, 'Черновик', 'C0C0C0', 1, 0, 0, 0)")
		settings["ms2_status_new"] = "1"
		settings["ms2_status_draft"] = "5"
	case Gen30:
		stmts = append(stmts, fmt.Sprintf(statuses, 0, 1, 2, 3),
			"INSERT INTO "+p("ms2_order_statuses")+" (id, name, color, active, final, fixed, `rank`) VALUES (999, 'Оформляется', 'C0C0C0', 1, 0, 0, 998)")
	default:
		stmts = append(stmts, fmt.Sprintf(statuses, 0, 1, 2, 3))
	}
	stmts = append(stmts,
		"INSERT INTO "+p("ms2_deliveries")+" (id, name, price, `rank`) VALUES (1, 'Самовывоз', '0', 0), (2, 'Курьер', '300', 1)",
		"INSERT INTO "+p("ms2_payments")+" (id, name, price, `rank`) VALUES (1, 'Оплата наличными', '0', 0), (2, 'Картой онлайн', '0', 1)",
	)
	for _, k := range sortedKeys(settings) {
		stmts = append(stmts, "INSERT INTO "+p("system_settings")+" (`key`, value) VALUES ("+quote(k)+", "+quote(settings[k])+")")
	}
	if o.OldExtra {
		// The extra's plugin, enabled as the package installs it.
		stmts = append(stmts, "INSERT INTO "+p("site_plugins")+" (name, description, disabled) VALUES ('amoCRM', 'amoCRM', 0)")
	}
	return stmts
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
