package modx_test

import (
	"context"
	"testing"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/modx"
	"github.com/modx-amocrm/modx-amocrm/internal/modx/modxtest"
)

func TestCursors(t *testing.T) {
	for _, gen := range []string{modxtest.Gen4x, modxtest.GenMS3} {
		t.Run(gen, func(t *testing.T) { testCursors(t, modxtest.Options{Prefix: "modx_", Generation: gen, FormIt: true}) })
	}
}

func testCursors(t *testing.T, o modxtest.Options) {
	db, raw := newShop(t, o)
	ctx := context.Background()
	moscow, _ := time.LoadLocation("Europe/Moscow")
	day := func(d int) time.Time { return time.Date(2025, 1, d, 0, 0, 0, 0, moscow) }
	wall := func(t time.Time) time.Time { // DATETIME columns hold the shop's wall clock
		return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), 0, 0, 0, time.UTC)
	}
	var orders, logs, forms, users []int64
	for d := 1; d <= 3; d++ {
		// Unplaced: a MiniShop3 draft writes no log row of its own.
		orders = append(orders, must(modxtest.InsertOrder(ctx, raw, o, modxtest.OrderSpec{CreatedOn: wall(day(d)), Unplaced: true}))(t))
		logs = append(logs, must(modxtest.InsertStatusLog(ctx, raw, o, modxtest.LogSpec{OrderID: 1, Entry: "1", At: wall(day(d))}))(t))
		forms = append(forms, must(modxtest.InsertForm(ctx, raw, o, modxtest.FormSpec{Date: day(d)}))(t))
		users = append(users, must(modxtest.InsertUser(ctx, raw, o, modxtest.UserSpec{CreatedOn: day(d)}))(t))
	}

	max := must(db.MaxIDs(ctx))(t)
	if want := (modx.Cursors{Orders: orders[2], OrderLogs: logs[2], Forms: forms[2], Users: users[2]}); max != want {
		t.Errorf("MaxIDs: got %+v, want %+v", max, want)
	}
	since := must(db.FirstIDsSince(ctx, day(2)))(t)
	if want := (modx.Cursors{Orders: orders[1], OrderLogs: logs[1], Forms: forms[1], Users: users[1]}); since != want {
		t.Errorf("FirstIDsSince day 2: got %+v, want %+v", since, want)
	}
	future := must(db.FirstIDsSince(ctx, day(9)))(t)
	if want := (modx.Cursors{Orders: orders[2] + 1, OrderLogs: logs[2] + 1, Forms: forms[2] + 1, Users: users[2] + 1}); future != want {
		t.Errorf("FirstIDsSince the future: got %+v, want %+v", future, want)
	}
}
