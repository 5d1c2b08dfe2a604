package syncer_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/config"
	"github.com/modx-amocrm/modx-amocrm/internal/modx/modxtest"
	"github.com/modx-amocrm/modx-amocrm/internal/plan"
	"github.com/modx-amocrm/modx-amocrm/internal/sandbox"
	"github.com/modx-amocrm/modx-amocrm/internal/site"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer"
	"github.com/modx-amocrm/modx-amocrm/internal/testdb"
)

// Shops as the real PHP writes them (real-installs.md §5): these tests run
// the connector on rows the modxtest fixture writes the way miniShop2's
// checkout, back office and upgrades write them.

// ms2Generations are the miniShop2 generations a case occurs in.
var ms2Generations = []string{modxtest.Gen24, modxtest.Gen30, modxtest.Gen4x}

// dbNow is the database server's clock, which the shop's PHP and the
// connector's settle rule share.
func (h *harness) dbNow() time.Time {
	h.t.Helper()
	var sec int64
	if err := h.db.Get(&sec, "SELECT UNIX_TIMESTAMP()"); err != nil {
		h.t.Fatal(err)
	}
	return time.Unix(sec, 0)
}

// loggedPass runs a pass whose log lines are returned.
func (h *harness) loggedPass(opts syncer.PassOptions) (*syncer.Result, string) {
	h.t.Helper()
	var buf bytes.Buffer
	s, err := site.Open(h.ctx, h.cfg, site.Options{Logger: slog.New(slog.NewTextHandler(&buf, nil)),
		Sleep: func(context.Context, time.Duration) error { return nil }})
	if err != nil {
		h.t.Fatal(err)
	}
	defer s.Close()
	e, err := s.Engine(site.EngineOptions{})
	if err != nil {
		h.t.Fatal(err)
	}
	res, err := e.Pass(h.ctx, opts)
	if err != nil {
		h.t.Fatalf("pass: %v", err)
	}
	return res, buf.String()
}

// lead returns the deal of order id, failing the test when it has none.
func (h *harness) lead(id int64) sandbox.LeadState {
	h.t.Helper()
	l, ok := h.leadsByOrder()[strconv.FormatInt(id, 10)]
	if !ok {
		h.t.Fatalf("order %d has no deal", id)
	}
	return l
}

// field returns a deal's custom field value by the field's name.
func field(l sandbox.LeadState, name string) string {
	for _, f := range l.CustomFieldsValues {
		if f.FieldName == name && len(f.Values) > 0 {
			return valueString(f.Values[0].Value)
		}
	}
	return ""
}

// waitedSettle makes every waiting row of kind look first seen long ago, as
// if sync.settle had passed since.
func (h *harness) waitedSettle(kind string) {
	h.t.Helper()
	if _, err := h.db.Exec("UPDATE amocrm_sync_waiting SET since = since - INTERVAL 1 HOUR WHERE kind = ?", kind); err != nil {
		h.t.Fatal(err)
	}
}

// TestEmptyDateTimezoneIsMeasured (issue 11 case 1): MODX's date_timezone
// is empty by default, and then miniShop2's DATETIMEs are in php.ini's
// zone. The offset is measured from guest checkouts (users.createdon is
// Unix, the order's createdon local, both written in one request), so an
// order placed a minute ago in Moscow is neither 3 hours in the future (it
// and the orders after it are sent) nor dated 10,800 s off.
func TestEmptyDateTimezoneIsMeasured(t *testing.T) {
	for _, gen := range ms2Generations {
		t.Run(gen, func(t *testing.T) {
			h := newHarness(t, modxtest.Options{Generation: gen, PHPTimezone: "Europe/Moscow"}, func(c *config.Config) {
				c.Sync.Settle = config.Duration{Duration: 10 * time.Second}
			})
			now := h.dbNow()
			var ids []int64
			for i, ago := range []time.Duration{2 * time.Hour, time.Hour, time.Minute, 30 * time.Second} {
				ids = append(ids, h.order(modxtest.OrderSpec{Guest: true, CreatedOn: now.Add(-ago), Address: map[string]any{
					"receiver": fmt.Sprintf("Гость %d", i), "email": fmt.Sprintf("guest%d@example.org", i), "phone": fmt.Sprintf("+7 900 000-00-1%d", i)}}))
			}
			h.pass(syncer.PassOptions{})
			for i, id := range ids {
				ago := []time.Duration{2 * time.Hour, time.Hour, time.Minute, 30 * time.Second}[i]
				if got, want := h.lead(id).CreatedAt, now.Add(-ago).Unix(); got != want {
					t.Errorf("order %d placed %s ago: deal created_at %d, want %d (off by %d s)", id, ago, got, want, got-want)
				}
			}
		})
	}
}

