package modx_test

import (
	"context"
	"maps"
	"net/url"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/modx-amocrm/modx-amocrm/internal/modx"
	"github.com/modx-amocrm/modx-amocrm/internal/modx/modxtest"
	"github.com/modx-amocrm/modx-amocrm/internal/testdb"
)

// Parameters interpolated by the driver (modx.Open turns it on) find the
// same rows as prepared ones on latin1 tables, whose rows may hold UTF-8
// bytes written through a latin1 connection (real-installs.md §3, D8), and
// with the server's NO_BACKSLASH_ESCAPES, where a backslash is no escape.
func TestInterpolatedParamsLatin1(t *testing.T) {
	for _, sqlMode := range []string{"", "NO_BACKSLASH_ESCAPES"} {
		t.Run("sql_mode "+sqlMode, func(t *testing.T) {
			ctx := context.Background()
			o := modxtest.Options{Prefix: "modx_"}
			raw, dsn := createShop(t, o)
			// Byte for byte, as a latin1 site keeps what MODX wrote.
			testdb.Exec(t, raw, "ALTER TABLE modx_system_settings MODIFY value BLOB;\n"+
				"ALTER TABLE modx_system_settings CONVERT TO CHARACTER SET latin1;\n"+
				"ALTER TABLE modx_system_settings MODIFY value TEXT CHARACTER SET latin1")
			for k, v := range map[string]string{
				"café_name":       "Café",  // latin1 itself
				`quote'and\slash`: `a'b\c`, // what an escape must survive
			} {
				must(0, modxtest.SetSetting(ctx, raw, o, k, v))(t)
			}
			// MODX on a latin1 connection stored UTF-8 bytes as they came.
			testdb.Exec(t, raw, "INSERT INTO modx_system_settings (`key`, value) VALUES ('mojibake', X'D09CD0B0D0B3')")

			if sqlMode != "" {
				dsn += "&sql_mode=" + url.QueryEscape("'"+sqlMode+"'")
			}
			if mode := sessionSQLMode(t, dsn); !strings.Contains(mode, sqlMode) {
				t.Fatalf("sql_mode %q, want it to hold %q", mode, sqlMode)
			}
			keys := []string{"café_name", `quote'and\slash`, "mojibake", "site_name", "missing"}
			want := prepared(t, dsn, keys)
			if len(want) != 4 || want["café_name"] != "Café" || want[`quote'and\slash`] != `a'b\c` {
				t.Fatalf("prepared statements found %q, want 4 settings", want)
			}
			got := must(open(t, dsn, modx.Options{Prefix: o.Prefix}).Settings(ctx, keys...))(t)
			if !maps.Equal(got, want) {
				t.Errorf("interpolated: %q\nprepared:     %q", got, want)
			}
		})
	}
}

// prepared reads settings keys as modx.DB.Settings does, through server-side
// prepared statements.
func prepared(t *testing.T, dsn string, keys []string) map[string]string {
	t.Helper()
	db := sqlx.MustOpen("mysql", dsn+"&charset=utf8mb4")
	defer db.Close()
	out := map[string]string{}
	for _, k := range keys {
		var v []string
		if err := db.Select(&v, "SELECT COALESCE(value, '') FROM modx_system_settings WHERE `key` = ?", k); err != nil {
			t.Fatal(err)
		}
		for _, s := range v {
			out[k] = s
		}
	}
	return out
}

func sessionSQLMode(t *testing.T, dsn string) string {
	t.Helper()
	db := sqlx.MustOpen("mysql", dsn)
	defer db.Close()
	var mode string
	if err := db.Get(&mode, "SELECT @@SESSION.sql_mode"); err != nil {
		t.Fatal(err)
	}
	return mode
}
