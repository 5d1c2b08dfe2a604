package modx_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/modx"
	"github.com/modx-amocrm/modx-amocrm/internal/modx/modxtest"
	"github.com/modx-amocrm/modx-amocrm/internal/shop"
	"github.com/modx-amocrm/modx-amocrm/internal/testdb"
)

func TestLoadOrders(t *testing.T) {
	for _, gen := range []string{"2.4", "3.0", "4.x", modxtest.GenMS3} {
		t.Run(gen, func(t *testing.T) {
			o := modxtest.Options{Prefix: "modx_", Generation: gen, MyISAM: gen == "2.4" || gen == "3.0"}
			db, raw := newShop(t, o)
			ctx := context.Background()

			root := must(modxtest.InsertCategory(ctx, raw, o, 0, "Каталог"))(t)
			shoes := must(modxtest.InsertCategory(ctx, raw, o, root, "Обувь"))(t)
			boots := must(modxtest.InsertCategory(ctx, raw, o, shoes, "Сапоги"))(t)
			sale := must(modxtest.InsertCategory(ctx, raw, o, root, "Распродажа"))(t)
			boot := must(modxtest.InsertProduct(ctx, raw, o, modxtest.ProductSpec{
				Parent: boots, Title: "Сапоги 👢", Article: "SKU-1", Categories: []int64{sale}}))(t)
			plain := must(modxtest.InsertProduct(ctx, raw, o, modxtest.ProductSpec{Parent: root}))(t)
			user := must(modxtest.InsertUser(ctx, raw, o, modxtest.UserSpec{
				Username: "anna@example.com", Email: "anna@example.com", FullName: "Анна", MobilePhone: "89001112233"}))(t)

			full := must(modxtest.InsertOrder(ctx, raw, o, modxtest.OrderSpec{
				UserID: user, Num: "2501/7", Status: 2, Cost: "1499.50", Comment: "позвоните", ManagerComment: "проверить оплату",
				Properties: `{"amoCRMFields":{"tags":"vip"}}`,
				Address:    map[string]any{"receiver": "Анна", "email": "anna@example.com", "country": nil},
				Lines: []modxtest.LineSpec{
					{ProductID: plain, Name: "Простой", Price: "99.50"},
					{ProductID: boot, Name: "Сапоги", Count: 2, Price: "700.00", Options: `{"size":"38"}`},
				},
			}))(t)
			bare := must(modxtest.InsertOrder(ctx, raw, o, modxtest.OrderSpec{NoAddress: true, NullNum: true, Lines: []modxtest.LineSpec{}}))(t)

			got := must(db.LoadOrders(ctx, []int64{bare, full, 12345}))(t)
			if len(got) != 2 || got[0].ID != full || got[1].ID != bare {
				t.Fatalf("got %d orders %+v, want ids %d, %d", len(got), got, full, bare)
			}
			f, b := got[0], got[1]
			if want := modxtest.DefaultTime; !f.CreatedOn.Equal(want) {
				t.Errorf("createdon: got %v, want %v", f.CreatedOn, want)
			}
			if f.Num != "2501/7" || f.Status != 2 || f.Cost != "1499.50" || f.Comment != "проверить оплату" {
				t.Errorf("header: got num %q status %d cost %q comment %q", f.Num, f.Status, f.Cost, f.Comment)
			}
			if f.DeliveryName != "Самовывоз" || f.PaymentName != "Оплата наличными" {
				t.Errorf("delivery/payment: got %q/%q", f.DeliveryName, f.PaymentName)
			}
			if string(f.Properties) != `{"amoCRMFields":{"tags":"vip"}}` {
				t.Errorf("properties: got %s", f.Properties)
			}
			if f.Address == nil || f.Address.Receiver != "Анна" || f.Address.Country != "" || f.Address.City != "Москва" || f.Address.Comment != "позвоните" {
				t.Fatalf("address: got %+v", f.Address)
			}
			wantEmail := "anna@example.com"
			if gen == "2.4" {
				wantEmail = "" // 2.4 has no address e-mail column
			}
			if f.Address.Email != wantEmail {
				t.Errorf("address email: got %q, want %q", f.Address.Email, wantEmail)
			}
			wantCustomer := shop.Customer{ID: user, Username: "anna@example.com", Active: true, CreatedOn: modxtest.DefaultTime,
				FullName: "Анна", Email: "anna@example.com", MobilePhone: "89001112233", Receivers: 1, Phones: 1}
			if gen == modxtest.GenMS3 {
				// MiniShop3's checkout made an ms3_customers row from the address.
				moscow, _ := time.LoadLocation("Europe/Moscow") // a DATETIME, read in the shop's zone
				wantCustomer = shop.Customer{ID: user, Active: true, CreatedOn: modxtest.DefaultTime.In(moscow),
					FullName: "Анна", Email: "anna@example.com", Phone: "+79001234567"}
			}
			if f.Customer == nil || !reflect.DeepEqual(*f.Customer, wantCustomer) {
				t.Errorf("customer: got %+v, want %+v", f.Customer, wantCustomer)
			}
			if len(f.Products) != 2 {
				t.Fatalf("products: got %d, want 2", len(f.Products))
			}
			p0, p1 := f.Products[0], f.Products[1]
			if p0.ProductID != plain || p1.ProductID != boot {
				t.Errorf("cart order: got %d, %d, want %d, %d", p0.ProductID, p1.ProductID, plain, boot)
			}
			if p1.Article != "SKU-1" || p0.Article != "" || p1.Count != 2 || p1.Cost != "1400.00" || string(p1.Options) != `{"size":"38"}` {
				t.Errorf("line: got %+v", p1)
			}
			if want := []int64{boots, shoes, root}; !reflect.DeepEqual(p1.Categories, want) {
				t.Errorf("categories: got %v, want %v", p1.Categories, want)
			}
			if want := [][]int64{{sale, root}}; !reflect.DeepEqual(p1.AdditionalCategories, want) {
				t.Errorf("additional categories: got %v, want %v", p1.AdditionalCategories, want)
			}
			if want := []int64{root}; !reflect.DeepEqual(p0.Categories, want) {
				t.Errorf("categories of plain product: got %v, want %v", p0.Categories, want)
			}
			if b.Address != nil || b.Num != "" || len(b.Products) != 0 || b.Customer != nil {
				t.Errorf("bare order: got address %+v num %q products %d customer %+v", b.Address, b.Num, len(b.Products), b.Customer)
			}
		})
	}
}