// TestFutureDatedOrderBlocksNothing (case 1): an order dated 2099 (a bad
// clock, an import) is sent one settle after it appeared, with a warning
// naming it; the orders after it are sent as usual.
func TestFutureDatedOrderBlocksNothing(t *testing.T) {
	forEachShop(t, modxtest.Options{}, func(t *testing.T, shop modxtest.Options) {
		h := newHarness(t, shop, func(c *config.Config) { c.Sync.Settle = config.Duration{Duration: 10 * time.Second} })
		future := h.order(modxtest.OrderSpec{CreatedOn: time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC)})
		after := h.order(modxtest.OrderSpec{CreatedOn: h.dbNow().Add(-time.Minute), Address: map[string]any{"phone": "+7 900 100-00-01"}})
		_, logs := h.loggedPass(syncer.PassOptions{})
		h.lead(after)
		if _, ok := h.leadsByOrder()[strconv.FormatInt(future, 10)]; ok {
			t.Fatal("the order dated 2099 was sent before a settle had passed since it appeared")
		}
		if want := "order_id=" + strconv.FormatInt(future, 10); !strings.Contains(logs, "dated in the future") || !strings.Contains(logs, want) {
			t.Errorf("no warning naming order %d:\n%s", future, logs)
		}
		h.waitedSettle("order")
		h.pass(syncer.PassOptions{})
		h.lead(future)
		res := h.pass(syncer.PassOptions{})
		if got := res.Count("lead", plan.Create); got != 0 || len(h.box.Leads()) != 2 {
			t.Errorf("a later pass created %d deals, sandbox holds %d; want 0 and 2", got, len(h.box.Leads()))
		}
	})
}

// TestFutureDatedFormBlocksNothing (case 1): the same for a form dated 2037.
func TestFutureDatedFormBlocksNothing(t *testing.T) {
	h := newHarness(t, modxtest.Options{FormIt: true}, func(c *config.Config) {
		c.Orders.Enabled = false
		c.Forms.Enabled = true
		c.Sync.Settle = config.Duration{Duration: 10 * time.Second}
	})
	insert := func(spec modxtest.FormSpec) {
		if _, err := modxtest.InsertForm(h.ctx, h.db, h.shop, spec); err != nil {
			t.Fatal(err)
		}
	}
	insert(modxtest.FormSpec{Date: time.Date(2037, 1, 1, 0, 0, 0, 0, time.UTC), Values: `{"name":"Будущий","phone":"+7 900 200-00-01"}`})
	insert(modxtest.FormSpec{Date: h.dbNow().Add(-time.Minute), Values: `{"name":"Нынешний","phone":"+7 900 200-00-02"}`})
	names := func() string {
		var n []string
		for _, c := range h.box.Contacts() {
			n = append(n, c.Name)
		}
		return strings.Join(n, ",")
	}
	h.pass(syncer.PassOptions{})
	if got := names(); got != "Нынешний" {
		t.Fatalf("contacts after the first pass: %q, want only the form of a minute ago", got)
	}
	h.waitedSettle("form")
	h.pass(syncer.PassOptions{})
	if got := names(); got != "Нынешний,Будущий" {
		t.Errorf("contacts once a settle passed: %q, want both", got)
	}
}

