package modxtest_test

import (
	"context"
	"net"
	"testing"

	sqle "github.com/dolthub/go-mysql-server"
	"github.com/dolthub/go-mysql-server/memory"
	"github.com/dolthub/go-mysql-server/server"
	gmssql "github.com/dolthub/go-mysql-server/sql"
	"github.com/jmoiron/sqlx"
	"github.com/sirupsen/logrus"

	"github.com/modx-amocrm/modx-amocrm/internal/modx"
	"github.com/modx-amocrm/modx-amocrm/internal/modx/modxtest"
)

// The demo serves this DDL from go-mysql-server; the readers must work there.
func TestGoMySQLServer(t *testing.T) {
	for _, gen := range []string{modxtest.Gen4x, modxtest.GenMS3} {
		t.Run(gen, func(t *testing.T) { testGoMySQLServer(t, gen) })
	}
}

func testGoMySQLServer(t *testing.T, gen string) {
	logrus.SetLevel(logrus.ErrorLevel) // the server logs every connection
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	pro := memory.NewDBProvider(memory.NewDatabase("modx"))
	srv, err := server.NewServer(server.Config{Protocol: "tcp", Listener: ln}, sqle.NewDefault(pro),
		gmssql.NewContext, memory.NewSessionBuilder(pro), nil)
	if err != nil {
		t.Fatal(err)
	}
	go srv.Start()
	t.Cleanup(func() { srv.Close() })

	dsn := "root@tcp(" + ln.Addr().String() + ")/modx?parseTime=true"
	raw, err := sqlx.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	ctx := context.Background()
	o := modxtest.Options{Prefix: "modx_", Generation: gen, FormIt: true, OldExtra: true}
	if err := modxtest.Create(ctx, raw, o); err != nil {
		t.Fatal(err)
	}
	ds, err := modxtest.Generate(ctx, raw, modxtest.GenOptions{Prefix: o.Prefix, Generation: gen, Orders: 50, Users: 10, Forms: 5, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}

	db, err := modx.Open(ctx, dsn, modx.Options{Prefix: o.Prefix})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s, err := db.Detect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s.Generation != gen || s.DraftStatus != modxtest.Statuses(o).Draft || !s.FormIt || !s.OldLeads {
		t.Errorf("schema: got %+v", s)
	}
	headers, err := db.OrderHeaders(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]int64, len(headers))
	for i, h := range headers {
		ids[i] = h.ID
	}
	orders, err := db.LoadOrders(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	lines := 0
	for _, o := range orders {
		lines += len(o.Products)
	}
	if len(orders) != ds.Orders || lines != ds.Lines {
		t.Errorf("orders/lines: got %d/%d, want %d/%d", len(orders), lines, ds.Orders, ds.Lines)
	}
	page, err := db.StatusLogs(ctx, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Changes) != ds.StatusLogs {
		t.Errorf("status logs: got %d, want %d", len(page.Changes), ds.StatusLogs)
	}
	if forms, err := db.Forms(ctx, 0, 100); err != nil || len(forms) != ds.Forms {
		t.Errorf("forms: got %d, %v, want %d", len(forms), err, ds.Forms)
	}
	if _, err := db.Users(ctx, 0, 100); err != nil {
		t.Error(err)
	}
	if _, err := db.MaxIDs(ctx); err != nil {
		t.Error(err)
	}
	if _, err := db.FirstIDsSince(ctx, modxtest.DefaultTime); err != nil {
		t.Error(err)
	}
	if _, err := db.RecentlyEditedUsers(ctx, modxtest.DefaultTime); err != nil {
		t.Error(err)
	}
	if st, err := db.OrderStatuses(ctx); err != nil || len(st) != 5 {
		t.Errorf("statuses: got %d, %v, want 5", len(st), err)
	}
	if _, err := db.OldDeals(ctx, 0, 10); err != nil {
		t.Error(err)
	}
	if _, err := db.Settings(ctx, "site_name"); err != nil {
		t.Error(err)
	}
}
