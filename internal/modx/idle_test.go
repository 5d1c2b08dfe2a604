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

			// Detect: the settings; 2.4 has no ms2_status_draft, so its
			// status 999 is looked up too.
			detect := 1
			if gen == modxtest.Gen24 {
				detect = 2
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

// A column dropped under a running process fails the read that needs it,
// once: the next Detect reads information_schema again and the read works.
func TestSchemaChangeUnderRunningProcess(t *testing.T) {
	ctx := context.Background()
	o := modxtest.Options{Prefix: "modx_", Generation: modxtest.Gen24, FormIt: true}
	raw, dsn := createShop(t, o)
	counted, cmds := testdb.CountCommands(t, dsn)
	db := open(t, counted, modx.Options{Prefix: o.Prefix})
	must(db.Detect(ctx))(t)
	testdb.Exec(t, raw, "ALTER TABLE modx_formit_forms DROP COLUMN encryption_type")

	_, err := db.Forms(ctx, 0, 10)
	var merr *mysql.MySQLError
	if !errors.As(err, &merr) || merr.Number != 1054 {
		t.Fatalf("read with the dropped column: got %v, want MySQL error 1054", err)
	}
	cmds.Reset()
	must(db.Detect(ctx))(t)
	if n := schemaReads(cmds.SQL()); n != 2 {
		t.Errorf("Detect after the failure read information_schema %d times, want 2", n)
	}
	must(db.Forms(ctx, 0, 10))(t)
	cmds.Reset()
	must(db.Detect(ctx))(t)
	if n := schemaReads(cmds.SQL()); n != 0 {
		t.Errorf("the Detect after read information_schema %d times, want 0", n)
	}
}