// TestUpgradedShopKeepsOldAddresses (case 3): the 4.x upgrade drops
// ms2_orders.address; orders placed before it still find their address by
// user_id and createdon.
func TestUpgradedShopKeepsOldAddresses(t *testing.T) {
	h := newHarness(t, modxtest.Options{Generation: modxtest.Gen30, MyISAM: true}, func(c *config.Config) {
		c.Orders.Fields = []string{"comment"}
	})
	customer := h.user(modxtest.UserSpec{Email: "old@example.org"})
	old := h.order(modxtest.OrderSpec{UserID: customer, Comment: "домофон 12", Address: map[string]any{"city": "Казань", "phone": "+7 900 300-00-01"}})
	// Another address of the same customer, a second later, must not be taken.
	h.order(modxtest.OrderSpec{UserID: customer, CreatedOn: modxtest.DefaultTime.Add(time.Second), Address: map[string]any{"city": "Тула", "phone": "+7 900 300-00-01"}})
	upgraded, err := modxtest.Upgrade(h.ctx, h.db, h.shop)
	if err != nil {
		t.Fatal(err)
	}
	h.shop = upgraded
	fresh := h.order(modxtest.OrderSpec{UserID: customer, Address: map[string]any{"city": "Омск", "phone": "+7 900 300-00-01"}})
	h.pass(syncer.PassOptions{})
	for id, want := range map[int64]string{old: "Казань", fresh: "Омск"} {
		if got := field(h.lead(id), "address.city"); got != want {
			t.Errorf("order %d: address.city %q, want %q", id, got, want)
		}
	}
	if got := field(h.lead(old), "comment"); got != "домофон 12" {
		t.Errorf("order placed before the upgrade: comment %q, want the customer's", got)
	}
}

// TestStatusSetWithoutLogMovesDeal (case 4): a status set with no log row
// (imports, plugins, direct SQL) moves its deal at the next comparison of
// statuses with the ones last sent (orders.compare_cron, and every run -once).
func TestStatusSetWithoutLogMovesDeal(t *testing.T) {
	forEachShop(t, modxtest.Options{}, func(t *testing.T, shop modxtest.Options) {
		st := modxtest.Statuses(shop)
		h := newHarness(t, shop, func(c *config.Config) {
			c.Orders.StatusMap = map[string]config.IDRef{strconv.FormatInt(st.Paid, 10): {Name: "Оплачен"}}
		})
		id := h.order(modxtest.OrderSpec{})
		h.pass(syncer.PassOptions{})
		if err := modxtest.SetStatus(h.ctx, h.db, h.shop, id, st.Paid, time.Time{}); err != nil {
			t.Fatal(err)
		}
		_, paid := h.pipelineStatus("Воронка", "Оплачен")
		h.pass(syncer.PassOptions{}) // the comparison ran in the first pass: not due again for an hour
		if got := h.lead(id).StatusID; got == paid {
			t.Fatal("moved before the comparison was due")
		}
		res := h.passWith(site.EngineOptions{CompareStatuses: true}, syncer.PassOptions{})
		if got := h.lead(id).StatusID; got != paid {
			t.Errorf("deal status %d, want %d (Оплачен); %s", got, paid, res.Summary())
		}
		if got := res.Count("status_move", plan.Update); got != 1 {
			t.Errorf("moves: got %d, want 1", got)
		}
	})
}

