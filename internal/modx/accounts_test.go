package modx_test

import (
	"context"
	"testing"

	"github.com/modx-amocrm/modx-amocrm/internal/modx/modxtest"
	"github.com/modx-amocrm/modx-amocrm/internal/shop"
)

// TestOrderCustomerAccounts: an order's customer says whether its account
// is a manager's (sudo, a group with manager access, or a status change on
// someone else's order) and how many receivers and phones its orders went
// to (a shared account, or one customer writing their name three ways).
func TestOrderCustomerAccounts(t *testing.T) {
	for _, gen := range []string{modxtest.Gen24, modxtest.Gen30, modxtest.Gen4x, modxtest.GenMS3} {
		t.Run(gen, func(t *testing.T) {
			o := modxtest.Options{Prefix: "modx_", Generation: gen}
			db, raw := newShop(t, o)
			ctx := context.Background()
			user := func(name string) int64 {
				return must(modxtest.InsertUser(ctx, raw, o, modxtest.UserSpec{FullName: name}))(t)
			}
			order := func(userID int64, receiver, phone string) int64 {
				address := map[string]any{"receiver": receiver, "phone": phone, "email": nil}
				if gen == modxtest.GenMS3 {
					// Without a phone and e-mail MiniShop3 makes no customer
					// of its own: the order's customer is its MODX user.
					address["phone"] = nil
				}
				return must(modxtest.InsertOrder(ctx, raw, o, modxtest.OrderSpec{UserID: userID, Address: address}))(t)
			}
			check := func(t *testing.T, err error) {
				t.Helper()
				if err != nil {
					t.Fatal(err)
				}
			}

			buyer, sudo, admin, member, clerk, guests := user("Анна"), user("Root"), user("Админ"), user("Клиент"), user("Кладовщик"), user("Гости")
			check(t, modxtest.SetSudo(ctx, raw, o, sudo, true))
			check(t, modxtest.JoinGroup(ctx, raw, o, admin, modxtest.AdminGroup))
			check(t, modxtest.JoinGroup(ctx, raw, o, member, modxtest.CustomerGroup))
			ids := []int64{
				order(buyer, "Анна", "+79001112233"), order(buyer, "Анна П.", "+79001112233"), order(buyer, "анна петрова", "+79001112233"),
				order(sudo, "Иван", "+79002223344"), order(admin, "Пётр", "+79003334455"), order(member, "Клиент", "+79004445566"),
				order(clerk, "Кладовщик", "+79005556677"),
				order(guests, "Ольга", "+79006667701"), order(guests, "Сергей", "+79006667702"),
				order(guests, "Мария", "+79006667703"), order(guests, "Олег", "+79006667704"),
			}
			// The clerk moves the buyer's first order: a manager's log row.
			logID := must(modxtest.InsertStatusLog(ctx, raw, o, modxtest.LogSpec{OrderID: ids[0], Entry: "2"}))(t)
			check(t, modxtest.LogBy(ctx, raw, o, logID, clerk))
			// The buyer's own log row on their own order makes no manager.
			own := must(modxtest.InsertStatusLog(ctx, raw, o, modxtest.LogSpec{OrderID: ids[1], Entry: "4"}))(t)
			check(t, modxtest.LogBy(ctx, raw, o, own, buyer))

			orders := must(db.LoadOrders(ctx, ids))(t)
			got := map[int64]shop.Customer{}
			for _, ord := range orders {
				if ord.Customer == nil {
					t.Fatalf("order %d has no customer", ord.ID)
				}
				got[ord.Customer.ID] = *ord.Customer
			}
			phones := func(n int) int {
				if gen == modxtest.GenMS3 {
					return 0
				}
				return n
			}
			tests := []struct {
				name              string
				id                int64
				manager           bool
				receivers, phones int
			}{
				{"customer with three spellings of one name", buyer, false, 3, phones(1)},
				{"sudo", sudo, true, 1, phones(1)},
				{"administrators' group", admin, true, 1, phones(1)},
				{"customers' group", member, false, 1, phones(1)},
				{"changed someone else's order", clerk, true, 1, phones(1)},
				{"shared account", guests, false, 4, phones(4)},
			}
			for _, tt := range tests {
				c := got[tt.id]
				if c.Manager != tt.manager || c.Receivers != tt.receivers || c.Phones != tt.phones {
					t.Errorf("%s: got manager %v, %d receivers, %d phones; want %v, %d, %d",
						tt.name, c.Manager, c.Receivers, c.Phones, tt.manager, tt.receivers, tt.phones)
				}
			}
		})
	}
}
