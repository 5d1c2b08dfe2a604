package state

import (
	"context"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/modx-amocrm/modx-amocrm/internal/testdb"
)

func TestSplitStatements(t *testing.T) {
	script := "-- header\n\nCREATE TABLE a (\n  x INT -- why\n);\n-- only a comment;\nCREATE TABLE b (y INT);\r\n"
	want := []string{"CREATE TABLE a (\n  x INT -- why\n)", "CREATE TABLE b (y INT)"}
	if got := splitStatements(script); !slices.Equal(got, want) {
		t.Errorf("splitStatements = %q, want %q", got, want)
	}
}

func TestLoadMigrations(t *testing.T) {
	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	for _, tc := range []struct {
		name     string
		fs       fstest.MapFS
		versions []int
		err      string
	}{
		{"ordered", fstest.MapFS{"0010_b.sql": file("SELECT 2;\n"), "0002_a.sql": file("SELECT 1;\n")}, []int{2, 10}, ""},
		{"no number", fstest.MapFS{"init.sql": file("")}, nil, "NNNN_description.sql"},
		{"zero", fstest.MapFS{"0000_x.sql": file("")}, nil, "NNNN_description.sql"},
		{"duplicate", fstest.MapFS{"0001_a.sql": file(""), "01_b.sql": file("")}, nil, "share version 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			migs, err := loadMigrations(tc.fs)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error = %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []int
			for _, m := range migs {
				got = append(got, m.version)
			}
			if !slices.Equal(got, tc.versions) {
				t.Errorf("versions = %v, want %v", got, tc.versions)
			}
		})
	}
}

// The embedded migrations parse and contain every table the store uses.
func TestEmbeddedMigrations(t *testing.T) {
	migs, err := loadMigrations(migrationFiles)
	if err != nil {
		t.Fatal(err)
	}
	all := ""
	for _, m := range migs {
		all += strings.Join(m.statements, "\n")
	}
	for _, table := range []string{"watermarks", "links", "pending", "waiting", "contact_index", "failures", "tokens", "meta"} {
		if !strings.Contains(all, "{{prefix}}"+table+" (") {
			t.Errorf("no migration creates {{prefix}}%s", table)
		}
	}
}

// A marker written before migration 2 reads back without a bound, so
// reconciling it pages the whole list instead of trusting a made-up one.
func TestMigrateKeepsOldMarkersUnbounded(t *testing.T) {
	db, _ := testdb.New(t)
	ctx := context.Background()
	s, err := Open(db, "amocrm_sync_")
	if err != nil {
		t.Fatal(err)
	}
	all := s.migrations
	s.migrations = all[:1]
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO amocrm_sync_pending (kind, source_id, lookup_key, payload_hash, created_at)
		VALUES ('order', 7, '7', '', NOW())`); err != nil {
		t.Fatal(err)
	}
	s.migrations = all
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := s.Pending(ctx, "order")
	if err != nil || len(got) != 1 || got[0].AboveID != NoBound {
		t.Fatalf("Pending after the upgrade = %+v, %v; want order 7 with AboveID %d", got, err, NoBound)
	}
}

// Tables lists what the migrations create, which a fresh state then has.
func TestTables(t *testing.T) {
	got, err := Tables()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"catalog_elements", "contact_index", "failures", "links", "meta", "order_sent", "order_signatures", "pending", "schema_migrations", "tokens", "waiting", "watermarks"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}
