package testdb_test

import (
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/modx-amocrm/modx-amocrm/internal/testdb"
)

func TestCountCommands(t *testing.T) {
	_, dsn := testdb.New(t)
	for _, tt := range []struct {
		name        string
		interpolate bool
		want        map[byte]int
	}{
		// A parameterised query is prepared, executed and closed.
		{"prepared", false, map[byte]int{testdb.ComQuery: 1, testdb.ComStmtPrepare: 1, testdb.ComStmtExecute: 1, testdb.ComStmtClose: 1}},
		{"interpolated", true, map[byte]int{testdb.ComQuery: 2}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := dsn
			if tt.interpolate {
				d += "&interpolateParams=true"
			}
			counted, cmds := testdb.CountCommands(t, d)
			db, err := sqlx.Open("mysql", counted)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			db.SetMaxOpenConns(1)
			if err := db.Ping(); err != nil {
				t.Fatal(err)
			}
			cmds.Reset() // the connection's own setup (SET NAMES) is not ours
			var one, two int
			if err := db.Get(&one, "SELECT 1"); err != nil {
				t.Fatal(err)
			}
			if err := db.Get(&two, "SELECT ? + 1", 1); err != nil || one != 1 || two != 2 {
				t.Fatalf("got %d, %d, %v", one, two, err)
			}
			for cmd, want := range tt.want {
				if got := cmds.Of(cmd); got != want {
					t.Errorf("command %#x: got %d, want %d (%s)", cmd, got, want, cmds)
				}
			}
			if got, want := cmds.Statements(), 2; got != want {
				t.Errorf("statements: got %d, want %d", got, want)
			}
			if sql := cmds.SQL(); len(sql) != 2 || sql[0] != "SELECT 1" {
				t.Errorf("SQL() = %q", sql)
			}
		})
	}
}
