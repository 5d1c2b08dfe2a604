package modx_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"

	"github.com/modx-amocrm/modx-amocrm/internal/modx"
	"github.com/modx-amocrm/modx-amocrm/internal/modx/modxtest"
	"github.com/modx-amocrm/modx-amocrm/internal/testdb"
)

// An idle pass reads no information_schema after the start, and each read
// it makes is one statement and one protocol command (interpolated, not
// PREPARE, EXECUTE and CLOSE).
func TestIdleReads(t *testing.T) {
	for _, gen := range []string{modxtest.Gen4x, modxtest.Gen24, modxtest.GenMS3} {
		t.Run(gen, func(t *testing.T) {
			ctx := context.Background()
			o := modxtest.Options{Prefix: "modx_", Generation: gen, FormIt: true}
			raw, dsn := createShop(t, o)
			must(modxtest.InsertOrder(ctx, raw, o, modxtest.OrderSpec{}))(t)
			counted, cmds := testdb.CountCommands(t, dsn)
			db := open(t, counted, modx.Options{Prefix: o.Prefix})
			if n := schemaReads(cmds.SQL()); n != 2 {
				t.Errorf("Open read information_schema %d times, want 2 (tables and columns): %q", n, cmds.SQL())
			}
			must(db.Detect(ctx))(t) // the daemon's first pass
			if n := schemaReads(cmds.SQL()); n != 2 {
				t.Errorf("Open and the first Detect read information_schema %d times, want 2", n)
			}
			max := must(db.MaxIDs(ctx))(t)

			// Detect: the check of the known tables and the settings; 2.4
			// has no ms2_status_draft, so its status 999 is looked up too.
			detect := 2
			if gen == modxtest.Gen24 {
				detect = 3
			}
			for _, call := range []struct {
				name       string
				statements int
				read       func() error
			}{
				{"Detect", detect, func() error { _, err := db.Detect(ctx); return err }},
				{"Now", 1, func() error { _, err := db.Now(ctx); return err }},
				{"MaxIDs", 1, func() error { _, err := db.MaxIDs(ctx); return err }},
				{"OrderHeaders", 1, func() error { _, err := db.OrderHeaders(ctx, max.Orders, 250); return err }},
				{"StatusLogs", 1, func() error { _, err := db.StatusLogs(ctx, max.OrderLogs, 250); return err }},
				{"Forms", 1, func() error { _, err := db.Forms(ctx, max.Forms, 250); return err }},
				{"Users", 1, func() error { _, err := db.Users(ctx, max.Users, 250); return err }},
			} {
				cmds.Reset()
				if err := call.read(); err != nil {
					t.Fatalf("%s: %v", call.name, err)
				}
				if got := cmds.Statements(); got != call.statements || cmds.Total() != got {
					t.Errorf("%s: %d statements in %d commands (%s), want %d in as many: %q", call.name, got, cmds.Total(), cmds, call.statements, cmds.SQL())
				}
				if n := schemaReads(cmds.SQL()); n > 0 {
					t.Errorf("%s read information_schema: %q", call.name, cmds.SQL())
				}
			}
		})
	}
}

func schemaReads(sql []string) int {
	n := 0
	for _, q := range sql {
		if strings.Contains(q, "information_schema") {
			n++
		}
	}
	return n
}

// A shop changed under a running process (a column dropped, added or
// renamed by an upgrade) is seen at the next Detect, which then reads
// information_schema again; a read that finds a column missing before it
// fails once, and makes the next Detect read it again too.
func TestSchemaChangeUnderRunningProcess(t *testing.T) {
	ctx := context.Background()
	o := modxtest.Options{Prefix: "modx_", Generation: modxtest.Gen24, FormIt: true}
	raw, dsn := createShop(t, o)
	counted, cmds := testdb.CountCommands(t, dsn)
	db := open(t, counted, modx.Options{Prefix: o.Prefix})
	must(db.Detect(ctx))(t)
	detect := func(want int) {
		t.Helper()
		cmds.Reset()
		must(db.Detect(ctx))(t)
		if n := schemaReads(cmds.SQL()); n != want {
			t.Errorf("Detect read information_schema %d times, want %d: %q", n, want, cmds.SQL())
		}
	}
	for _, alter := range []string{
		"ALTER TABLE modx_formit_forms DROP COLUMN encryption_type",
		"ALTER TABLE modx_formit_forms ADD COLUMN encryption_type tinyint(1) NOT NULL DEFAULT 0",
		"ALTER TABLE modx_ms2_orders CHANGE comment order_comment text",
	} {
		testdb.Exec(t, raw, alter)
		detect(2)
		detect(0)
	}
	if s := must(db.Detect(ctx))(t); !s.Has("ms2_orders", "order_comment") || s.Has("ms2_orders", "comment") {
		t.Errorf("after the rename: the orders' columns are still the old ones")
	}
	must(db.Forms(ctx, 0, 10))(t)

	testdb.Exec(t, raw, "ALTER TABLE modx_formit_forms DROP COLUMN encryption_type")
	_, err := db.Forms(ctx, 0, 10)
	var merr *mysql.MySQLError
	if !errors.As(err, &merr) || merr.Number != 1054 {
		t.Fatalf("read with the dropped column before a Detect: got %v, want MySQL error 1054", err)
	}
	detect(2)
	must(db.Forms(ctx, 0, 10))(t)
}
