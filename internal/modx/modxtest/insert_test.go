package modxtest_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/modx-amocrm/modx-amocrm/internal/modx/modxtest"
	"github.com/modx-amocrm/modx-amocrm/internal/testdb"
)

func create(t *testing.T, o modxtest.Options) *sqlx.DB {
	t.Helper()
	raw, _ := testdb.New(t)
	if err := modxtest.Create(context.Background(), raw, o); err != nil {
		t.Fatal(err)
	}
	return raw
}

func query[T any](t *testing.T, db *sqlx.DB, q string, args ...any) []T {
	t.Helper()
	var out []T
	if err := db.Select(&out, q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return out
}

type logRow struct {
	User  int64  `db:"user_id"`
	Entry string `db:"entry"`
	At    string `db:"at"`
}

// TestInsertOrderWritesLikeCheckout (issue 11 case 8): orders are written
// the way miniShop2's checkout writes them in each generation: numbered in
// the insert as getNum() numbers them, the address linked from the order
// (2.x, 3.0) or to it (4.x), status new with the customer's log row, later
// changes as the manager's; DATETIMEs in the shop's zone.
func TestInsertOrderWritesLikeCheckout(t *testing.T) {
	ctx := context.Background()
	for _, gen := range []string{modxtest.Gen24, modxtest.Gen30, modxtest.Gen4x} {
		t.Run(gen, func(t *testing.T) {
			o := modxtest.Options{Prefix: "modx_", Generation: gen, PHPTimezone: "Asia/Novosibirsk"}
			db := create(t, o)
			manager := must(modxtest.InsertUser(ctx, db, o, modxtest.UserSpec{Username: "manager", Sudo: true}))(t)
			at := time.Date(2025, 1, 31, 20, 0, 0, 0, time.UTC) // 2025-02-01 03:00 in Novosibirsk
			first := must(modxtest.InsertOrder(ctx, db, o, modxtest.OrderSpec{Guest: true, CreatedOn: at, Comment: "у подъезда",
				Address: map[string]any{"receiver": "Анна", "email": "anna@example.org", "phone": "+79001112233"}}))(t)
			paid := must(modxtest.InsertOrder(ctx, db, o, modxtest.OrderSpec{Guest: true, CreatedOn: at, Status: 2, Manager: manager,
				Address: map[string]any{"email": "anna@example.org"}}))(t)
			if got := query[string](t, db, "SELECT value FROM modx_system_settings WHERE `key` = 'date_timezone'"); len(got) != 1 || got[0] != "" {
				t.Errorf("date_timezone: %q, want empty", got)
			}

			type order struct {
				User    int64          `db:"user_id"`
				Num     string         `db:"num"`
				Status  int64          `db:"status"`
				Created string         `db:"created"`
				Comment sql.NullString `db:"comment"`
			}
			comment := "order_comment"
			if gen == modxtest.Gen24 {
				comment = "comment"
			}
			orders := query[order](t, db, "SELECT user_id, num, status, CAST(createdon AS CHAR) AS created, "+comment+" AS comment FROM modx_ms2_orders ORDER BY id")
			guest := query[struct {
				ID      int64  `db:"id"`
				Created int64  `db:"createdon"`
				Mobile  string `db:"mobilephone"`
			}](t, db, "SELECT u.id, u.createdon, a.mobilephone FROM modx_users u JOIN modx_user_attributes a ON a.internalKey = u.id WHERE u.username = 'anna@example.org'")
			if len(guest) != 1 || guest[0].Created != at.Unix() || guest[0].Mobile != "+79001112233" {
				t.Fatalf("guest account: %+v, want one made at %d with the checkout's phone", guest, at.Unix())
			}
			want := []order{
				{User: guest[0].ID, Num: "2502/1", Status: 1, Created: "2025-02-01 03:00:00", Comment: sql.NullString{Valid: true}},
				{User: guest[0].ID, Num: "2502/2", Status: 2, Created: "2025-02-01 03:00:00", Comment: sql.NullString{Valid: true}},
			}
			if fmt.Sprint(orders) != fmt.Sprint(want) {
				t.Errorf("orders:\n got %+v\nwant %+v", orders, want)
			}
			logs := query[logRow](t, db, "SELECT user_id, entry, CAST(`timestamp` AS CHAR) AS at FROM modx_ms2_order_logs WHERE order_id = ? ORDER BY id", paid)
			if want := []logRow{{guest[0].ID, "1", "2025-02-01 03:00:00"}, {manager, "2", "2025-02-01 03:00:00"}}; fmt.Sprint(logs) != fmt.Sprint(want) {
				t.Errorf("logs of the paid order: %+v, want %+v", logs, want)
			}

			link := "a.order_id = o.id"
			if gen != modxtest.Gen4x {
				link = "o.address = a.id"
			}
			addr := query[struct {
				Order   int64  `db:"order_id"`
				Comment string `db:"comment"`
			}](t, db, "SELECT o.id AS order_id, a.comment FROM modx_ms2_orders o JOIN modx_ms2_order_addresses a ON "+link+" ORDER BY o.id")
			if len(addr) != 2 || addr[0].Order != first || addr[0].Comment != "у подъезда" {
				t.Errorf("addresses linked by %s: %+v, want both orders', the customer's comment on the first", link, addr)
			}
		})
	}
}

// TestInsertOrderStatusPaths (case 8): an order left at status 0 (still
// written, or miniShop2 4.4.1's lost change), a cart, a status written with
// no log (imports), and one made by a manager in the 4.x back office.
func TestInsertOrderStatusPaths(t *testing.T) {
	ctx := context.Background()
	o := modxtest.Options{Prefix: "modx_"}
	db := create(t, o)
	manager := must(modxtest.InsertUser(ctx, db, o, modxtest.UserSpec{Username: "manager", Sudo: true}))(t)
	unplaced := must(modxtest.InsertOrder(ctx, db, o, modxtest.OrderSpec{Unplaced: true}))(t)
	cart := must(modxtest.InsertOrder(ctx, db, o, modxtest.OrderSpec{Status: modxtest.Statuses(o).Draft}))(t)
	imported := must(modxtest.InsertOrder(ctx, db, o, modxtest.OrderSpec{Status: 3, NoLog: true}))(t)
	byManager := must(modxtest.InsertOrder(ctx, db, o, modxtest.OrderSpec{Manager: manager, ByManager: true, Status: 2,
		Address: map[string]any{"receiver": "Клиент по телефону", "phone": "+79005554433"}}))(t)
	type row struct {
		ID     int64  `db:"id"`
		User   int64  `db:"user_id"`
		Num    string `db:"num"`
		Status int64  `db:"status"`
		Logs   int    `db:"logs"`
	}
	got := query[row](t, db, "SELECT o.id, o.user_id, COALESCE(o.num, 'NULL') AS num, o.status, "+
		"(SELECT COUNT(*) FROM modx_ms2_order_logs l WHERE l.order_id = o.id) AS logs FROM modx_ms2_orders o ORDER BY o.id")
	want := []row{{unplaced, 0, "2501/1", 0, 0}, {cart, 0, "", 5, 0}, {imported, 0, "2501/2", 3, 0}, {byManager, manager, "2501/3", 2, 2}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("orders:\n got %+v\nwant %+v", got, want)
	}
	if users := query[int64](t, db, "SELECT DISTINCT user_id FROM modx_ms2_order_logs WHERE order_id = ?", byManager); len(users) != 1 || users[0] != manager {
		t.Errorf("log rows of the manager's order by %v, want only the manager %d", users, manager)
	}
	if err := modxtest.PlaceOrder(ctx, db, o, cart, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if got := query[string](t, db, "SELECT num FROM modx_ms2_orders WHERE id = ?", cart); got[0] != "2501/4" {
		t.Errorf("placed cart numbered %q, want 2501/4", got[0])
	}
}

// TestUpgrade (case 8): a 3.0 shop upgraded to 4.x loses ms2_orders.address,
// keeps its old addresses without an order_id and its draft status 999.
func TestUpgrade(t *testing.T) {
	ctx := context.Background()
	o := modxtest.Options{Prefix: "modx_", Generation: modxtest.Gen30}
	db := create(t, o)
	old := must(modxtest.InsertOrder(ctx, db, o, modxtest.OrderSpec{}))(t)
	up := must(modxtest.Upgrade(ctx, db, o))(t)
	if up.Generation != modxtest.Gen4x || !up.Upgraded || modxtest.Statuses(up).Draft != 999 {
		t.Fatalf("upgraded options: %+v, draft %d", up, modxtest.Statuses(up).Draft)
	}
	fresh := must(modxtest.InsertOrder(ctx, db, up, modxtest.OrderSpec{}))(t)
	if cols := query[string](t, db, "SELECT column_name FROM information_schema.columns WHERE table_schema = DATABASE() "+
		"AND table_name = 'modx_ms2_orders' AND column_name = 'address'"); len(cols) != 0 {
		t.Error("ms2_orders.address survived the upgrade")
	}
	links := query[sql.NullInt64](t, db, "SELECT order_id FROM modx_ms2_order_addresses ORDER BY id")
	if len(links) != 2 || links[0].Valid || links[1].Int64 != fresh {
		t.Errorf("address order_ids: %+v, want NULL for order %d and %d", links, old, fresh)
	}
	draft := query[string](t, db, "SELECT CONCAT(s.name, ' ', v.value) FROM modx_ms2_order_statuses s, modx_system_settings v "+
		"WHERE s.id = 999 AND v.`key` = 'ms2_status_draft'")
	if len(draft) != 1 || draft[0] != "Черновик 999" {
		t.Errorf("draft status and setting: %q, want Черновик 999", draft)
	}
	// Created that way from the start, too.
	same := create(t, modxtest.Options{Prefix: "modx_", Generation: modxtest.Gen4x, Upgraded: true})
	if got := query[string](t, same, "SELECT value FROM modx_system_settings WHERE `key` = 'ms2_status_draft'"); len(got) != 1 || got[0] != "999" {
		t.Errorf("Create(Upgraded): ms2_status_draft %q, want 999", got)
	}
}

// TestPHPJSON (case 7/8): JSON as PHP's json_encode writes it.
func TestPHPJSON(t *testing.T) {
	v := map[string]any{"url": "https://shop.example/", "name": "Ёж 🦔", "html": "<b>&</b>"}
	got := modxtest.PHPJSON(v)
	if want := `{"html":"<b>&<\/b>","name":"\u0401\u0436 \ud83e\udd94","url":"https:\/\/shop.example\/"}`; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	var back map[string]any
	if err := json.Unmarshal([]byte(got), &back); err != nil || fmt.Sprint(back) != fmt.Sprint(v) {
		t.Errorf("round trip: %v, %v", back, err)
	}
	if strings.ContainsAny(got, "Ёж🦔") {
		t.Error("non-ASCII left unescaped")
	}
}

// must returns v, failing the test given to the returned func on err.
func must[T any](v T, err error) func(*testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}
