package modx

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Shops, as Options.Shop takes them (the modx.shop config key) and
// Schema.Shop reports them.
const (
	ShopAuto      = "auto" // whichever shop's tables exist
	ShopMiniShop2 = "minishop2"
	ShopMiniShop3 = "minishop3"
)

// Generations as Schema.Generation reports them.
const (
	Gen24 = "2.4" // miniShop2: ms2_orders.comment, no session_id, address link on the order
	Gen30 = "3.0" // miniShop2: ms2_orders.address link, session_id
	Gen4x = "4.x" // miniShop2: ms2_order_addresses.order_id

	GenMS3    = "1.x"     // MiniShop3 1.x betas: ms3_orders.customer_id (see minishop3.go)
	GenMS3Pre = "pre-1.0" // MiniShop3 before 1.0: no customer_id, receiver on the address
)

// shopNames are the tables, columns and settings by which miniShop2 and
// MiniShop3 differ; the readers are written once against them.
type shopNames struct {
	shop, title                                 string
	orders, addresses, products, logs, statuses string
	productData, productCategories              string
	deliveries, payments                        string
	// Order columns that MiniShop3 renamed, and the statuses' sort column.
	status, delivery, payment, rank string
	draftSetting, newSetting        string
	// markers are the columns whose presence tells a generation apart;
	// check prints those present.
	markers []string
}

var miniShop2 = shopNames{
	shop: ShopMiniShop2, title: "miniShop2",
	orders: "ms2_orders", addresses: "ms2_order_addresses", products: "ms2_order_products",
	logs: "ms2_order_logs", statuses: "ms2_order_statuses",
	productData: "ms2_products", productCategories: "ms2_product_categories",
	deliveries: "ms2_deliveries", payments: "ms2_payments",
	status: "status", delivery: "delivery", payment: "payment", rank: "rank",
	draftSetting: "ms2_status_draft", newSetting: "ms2_status_new",
	markers: []string{"ms2_order_addresses.order_id", "ms2_orders.session_id", "ms2_orders.address",
		"ms2_orders.order_comment", "ms2_orders.comment", "ms2_order_products.properties"},
}

func (n shopNames) tables() []string {
	return []string{n.orders, n.addresses, n.products, n.logs, n.statuses, n.productData, n.productCategories, n.deliveries, n.payments}
}

// knownTables are the tables (without prefix) any reader may touch.
var knownTables = slices.Concat(
	[]string{"users", "user_attributes", "site_content", "system_settings", "context_setting", "manager_log", "site_plugins"},
	[]string{"member_groups", "access_context"}, // who may enter the manager (accounts.go)
	miniShop2.tables(), miniShop3.tables(), []string{ms3Customers},
	[]string{"formit_forms", "amocrm_leads", "amocrm_users", "amocrm_status", "amocrm_custom_fields", "simplequeue_messages"},
	// where a FormIt call may name the old extra's hook (oldrunning.go)
	[]string{"site_snippets", "site_htmlsnippets", "site_templates"},
)

var (
	// ErrNoShop means the database has no orders table of the shop asked
	// for (or of either shop) under the prefix.
	ErrNoShop = errors.New("no shop tables")
	// ErrTwoShops means both shops' tables exist and modx.shop is "auto".
	ErrTwoShops = errors.New("both miniShop2 and MiniShop3 tables exist: set modx.shop to minishop2 or minishop3")
	// ErrBadShop is returned for an Options.Shop that names no shop.
	ErrBadShop = errors.New("want auto, minishop2 or minishop3")
)

// Table is one existing table: its engine and column set.
type Table struct {
	Name    string // with prefix
	Engine  string // "InnoDB", "MyISAM"...
	Columns map[string]bool
}

// Schema is what Detect found in the database.
type Schema struct {
	Prefix string
	// Shop is ShopMiniShop2 or ShopMiniShop3; Generation one of the Gen
	// constants of that shop, and Markers the "table.column" version
	// markers that exist.
	Shop       string
	Generation string
	// Version is the release range the columns (and the draft status)
	// tell apart, for people: "2.4–2.9.2", "3.0.5–3.0.7", "4.x, upgraded
	// from 3.0". Generation is the coarser family the readers go by.
	Version     string
	Markers     []string
	MODXVersion string            // the settings_version setting, e.g. "3.0.5-pl"; "" when absent
	Tables      map[string]*Table // by name without prefix; absent tables are missing
	FormIt      bool
	OldLeads    bool // amocrm_leads of the old extra
	OldUsers    bool
	OldStatus   bool
	// DraftStatus is the shop's draft (cart) status id: miniShop2's
	// ms2_status_draft (999 on 3.0 installs that have it, 0 when the shop
	// has no drafts), MiniShop3's ms3_status_draft (1 by default).
	DraftStatus int64
	// NewStatus is the status a submitted order gets (ms2_status_new, else
	// 1; ms3_status_new, else 2).
	NewStatus int64

	names shopNames
}