// Real 4.x shops have orphan and duplicate address rows and a widened,
// nullable num column.
func TestLoadOrdersOddAddresses(t *testing.T) {
	o := modxtest.Options{Prefix: "modx_partners"}
	db, raw := newShop(t, o)
	ctx := context.Background()
	testdb.Exec(t, raw, `ALTER TABLE modx_partnersms2_orders MODIFY num varchar(255) DEFAULT NULL;
ALTER TABLE modx_partnersms2_order_addresses MODIFY country varchar(255) DEFAULT NULL`)
	long := "SHOP-2025-01-000000000000000000000000000000042"
	id := must(modxtest.InsertOrder(ctx, raw, o, modxtest.OrderSpec{Num: long,
		Address: map[string]any{"country": "Российская Федерация, очень длинное название страны"}}))(t)
	testdb.Exec(t, raw, `INSERT INTO modx_partnersms2_order_addresses (order_id, user_id, receiver) VALUES (NULL, 0, 'orphan');
INSERT INTO modx_partnersms2_order_addresses (order_id, user_id, receiver) VALUES (999, 0, 'no such order');
INSERT INTO modx_partnersms2_order_addresses (order_id, user_id, receiver, city) VALUES (`+itoa(id)+`, 0, 'second', NULL)`)

	got := must(db.LoadOrders(ctx, []int64{id}))(t)
	if len(got) != 1 || got[0].Num != long {
		t.Fatalf("got %+v, want one order numbered %q", got, long)
	}
	if a := got[0].Address; a == nil || a.Receiver != "second" || a.City != "" {
		t.Errorf("address: got %+v, want the newest row with empty city", a)
	}
}

