package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/go-sql-driver/mysql"
	"github.com/jmoiron/sqlx"

	"github.com/modx-amocrm/modx-amocrm/internal/config"
	"github.com/modx-amocrm/modx-amocrm/internal/modx"
	"github.com/modx-amocrm/modx-amocrm/internal/site"
)

// runImportSettings writes a commented config from the old amoCRM extra's
// system settings, so a shop switching over keeps its ids and choices.
func runImportSettings(ctx context.Context, io IO, args []string) error {
	fs := newFlagSet("import-settings", io)
	dsn := fs.String("dsn", "", "MODX database, e.g. 'user:pass@tcp(127.0.0.1:3306)/modx' (required)")
	prefix := fs.String("prefix", "modx_", "MODX table prefix")
	out := fs.String("o", "", "write the config to this new file (mode 0600) instead of stdout")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if *dsn == "" {
		return usageError{"-dsn is required"}
	}
	// The prefix goes into SQL as part of table names.
	if err := config.CheckTablePrefix(*prefix); err != nil {
		return usageError{"-prefix: " + err.Error()}
	}
	source := config.Default()
	source.MODX.DSN = *dsn
	connect, err := site.MODXDSN(&source)
	if err != nil {
		return usageError{"-dsn: " + err.Error()}
	}

	db, err := sqlx.Open("mysql", connect)
	if err != nil {
		return fmt.Errorf("open modx database: %w", err)
	}
	defer db.Close()
	settings, err := readLegacySettings(ctx, db, *prefix)
	if err != nil {
		return err
	}
	legacy, err := readLegacyTables(ctx, connect, *prefix)
	if err != nil {
		return err
	}
	legacy.Settings = settings

	if !hasExtraSettings(settings) {
		fmt.Fprintf(io.Stderr, "modx-amocrm import-settings: no amocrm_* setting in %ssystem_settings: the old extra is not "+
			"installed in this database, so the config has the defaults; fill in [amocrm] and the rest as config.example.toml explains\n", *prefix)
	}
	cfg, notes := config.FromLegacy(legacy)
	cfg.MODX.TablePrefix = *prefix
	cfg.MODX.DSN, notes = withoutPassword(*dsn, notes)
	rendered := config.RenderTOML(cfg, notes)
	if w := config.StatusMapWarning(&cfg); w != "" {
		fmt.Fprintf(io.Stderr, "modx-amocrm import-settings: warning: %s\n", w)
	}

	if *out == "" {
		_, err = io.Stdout.Write(rendered)
		return err
	}
	if err := writeNewFile(*out, rendered); err != nil {
		return fmt.Errorf("write config: %w", err)
	}
	fmt.Fprintf(io.Stderr, "wrote %s from %d settings and %d status map rows; read its comments, then run: modx-amocrm check -config %s\n",
		*out, len(settings), len(legacy.Statuses), *out)
	return nil
}

// readLegacyTables reads what the extra's tables hold for the config: its
// status map, its field ids, and how many links the first run takes over.
// Nothing here reads a time, so the shop's zone is not looked for.
func readLegacyTables(ctx context.Context, dsn, prefix string) (config.Legacy, error) {
	var l config.Legacy
	db, err := modx.Open(ctx, dsn, modx.Options{Prefix: prefix, Location: "UTC"})
	if err != nil {
		return l, err
	}
	defer db.Close()
	statuses, err := db.OldStatuses(ctx)
	if err != nil {
		return l, err
	}
	for _, s := range statuses {
		l.Statuses = append(l.Statuses, config.LegacyStatus{Status: s.Status, StatusID: s.StatusID, PipelineID: s.PipelineID})
	}
	fields, err := db.OldFields(ctx)
	if err != nil {
		return l, err
	}
	for _, f := range fields {
		l.Fields = append(l.Fields, config.LegacyField{Key: f.Key, FieldID: f.FieldID})
	}
	l.Links.Deals, l.Links.FormDeals, l.Links.Contacts, err = db.OldLinkCounts(ctx)
	return l, err
}

// settingsFilter selects the extra's settings and the two core settings it
// relied on. '!' escapes '_' in LIKE whatever sql_mode says about backslashes.
const settingsFilter = "(`key` LIKE 'amocrm!_%' ESCAPE '!' OR `key` IN ('site_url', 'date_timezone'))"

// readLegacySettings returns system settings overridden by the web context's
// settings: the old plugin ran in the web context for orders and forms, and
// $modx->getOption there prefers a context setting to a system setting.
func readLegacySettings(ctx context.Context, db *sqlx.DB, prefix string) (map[string]string, error) {
	settings := map[string]string{}
	system := prefix + "system_settings"
	if err := readSettings(ctx, db, settings, "SELECT `key`, `value` FROM `"+system+"` WHERE "+settingsFilter); err != nil {
		return nil, fmt.Errorf("read %s: %w", system, err)
	}
	contexts := prefix + "context_setting"
	var n int
	err := db.GetContext(ctx, &n, "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?", contexts)
	if err != nil {
		return nil, fmt.Errorf("look for %s: %w", contexts, err)
	}
	if n == 0 {
		return settings, nil
	}
	q := "SELECT `key`, `value` FROM `" + contexts + "` WHERE context_key = 'web' AND " + settingsFilter
	if err := readSettings(ctx, db, settings, q); err != nil {
		return nil, fmt.Errorf("read %s: %w", contexts, err)
	}
	return settings, nil
}

// hasExtraSettings reports whether settings hold any of the old extra's own
// (the filter also takes two core settings).
func hasExtraSettings(settings map[string]string) bool {
	for key := range settings {
		if strings.HasPrefix(key, "amocrm_") {
			return true
		}
	}
	return false
}

func readSettings(ctx context.Context, db *sqlx.DB, into map[string]string, query string) error {
	rows, err := db.QueryxContext(ctx, query)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var key, value string
		if err := rows.Scan(&key, &value); err != nil {
			return err
		}
		into[key] = value
	}
	return rows.Err()
}

// withoutPassword keeps the password given in -dsn out of the file, and
// says where it belongs instead.
func withoutPassword(dsn string, notes []config.Note) (string, []config.Note) {
	parsed, err := mysql.ParseDSN(dsn)
	if err != nil || parsed.Passwd == "" {
		return dsn, notes
	}
	parsed.Passwd = ""
	return parsed.FormatDSN(), append(notes, config.Note{
		Key:  "modx.password",
		Text: "the password of -dsn is not written here: set it, or password_file, MODX_AMOCRM_MODX_PASSWORD or the systemd credential modx.password",
	})
}

// writeNewFile creates path with mode 0600 from the start (the config holds
// the client secret) and refuses to replace an existing file.
func writeNewFile(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	return errors.Join(err, f.Close())
}