// Title names the shop and version for people: "miniShop2 3.0.5–3.0.7".
func (s *Schema) Title() string { return s.names.title + " " + s.Version }

// Has reports whether table exists and, when column is not "", has it.
func (s *Schema) Has(table, column string) bool {
	t, ok := s.Tables[table]
	if !ok {
		return false
	}
	return column == "" || t.Columns[column]
}

// MyISAM lists the existing tables with the MyISAM engine: they have no
// transactions, so an order may be visible before its lines.
func (s *Schema) MyISAM() []string {
	var names []string
	for _, name := range knownTables {
		if t, ok := s.Tables[name]; ok && strings.EqualFold(t.Engine, "MyISAM") {
			names = append(names, name)
		}
	}
	return names
}

// col returns alias.column wrapped in COALESCE(…, fallback) when the column
// exists, else the fallback literal, so one query fits every generation.
func (s *Schema) col(table, alias, column, fallback string) string {
	if !s.Has(table, column) {
		return fallback
	}
	return "COALESCE(" + alias + ".`" + column + "`, " + fallback + ")"
}

// Detect reads information_schema and the shop's settings. The result is
// cached for the readers; call it again to pick up schema changes.
func (db *DB) Detect(ctx context.Context) (*Schema, error) {
	tables, err := db.loadTables(ctx)
	if err != nil {
		return nil, err
	}
	s := &Schema{Prefix: db.prefix, Tables: tables}
	if s.names, err = chooseShop(s, db.shop); err != nil {
		hint := ""
		for _, orders := range []string{miniShop2.orders, miniShop3.orders} {
			if hint == "" && errors.Is(err, ErrNoShop) {
				hint = db.prefixHint(ctx, orders)
			}
		}
		return nil, fmt.Errorf("%w with prefix %q%s", err, db.prefix, hint)
	}
	s.Shop = s.names.shop
	for _, m := range s.names.markers {
		table, column, _ := strings.Cut(m, ".")
		if s.Has(table, column) {
			s.Markers = append(s.Markers, m)
		}
	}
	s.Generation = s.generation()
	s.FormIt = s.Has("formit_forms", "")
	s.OldLeads = s.Has("amocrm_leads", "")
	s.OldUsers = s.Has("amocrm_users", "")
	s.OldStatus = s.Has("amocrm_status", "")
	set, err := db.settings(ctx, tables, s.names.draftSetting, s.names.newSetting, "settings_version", "date_timezone")
	if err != nil {
		return nil, err
	}
	if err := db.zoneFromSetting(ctx, tables, set["date_timezone"]); err != nil {
		return nil, err
	}
	s.MODXVersion = set["settings_version"]
	if err := db.detectStatuses(ctx, s, set); err != nil {
		return nil, err
	}
	s.Version = s.version()
	db.mu.Lock()
	db.schema = s
	db.mu.Unlock()
	return s, nil
}

// chooseShop picks the shop the orders come from: the one asked for, or
// with "auto" the one whose orders table exists. A site moved from MODX 2
// to 3 may keep both; then only the config can tell.
func chooseShop(s *Schema, want string) (shopNames, error) {
	two, three := s.Has(miniShop2.orders, ""), s.Has(miniShop3.orders, "")
	switch want {
	case ShopMiniShop2, ShopMiniShop3:
		n := map[string]shopNames{ShopMiniShop2: miniShop2, ShopMiniShop3: miniShop3}[want]
		if !s.Has(n.orders, "") {
			return n, fmt.Errorf("%w: modx.shop is %s but there is no %s table", ErrNoShop, want, n.orders)
		}
		return n, nil
	}
	switch {
	case two && three:
		return miniShop2, ErrTwoShops
	case three:
		return miniShop3, nil
	case two:
		return miniShop2, nil
	}
	return miniShop2, fmt.Errorf("%w: neither %s (miniShop2) nor %s (MiniShop3)", ErrNoShop, miniShop2.orders, miniShop3.orders)
}

