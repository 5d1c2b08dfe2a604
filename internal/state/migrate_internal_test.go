package state

import (
	"slices"
	"strings"
	"testing"
	"testing/fstest"
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
