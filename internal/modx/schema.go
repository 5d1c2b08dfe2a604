package modx

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// miniShop2 generations as Schema.Generation reports them.
const (
	Gen24 = "2.4" // ms2_orders.comment, no session_id, address link on the order
	Gen30 = "3.0" // ms2_orders.address link, session_id
	Gen4x = "4.x" // ms2_order_addresses.order_id
)

// knownTables are the tables (without prefix) any reader may touch.
var knownTables = []string{
	"users", "user_attributes", "site_content", "system_settings", "context_setting", "manager_log", "site_plugins",
	"ms2_orders", "ms2_order_addresses", "ms2_order_products", "ms2_order_logs", "ms2_order_statuses",
	"ms2_products", "ms2_product_categories", "ms2_deliveries", "ms2_payments",
	"formit_forms", "amocrm_leads", "amocrm_users", "amocrm_status",
}

// ErrNoMiniShop2 means the database has no ms2_orders table under the prefix.
var ErrNoMiniShop2 = errors.New("no miniShop2 tables")

// Table is one existing table: its engine and column set.
type Table struct {
	Name    string // with prefix
	Engine  string // "InnoDB", "MyISAM"...
	Columns map[string]bool
}

// Schema is what Detect found in the database.
type Schema struct {
	Prefix     string
	Generation string            // Gen24, Gen30 or Gen4x
	Tables     map[string]*Table // by name without prefix; absent tables are missing
	FormIt     bool
	OldLeads   bool // amocrm_leads of the old extra
	OldUsers   bool
	OldStatus  bool
	// DraftStatus is miniShop2's draft status id (ms2_status_draft; 999 on
	// 3.0 installs that have it); 0 when the shop has no drafts.
	DraftStatus int64
	// NewStatus is the status a submitted order gets (ms2_status_new, else 1).
	NewStatus int64
}

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

// Detect reads information_schema and the ms2 settings. The result is cached
// for the readers; call it again to pick up schema changes.
func (db *DB) Detect(ctx context.Context) (*Schema, error) {
	tables, err := db.loadTables(ctx)
	if err != nil {
		return nil, err
	}
	s := &Schema{Prefix: db.prefix, Tables: tables}
	if !s.Has("ms2_orders", "") {
		return nil, fmt.Errorf("%w with prefix %q%s", ErrNoMiniShop2, db.prefix, db.prefixHint(ctx, "ms2_orders"))
	}
	switch {
	case s.Has("ms2_order_addresses", "order_id"):
		s.Generation = Gen4x
	case s.Has("ms2_orders", "session_id"):
		s.Generation = Gen30
	default:
		s.Generation = Gen24
	}
	s.FormIt = s.Has("formit_forms", "")
	s.OldLeads = s.Has("amocrm_leads", "")
	s.OldUsers = s.Has("amocrm_users", "")
	s.OldStatus = s.Has("amocrm_status", "")
	if err := db.detectStatuses(ctx, s); err != nil {
		return nil, err
	}
	db.mu.Lock()
	db.schema = s
	db.mu.Unlock()
	return s, nil
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

// detectStatuses fills DraftStatus and NewStatus. miniShop2 4.x keeps them in
// settings (installed as 0, code fallbacks new=1, draft=5); before 4.0 there
// are no settings and only 3.0's db cart storage used a hard-coded 999.
func (db *DB) detectStatuses(ctx context.Context, s *Schema) error {
	set, err := db.settings(ctx, s.Tables, "ms2_status_draft", "ms2_status_new")
	if err != nil {
		return err
	}
	s.NewStatus = 1
	if n, err := strconv.ParseInt(strings.TrimSpace(set["ms2_status_new"]), 10, 64); err == nil && n > 0 {
		s.NewStatus = n
	}
	if v, ok := set["ms2_status_draft"]; ok {
		s.DraftStatus = 5
		if n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil && n > 0 {
			s.DraftStatus = n
		}
		return nil
	}
	if !s.Has("ms2_order_statuses", "") {
		return nil
	}
	qctx, cancel := db.query(ctx)
	defer cancel()
	var n int
	q := "SELECT COUNT(*) FROM " + db.table("ms2_order_statuses") + " WHERE id = 999"
	if err := db.sql.GetContext(qctx, &n, q); err != nil {
		return fmt.Errorf("look up status 999: %w", err)
	}
	if n > 0 {
		s.DraftStatus = 999
	}
	return nil
}