// MiniShop3 before 1.0 had miniShop2's address (receiver, user_id) and no
// customer_id; its orders read with the receiver and the MODX user.
func TestLoadOrdersMiniShop3PreRelease(t *testing.T) {
	o := modxtest.Options{Prefix: "modx_", Generation: modxtest.GenMS3}
	raw, dsn := createShop(t, o)
	ctx := context.Background()
	user := must(modxtest.InsertUser(ctx, raw, o, modxtest.UserSpec{FullName: "Пётр", Phone: "+79005554433"}))(t)
	id := must(modxtest.InsertOrder(ctx, raw, o, modxtest.OrderSpec{UserID: user}))(t)
	testdb.Exec(t, raw, `ALTER TABLE modx_ms3_orders DROP COLUMN customer_id;
ALTER TABLE modx_ms3_order_addresses ADD COLUMN user_id int(10) unsigned NOT NULL DEFAULT 0, ADD COLUMN receiver varchar(255) DEFAULT NULL;
UPDATE modx_ms3_order_addresses SET receiver = 'Пётр Первый';
ALTER TABLE modx_ms3_order_addresses DROP COLUMN first_name, DROP COLUMN last_name`)
	db := open(t, dsn, modx.Options{Prefix: o.Prefix})
	if s := must(db.Detect(ctx))(t); s.Generation != modx.GenMS3Pre || s.Title() != "MiniShop3 pre-1.0" {
		t.Errorf("generation: got %q (%s), want %q", s.Generation, s.Title(), modx.GenMS3Pre)
	}
	got := must(db.LoadOrders(ctx, []int64{id}))(t)
	if len(got) != 1 || got[0].Address == nil || got[0].Address.Receiver != "Пётр Первый" {
		t.Fatalf("got %+v, want the receiver column", got)
	}
	if c := got[0].Customer; c == nil || c.ID != user || c.FullName != "Пётр" || c.Phone != "+79005554433" {
		t.Errorf("customer: got %+v, want MODX user %d", c, user)
	}
}

func TestOrderHeadersKeyset(t *testing.T) {
	o := modxtest.Options{Prefix: "modx_"}
	db, raw := newShop(t, o)
	ctx := context.Background()
	var (
		want     []int64
		unplaced int64
	)
	for i := 0; i < 7; i++ {
		id := must(modxtest.InsertOrder(ctx, raw, o, modxtest.OrderSpec{Unplaced: i == 3}))(t)
		switch i {
		case 2: // deleted below: a gap the pages must step over
		case 3:
			unplaced = id
			fallthrough
		default:
			want = append(want, id)
		}
	}
	testdb.Exec(t, raw, "DELETE FROM modx_ms2_orders WHERE id = "+itoa(want[1]+1))

	var got []int64
	after := int64(0)
	for {
		page := must(db.OrderHeaders(ctx, after, 2))(t)
		if len(page) == 0 {
			break
		}
		for _, h := range page {
			got = append(got, h.ID)
			wantStatus := int64(1)
			if h.ID == unplaced {
				wantStatus = 0
			}
			if h.Status != wantStatus {
				t.Errorf("order %d: got status %d, want %d", h.ID, h.Status, wantStatus)
			}
		}
		after = page[len(page)-1].ID
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestLoadOrdersTimezoneOption(t *testing.T) {
	o := modxtest.Options{Prefix: "modx_", Timezone: "Asia/Vladivostok"}
	raw, dsn := createShop(t, o)
	ctx := context.Background()
	id := must(modxtest.InsertOrder(ctx, raw, o, modxtest.OrderSpec{}))(t)
	for _, tt := range []struct {
		option, want string
	}{{"", "Asia/Vladivostok"}, {"Europe/Berlin", "Europe/Berlin"}} {
		db := open(t, dsn, modx.Options{Prefix: o.Prefix, Location: tt.option})
		got := must(db.LoadOrders(ctx, []int64{id}))(t)[0].CreatedOn
		// The fixture wrote 22:00 in Vladivostok: read in Berlin, 22:00 there.
		loc, _ := time.LoadLocation(tt.want)
		if want := time.Date(2025, 1, 15, 22, 0, 0, 0, loc); !got.Equal(want) {
			t.Errorf("option %q: got %v, want %v", tt.option, got, want)
		}
	}
}

// Old shops hold zero dates; they read as the zero time, not an error.
func TestZeroDates(t *testing.T) {
	o := modxtest.Options{Prefix: "modx_", Generation: "2.4"}
	db, raw := newShop(t, o)
	ctx := context.Background()
	id := must(modxtest.InsertOrder(ctx, raw, o, modxtest.OrderSpec{}))(t)
	testdb.Exec(t, raw, "UPDATE modx_ms2_orders SET createdon = '0000-00-00 00:00:00', updatedon = NULL WHERE id = "+itoa(id))
	var stored string
	if err := raw.Get(&stored, "SELECT CAST(createdon AS CHAR) FROM modx_ms2_orders WHERE id = ?", id); err != nil || stored != "0000-00-00 00:00:00" {
		t.Fatalf("fixture: stored %q, %v", stored, err)
	}
	headers := must(db.OrderHeaders(ctx, 0, 10))(t)
	orders := must(db.LoadOrders(ctx, []int64{id}))(t)
	if len(headers) != 1 || !headers[0].CreatedOn.IsZero() || len(orders) != 1 || !orders[0].CreatedOn.IsZero() || !orders[0].UpdatedOn.IsZero() {
		t.Errorf("got headers %+v, orders %+v, want zero times", headers, orders)
	}
}
