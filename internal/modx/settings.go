package modx

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strings"

	"github.com/modx-amocrm/modx-amocrm/internal/shop"
)

// Settings returns the named system settings, with the "web" context's
// context_setting rows overriding them the way $modx->getOption does on the
// front end. Keys that exist in neither table are absent from the map.
func (db *DB) Settings(ctx context.Context, keys ...string) (map[string]string, error) {
	tables, err := db.tables(ctx)
	if err != nil {
		return nil, err
	}
	return db.settings(ctx, tables, keys...)
}

// SettingsLike returns the settings whose key matches a LIKE pattern
// ("amocrm\_%"), with the same context override as Settings.
func (db *DB) SettingsLike(ctx context.Context, pattern string) (map[string]string, error) {
	tables, err := db.tables(ctx)
	if err != nil {
		return nil, err
	}
	return db.readSettings(ctx, tables, "`key` LIKE ?", pattern)
}

// Site reads site_name, site_url and http_host, and the shop's new-order
// status with the schema.
func (db *DB) Site(ctx context.Context) (shop.SiteFacts, error) {
	s, err := db.detected(ctx)
	if err != nil {
		return shop.SiteFacts{}, err
	}
	set, err := db.Settings(ctx, "site_name", "site_url", "http_host")
	if err != nil {
		return shop.SiteFacts{}, err
	}
	f := shop.SiteFacts{Name: set["site_name"], URL: set["site_url"], Host: set["http_host"], NewStatus: s.NewStatus}
	if f.Host == "" {
		f.Host = hostOf(f.URL)
	}
	return f, nil
}

func (db *DB) settings(ctx context.Context, tables map[string]*Table, keys ...string) (map[string]string, error) {
	if len(keys) == 0 {
		return map[string]string{}, nil
	}
	return db.readSettings(ctx, tables, "`key` IN (?)", keys)
}

func (db *DB) readSettings(ctx context.Context, tables map[string]*Table, where string, a ...any) (map[string]string, error) {
	if _, ok := tables["system_settings"]; !ok {
		return nil, fmt.Errorf("read settings: no table %ssystem_settings%s", db.prefix, db.prefixHint(ctx, "system_settings"))
	}
	q := "SELECT `key`, COALESCE(value, '') FROM " + db.table("system_settings") + " WHERE " + where
	if _, ok := tables["context_setting"]; ok {
		// Later rows win, so the context rows come second.
		q = "SELECT `key`, v FROM (" +
			"SELECT `key`, COALESCE(value, '') AS v, 0 AS o FROM " + db.table("system_settings") + " WHERE " + where +
			" UNION ALL SELECT `key`, COALESCE(value, '') AS v, 1 AS o FROM " + db.table("context_setting") +
			" WHERE context_key = 'web' AND " + where + ") s ORDER BY o"
		a = append(append([]any{}, a...), a...)
	}
	out := map[string]string{}
	err := db.each(ctx, "read settings", q, a, func(rows *sql.Rows) error {
		var k, v string
		err := rows.Scan(&k, &v)
		out[k] = v
		return err
	})
	return out, err
}

// tables returns the detected tables, or lists them when the schema was not
// detected yet (settings are readable on a site without miniShop2).
func (db *DB) tables(ctx context.Context) (map[string]*Table, error) {
	db.mu.Lock()
	s := db.schema
	db.mu.Unlock()
	if s != nil {
		return s.Tables, nil
	}
	return db.loadTables(ctx)
}

// hostOf returns the host of a site_url such as "https://shop.example/".
func hostOf(siteURL string) string {
	u, err := url.Parse(strings.TrimSpace(siteURL))
	if err != nil {
		return ""
	}
	return u.Hostname()
}