// TestStatusZeroOrders (case 5; issue 21): miniShop2 4.4.1 leaves placed
// orders at status 0 with no log (its issue #950). One with its products
// and address is a placed order: sent at the shop's new-order status with a
// warning naming #950, and its late log row to the new status moves
// nothing. One without them waits, listed in the report with why, and is
// parked once older than sync.abandon_after, counted from its createdon.
func TestStatusZeroOrders(t *testing.T) {
	h := newHarness(t, modxtest.Options{}, nil)
	now := h.dbNow()
	atZero := h.order(modxtest.OrderSpec{Unplaced: true, CreatedOn: now.Add(-3 * time.Hour)})
	stuck := h.order(modxtest.OrderSpec{Unplaced: true, NoAddress: true, CreatedOn: now.Add(-3 * time.Hour)})
	young := h.order(modxtest.OrderSpec{Unplaced: true, CreatedOn: now.Add(-10 * time.Minute), Address: map[string]any{"phone": "+7 900 400-00-01"}})
	testdb.Exec(t, h.db, "DELETE FROM modx_ms2_order_products WHERE order_id = "+strconv.FormatInt(young, 10)) // its lines not written yet
	var got entries
	res := h.pass(syncer.PassOptions{Report: &got})
	if res.Count("lead", plan.Create) != 1 || res.ParkedTotal != 1 || res.Parked != 1 {
		t.Fatalf("%s; want the order with its products and address sent, the old one without parked", res.Summary())
	}
	_, fresh := h.pipelineStatus("Воронка", "Первичный контакт")
	if l := h.lead(atZero); l.StatusID != fresh {
		t.Errorf("deal of the order at status 0: status %d, want the new order's %d", l.StatusID, fresh)
	}
	reasons := map[string]string{}
	for _, e := range got {
		reasons[e.Kind+" "+e.Key] = e.Reason
	}
	if r := reasons["lead order:"+strconv.FormatInt(atZero, 10)]; !strings.Contains(r, "left at status 0, sent at the shop's new-order status 1") ||
		!strings.Contains(r, "issue #950") {
		t.Errorf("the deal's entry does not warn of #950: %q", r)
	}
	if r := reasons["wait order:"+strconv.FormatInt(young, 10)]; !strings.Contains(r, "status 0 without its products or address yet") {
		t.Errorf("the report does not say why the young order waits: %q (entries %v)", r, reasons)
	}
	failures, err := h.store.Failures(h.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(failures) != 1 || failures[0].SourceID != stuck || !strings.Contains(failures[0].Reason, "without its products or address") {
		t.Fatalf("failures: %+v, want order %d with a status 0 reason", failures, stuck)
	}
	// Its retry finds it still so: parked again, its backoff grows.
	if _, err := h.db.Exec("UPDATE amocrm_sync_failures SET next_attempt_at = next_attempt_at - INTERVAL 1 DAY"); err != nil {
		t.Fatal(err)
	}
	h.pass(syncer.PassOptions{})
	if failures, err = h.store.Failures(h.ctx); err != nil || len(failures) != 1 || failures[0].Attempts != 2 {
		t.Errorf("after its retry: %+v, %v; want order %d parked with 2 attempts", failures, err, stuck)
	}
	// The shop is patched: the order sent at 0 gets its status 1 and its
	// log row, the young one is placed.
	h.place(atZero)
	h.place(young)
	res = h.pass(syncer.PassOptions{})
	h.lead(young)
	if res.Count("lead", plan.Create) != 1 || res.Count("status_move", plan.Update) != 0 || len(h.box.Leads()) != 2 {
		t.Errorf("%s, %d deals; want the young order sent and nothing moved", res.Summary(), len(h.box.Leads()))
	}
}

// TestCustomerCommentComesFromTheAddress (case 7): checkout stores the
// customer's comment in the address; the order's own comment column
// (comment on 2.x, order_comment after) is the back office's.
func TestCustomerCommentComesFromTheAddress(t *testing.T) {
	for _, gen := range append(ms2Generations, modxtest.GenMS3) {
		t.Run(gen, func(t *testing.T) {
			h := newHarness(t, modxtest.Options{Generation: gen}, func(c *config.Config) {
				c.Orders.Fields = []string{"comment", "order_comment"}
			})
			id := h.order(modxtest.OrderSpec{Comment: "Позвоните за час", ManagerComment: "Оплата проверена"})
			h.pass(syncer.PassOptions{})
			l := h.lead(id)
			if got := field(l, "comment"); got != "Позвоните за час" {
				t.Errorf("comment: %q, want the customer's", got)
			}
			if got := field(l, "order_comment"); got != "Оплата проверена" {
				t.Errorf("order_comment: %q, want the back office's", got)
			}
		})
	}
}

// TestPHPEscapedJSONIsRead (case 7): PHP's json_encode writes Cyrillic as
// \uXXXX and / as \/ in properties, options, profiles' extended and FormIt
// values.
func TestPHPEscapedJSONIsRead(t *testing.T) {
	h := newHarness(t, modxtest.Options{FormIt: true}, func(c *config.Config) {
		c.Forms.Enabled = true
		c.Forms.AsLead = true
	})
	props := modxtest.PHPJSON(map[string]any{"amoCRMFields": map[string]any{"tags": "сайт/акция"}})
	id := h.order(modxtest.OrderSpec{Properties: props, Lines: []modxtest.LineSpec{
		{Name: "Кружка", Options: modxtest.PHPJSON(map[string]any{"color": "Красный", "size": "½ л"})}}})
	values := modxtest.PHPJSON(map[string]any{"Ф.И.О": "Ольга 🌷", "Телефон": "+7 900 500-00-01", "Сайт": "https://shop.example/"})
	if !strings.Contains(props, `\u0441`) || !strings.Contains(props, `\/`) || !strings.Contains(values, `\ud83c\udf37`) {
		t.Fatalf("fixture: not PHP's escapes: %s %s", props, values)
	}
	if _, err := modxtest.InsertForm(h.ctx, h.db, h.shop, modxtest.FormSpec{Values: values}); err != nil {
		t.Fatal(err)
	}
	h.pass(syncer.PassOptions{})
	l := h.lead(id)
	if len(l.Tags) != 1 || l.Tags[0].Name != "сайт/акция" {
		t.Errorf("tags: %+v, want сайт/акция", l.Tags)
	}
	if got := field(l, "goods"); !strings.Contains(got, "(Красный; ½ л)") {
		t.Errorf("goods: %q, want the options unescaped", got)
	}
	var form bool
	for _, c := range h.box.Contacts() {
		form = form || c.Name == "Ольга 🌷"
	}
	if !form {
		t.Errorf("no contact named Ольга 🌷 from the form: %+v", h.box.Contacts())
	}
}

// TestUsersStartNowTakeABaseline (case 7): with sync.start = "now" the
// users of today are a baseline, not an upload; new users and later edits
// are sent.
func TestUsersStartNowTakeABaseline(t *testing.T) {
	h := newHarness(t, modxtest.Options{}, func(c *config.Config) {
		c.Orders.Enabled = false
		c.Users.Enabled = true
		c.Sync.Start = "now"
	})
	var old []int64
	for i := range 3 {
		old = append(old, h.user(modxtest.UserSpec{FullName: fmt.Sprintf("Старый %d", i), Email: fmt.Sprintf("old%d@example.org", i)}))
	}
	res := h.passWith(site.EngineOptions{FullUserScan: true}, syncer.PassOptions{})
	if got := len(h.box.Contacts()); got != 0 {
		t.Fatalf("first pass made %d contacts of existing users, want 0 (%s)", got, res.Summary())
	}
	for _, r := range h.box.Requests() {
		if r.Method != "GET" || r.Path == "/api/v4/contacts" {
			t.Errorf("first pass asked %s %s; want only the account's metadata", r.Method, r.Path)
		}
	}
	h.user(modxtest.UserSpec{FullName: "Новый", Email: "new@example.org"})
	if _, err := h.db.Exec("UPDATE modx_user_attributes SET phone = '+7 900 600-00-01' WHERE internalKey = ?", old[1]); err != nil {
		t.Fatal(err)
	}
	res = h.passWith(site.EngineOptions{FullUserScan: true}, syncer.PassOptions{})
	var names []string
	for _, c := range h.box.Contacts() {
		names = append(names, c.Name)
	}
	slices.Sort(names)
	if got := strings.Join(names, ","); got != "Новый,Старый 1" {
		t.Errorf("contacts: %q, want the new user and the edited one (%s)", got, res.Summary())
	}
}

// TestMiniShop3CartsAreNotRemembered (case 5): every MiniShop3 order is a
// cart row first and is placed by a logged status change, so its carts are
// not kept on the waiting list (miniShop2's are, from their createdon).
func TestMiniShop3CartsAreNotRemembered(t *testing.T) {
	forEachShop(t, modxtest.Options{}, func(t *testing.T, shop modxtest.Options) {
		h := newHarness(t, shop, nil)
		cart := h.order(modxtest.OrderSpec{Status: h.statuses().Draft, CreatedOn: h.dbNow().Add(-time.Minute)})
		h.pass(syncer.PassOptions{})
		waiting, err := h.store.Waiting(h.ctx, "order")
		if err != nil {
			t.Fatal(err)
		}
		if want := shop.Generation != modxtest.GenMS3; (len(waiting) == 1) != want {
			t.Errorf("waiting list %+v; want the cart on it: %v", waiting, want)
		}
		h.place(cart)
		h.pass(syncer.PassOptions{})
		h.lead(cart)
	})
}