func (s *Schema) generation() string {
	switch {
	case s.Shop == ShopMiniShop3 && s.Has(miniShop3.orders, "customer_id"):
		return GenMS3
	case s.Shop == ShopMiniShop3:
		return GenMS3Pre
	case s.Has(miniShop2.addresses, "order_id"):
		return Gen4x
	case s.Has(miniShop2.orders, "session_id"):
		return Gen30
	}
	return Gen24
}

// version tells miniShop2's releases apart by the columns each added
// (read from the schema XML of every tag, 2.5.0-4.4.1): entrance, floor
// and text_address in 2.9.3; session_id and the address e-mail in 3.0.0;
// comment renamed order_comment in 3.0.5; the address's order_id in 4.0.
// A 4.x shop whose draft is 999 was upgraded from 3.0 (a fresh install
// gets 5).
func (s *Schema) version() string {
	switch {
	case s.Shop == ShopMiniShop3:
		return s.Generation
	case s.Generation == Gen4x && s.DraftStatus == 999:
		return "4.x, upgraded from 3.0"
	case s.Generation == Gen4x:
		return "4.x"
	case s.Generation == Gen30 && s.Has(miniShop2.orders, "order_comment"):
		return "3.0.5–3.0.7"
	case s.Generation == Gen30:
		return "3.0.0–3.0.4"
	case s.Has(miniShop2.addresses, "entrance"):
		return "2.9.3"
	}
	return "2.4–2.9.2"
}

// detected returns the cached schema, detecting it on first use.
func (db *DB) detected(ctx context.Context) (*Schema, error) {
	db.mu.Lock()
	s := db.schema
	db.mu.Unlock()
	if s != nil {
		return s, nil
	}
	return db.Detect(ctx)
}

func (db *DB) loadTables(ctx context.Context) (map[string]*Table, error) {
	names := make([]string, len(knownTables))
	byName := make(map[string]string, len(knownTables))
	for i, n := range knownTables {
		names[i] = db.prefix + n
		byName[db.prefix+n] = n
	}
	tables := map[string]*Table{}
	err := db.each(ctx, "list modx tables", `SELECT TABLE_NAME, COALESCE(ENGINE, '') FROM information_schema.TABLES
		WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN (?)`, args(names), func(rows *sql.Rows) error {
		t := &Table{Columns: map[string]bool{}}
		err := rows.Scan(&t.Name, &t.Engine)
		tables[byName[t.Name]] = t
		return err
	})
	if err != nil {
		return nil, err
	}
	err = db.each(ctx, "list modx columns", `SELECT TABLE_NAME, COLUMN_NAME FROM information_schema.COLUMNS
		WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN (?)`, args(names), func(rows *sql.Rows) error {
		var table, column string
		if err := rows.Scan(&table, &column); err != nil {
			return err
		}
		if t, ok := tables[byName[table]]; ok {
			t.Columns[strings.ToLower(column)] = true
		}
		return nil
	})
	return tables, err
}

// detectStatuses fills DraftStatus and NewStatus from the settings read by
// Detect. MiniShop3's code falls back to draft 1 and new 2 whenever its
// setting is empty or 0. miniShop2 4.x installs its settings as 0 (code
// fallbacks new=1, draft=5); before 4.0 there are no settings and only
// 3.0's db cart storage used a hard-coded 999.
func (db *DB) detectStatuses(ctx context.Context, s *Schema, set map[string]string) error {
	if s.Shop == ShopMiniShop3 {
		s.DraftStatus = positive(set[s.names.draftSetting], 1)
		s.NewStatus = positive(set[s.names.newSetting], 2)
		return nil
	}
	s.NewStatus = positive(set[s.names.newSetting], 1)
	if v, ok := set[s.names.draftSetting]; ok {
		s.DraftStatus = positive(v, 5)
		return nil
	}
	if !s.Has(s.names.statuses, "") {
		return nil
	}
	qctx, cancel := db.query(ctx)
	defer cancel()
	var n int
	q := "SELECT COUNT(*) FROM " + db.table(s.names.statuses) + " WHERE id = 999"
	if err := db.sql.GetContext(qctx, &n, q); err != nil {
		return fmt.Errorf("look up status 999: %w", err)
	}
	if n > 0 {
		s.DraftStatus = 999
	}
	return nil
}

// positive reads a status id setting; empty, 0 or garbage give def.
func positive(v string, def int64) int64 {
	if n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil && n > 0 {
		return n
	}
	return def
}
