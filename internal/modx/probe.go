package modx

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// ServerVersion is the server's VERSION(), for `check`.
func (db *DB) ServerVersion(ctx context.Context) (string, error) {
	qctx, cancel := db.query(ctx)
	defer cancel()
	var v string
	if err := db.sql.GetContext(qctx, &v, "SELECT VERSION()"); err != nil {
		return "", fmt.Errorf("read server version: %w", err)
	}
	return v, nil
}

// Unreadable reads one row of every table of s and returns, sorted, the ones
// SELECT fails on, with the first failure: what `check` reports as grants.
func (db *DB) Unreadable(ctx context.Context, s *Schema) (denied []string, first error) {
	for _, name := range slices.Sorted(maps.Keys(s.Tables)) {
		qctx, cancel := db.query(ctx)
		var one []int
		// The table name comes from information_schema under a checked prefix.
		err := db.sql.SelectContext(qctx, &one, "SELECT 1 FROM `"+s.Tables[name].Name+"` LIMIT 1")
		cancel()
		if err != nil {
			denied = append(denied, s.Tables[name].Name)
			if first == nil {
				first = err
			}
		}
	}
	return denied, first
}

// prefixHint names the other prefixes under which the database has table
// (given without prefix), for the error about a table missing under ours: a
// wrong modx.table_prefix is the usual cause. It is "" when there are none
// or the lookup fails (the caller's error says enough then).
func (db *DB) prefixHint(ctx context.Context, table string) string {
	var found []string
	pattern := "%" + strings.ReplaceAll(table, "_", `\_`)
	err := db.each(ctx, "look for "+table, `SELECT TABLE_NAME FROM information_schema.TABLES
		WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE ? ORDER BY TABLE_NAME`, args(pattern), func(rows *sql.Rows) error {
		var name string
		err := rows.Scan(&name)
		if p := strings.TrimSuffix(name, table); p != db.prefix && prefixPattern.MatchString(p) {
			found = append(found, strconv.Quote(p))
		}
		return err
	})
	if err != nil || len(found) == 0 {
		return ""
	}
	if len(found) == 1 {
		return fmt.Sprintf("; the database has %s with prefix %s: set modx.table_prefix to it", table, found[0])
	}
	return fmt.Sprintf("; the database has %s with prefixes %s: set modx.table_prefix to one of them", table, strings.Join(found, ", "))
}
