package transform

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/modx-amocrm/modx-amocrm/internal/config"
	"github.com/modx-amocrm/modx-amocrm/internal/shop"
)

// The parts of the switch from the old extra that are pure: its
// per-pipeline status map, its field ids, an account holder's own orders,
// staff e-mails at the shop's domain, and orders placed at status 0.

// TestPipelineStatusMap: a deal's status follows its pipeline's table
// first, then orders.status_map; a table resolves only in its pipeline.
func TestPipelineStatusMap(t *testing.T) {
	cfg := testConfig()
	cfg.Orders.StatusMap = map[string]config.IDRef{"2": named("Оплачен"), "3": named("Отправлен")}
	cfg.Orders.PipelineStatusMap = map[string]map[string]config.IDRef{
		"Опт":  {"2": ref(plWholesale + 4)}, // the extra mapped "Оплачен" to another status there
		"1000": {},                          // no such pipeline
	}
	if _, err := NewMapper(cfg, testMeta()); err == nil || !strings.Contains(err.Error(), `orders.pipeline_status_map."1000": no pipeline 1000 in the account`) {
		t.Errorf("unknown pipeline: got %v", err)
	}
	delete(cfg.Orders.PipelineStatusMap, "1000")
	cfg.Orders.PipelineStatusMap["Воронка"] = map[string]config.IDRef{"4": ref(plWholesale + 3)}
	if _, err := NewMapper(cfg, testMeta()); err == nil || !strings.Contains(err.Error(), `orders.pipeline_status_map."Воронка"."4": no status 23 in pipeline "Воронка"`) {
		t.Errorf("status of another pipeline: got %v", err)
	}
	cfg.Orders.PipelineStatusMap["Воронка"] = map[string]config.IDRef{"4": ref(143)}
	m := newTestMapper(t, cfg, testMeta())
	tests := []struct {
		pipeline, shop, want int64
		ok                   bool
	}{
		{plWholesale, 2, plWholesale + 4, true}, // the table
		{plWholesale, 3, plWholesale + 4, true}, // status_map by name, in this pipeline
		{plMain, 2, plMain + 3, true},           // status_map
		{plMain, 4, 143, true},                  // the main pipeline's table
		{plWholesale, 4, 0, false},
	}
	for _, tt := range tests {
		if got, ok := m.StatusChange(tt.pipeline, tt.shop); got != tt.want || ok != tt.ok {
			t.Errorf("StatusChange(%d, %d) = %d, %v; want %d, %v", tt.pipeline, tt.shop, got, ok, tt.want, tt.ok)
		}
	}
	// A new deal in the wholesale pipeline takes the table's status too.
	cfg.Orders.PipelineID = named("Опт")
	m = newTestMapper(t, cfg, testMeta())
	o := testOrder()
	o.Status = 2
	d, err := m.Order(o)
	if err != nil {
		t.Fatal(err)
	}
	if d.Lead.PipelineID != plWholesale || d.Lead.StatusID != plWholesale+4 {
		t.Errorf("new deal: pipeline %d status %d, want %d %d", d.Lead.PipelineID, d.Lead.StatusID, plWholesale, plWholesale+4)
	}
}

// TestStatusMaps: check says whether the tables' names agree, so that one
// orders.status_map by name would do, and which pipelines deals may go to
// without any map.
func TestStatusMaps(t *testing.T) {
	cfg := testConfig()
	cfg.Orders.Category = []config.CategoryRule{{ID: 5, PipelineID: named("Сайт shop.ru")}}
	cfg.Orders.PipelineStatusMap = map[string]map[string]config.IDRef{
		"10": {"1": ref(plMain + 2), "2": ref(plMain + 3), "3": ref(142)},
		"20": {"1": ref(plWholesale + 2), "2": ref(plWholesale + 3), "3": ref(142)},
	}
	got := newTestMapper(t, cfg, testMeta()).StatusMaps()
	want := StatusMaps{
		Tables: []PipelineStatuses{
			{Pipeline: "Воронка", Statuses: map[int64]string{1: "Новый", 2: "Оплачен", 3: "Успешно реализовано"}},
			{Pipeline: "Опт", Statuses: map[int64]string{1: "Новый", 2: "Оплачен", 3: "Успешно реализовано"}},
		},
		ByName:   map[int64]string{1: "Новый", 2: "Оплачен", 3: "Успешно реализовано"},
		Unmapped: []string{`"Сайт shop.ru" (orders.category[1])`},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("StatusMaps:\n got %+v\nwant %+v", got, want)
	}

	cfg.Orders.PipelineStatusMap["20"]["2"] = ref(plWholesale + 4)
	got = newTestMapper(t, cfg, testMeta()).StatusMaps()
	if got.ByName != nil || got.Differ != `shop status 2 is "Оплачен" in "Воронка", "Отправлен" in "Опт"` {
		t.Errorf("names differ: got %v, %q", got.ByName, got.Differ)
	}
}

// TestFieldIDs: a field bound by id is used whatever its name now, so no
// twin is created; an id the account lacks is a config error.
func TestFieldIDs(t *testing.T) {
	cfg := testConfig()
	cfg.Orders.FieldIDs = map[string]int64{"delivery_cost": 905}
	cfg.Contacts.FieldIDs = map[string]int64{"phone": fieldPhone}
	m := newTestMapper(t, cfg, testMeta())
	d, err := m.Order(testOrder())
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range d.MissingFields {
		if f.Name == "delivery_cost" {
			t.Errorf("delivery_cost is bound to field 905, yet it is to be created: %+v", d.MissingFields)
		}
	}
	cfg.Orders.FieldIDs = map[string]int64{"goods": 999}
	if _, err := NewMapper(cfg, testMeta()); err == nil || err.Error() != `orders.field_ids."goods": the account has no lead field 999` {
		t.Errorf("unknown id: got %v", err)
	}
}

// TestOrderAccount: an own account's order is the account's when its
// receiver is the holder, with a new phone and e-mail too; a gift to
// someone else, a manager's order and a shared account's are not.
func TestOrderAccount(t *testing.T) {
	m := newTestMapper(t, testConfig(), testMeta())
	maria := func() *shop.Order {
		o := testOrder()
		o.Customer = &shop.Customer{ID: 7, FullName: "Мария Иванова", Email: "maria@mail.ru", Phone: "+7 911 000-00-01"}
		o.Address = &shop.Address{Receiver: "Иванова Мария", Phone: "+7 922 000-00-02", Email: "maria.new@mail.ru"}
		return o
	}
	tests := []struct {
		name  string
		edit  func(*shop.Order)
		want  int64
		keys  []string
		owner string
	}{
		{"her name, new phone and e-mail", func(*shop.Order) {}, 7,
			[]string{"phone:79220000002", "email:maria.new@mail.ru"}, ""},
		{"ё and one word of her name", func(o *shop.Order) { o.Address.Receiver = "мария" }, 7, nil, ""},
		{"no receiver", func(o *shop.Order) { o.Address.Receiver = "" }, 7, nil, ""},
		{"another name, her phone", func(o *shop.Order) {
			o.Address.Receiver, o.Address.Phone = "Пётр Сидоров", "8 911 000 00 01"
		}, 7, nil, ""},
		{"a gift to someone else", func(o *shop.Order) { o.Address.Receiver = "Пётр Сидоров" }, 0, nil, ""},
		{"a manager's order", func(o *shop.Order) { o.Customer.Manager = true }, 0, nil, ""},
		{"a shared account", func(o *shop.Order) { o.Customer.Receivers, o.Customer.Phones = 5, 5 }, 0, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := maria()
			tt.edit(o)
			d, err := m.Order(o)
			if err != nil {
				t.Fatal(err)
			}
			if d.Contact.Account != tt.want {
				t.Errorf("Account = %d, want %d", d.Contact.Account, tt.want)
			}
			if tt.keys != nil && !reflect.DeepEqual(d.Contact.Keys, tt.keys) {
				t.Errorf("keys %v, want %v: the order's own, for the account's contact to gain", d.Contact.Keys, tt.keys)
			}
		})
	}
}

// TestStaffEmail: a staff account's own address at the shop's domain is a
// mailbox, not an invented guest e-mail: the user gets a contact. A
// guest's account with such an address, or the old extra's
// {phone}@emails.{host}, still has none.
func TestStaffEmail(t *testing.T) {
	m := newTestMapper(t, testConfig(), testMeta())
	d, err := m.User(&shop.Customer{ID: 1, FullName: "Администратор", Email: "admin@shop.ru", Manager: true})
	if err != nil {
		t.Fatalf("staff: %v", err)
	}
	if want := []string{"email:admin@shop.ru"}; !reflect.DeepEqual(d.Keys, want) || d.Account != 1 {
		t.Errorf("staff: keys %v account %d, want %v and 1", d.Keys, d.Account, want)
	}
	for _, c := range []shop.Customer{
		{ID: 2, FullName: "Гость", Email: "guest@shop.ru"},
		{ID: 3, FullName: "Менеджер", Email: "79991234567@emails.shop.ru", Manager: true},
	} {
		if _, err := m.User(&c); !errors.Is(err, ErrNoContact) {
			t.Errorf("user %d (%s): err = %v, want ErrNoContact", c.ID, c.Email, err)
		}
	}
}

// TestOrderAtStatusZero: an order placed but left at status 0 (miniShop2
// 4.4.1's #950) is placed as at the shop's new-order status, with a
// warning naming the issue and its fix.
func TestOrderAtStatusZero(t *testing.T) {
	cfg := testConfig()
	cfg.Orders.StatusMap = map[string]config.IDRef{"6": named("Оплачен")}
	meta := testMeta()
	meta.NewStatus = 6 // a shop whose ms2_status_new is 6
	m := newTestMapper(t, cfg, meta)
	o := testOrder()
	o.Status = 0
	d, err := m.Order(o)
	if err != nil {
		t.Fatal(err)
	}
	if d.Lead.StatusID != plMain+3 {
		t.Errorf("status %d, want %d: status 6 mapped", d.Lead.StatusID, plMain+3)
	}
	if !reflect.DeepEqual(d.Notes, []string{StatusZeroWarning(6)}) {
		t.Errorf("notes %q, want the warning", d.Notes)
	}
	for _, want := range []string{"issue #950", "PR #951", "status 6 (ms2_status_new)"} {
		if !strings.Contains(StatusZeroWarning(6), want) {
			t.Errorf("warning lacks %q", want)
		}
	}
	if m.PlacedStatus(0) != 6 || m.PlacedStatus(3) != 3 || newTestMapper(t, cfg, testMeta()).PlacedStatus(0) != 1 {
		t.Error("PlacedStatus: want an order's own status, at 0 ms2_status_new, else miniShop2's fallback 1")
	}
}

// TestStands: a deal stands where the current config puts its order's
// status, in the pipeline of the stage it was left at; an edited map moves
// it, an unmapped status and a deal no longer followed do not, and with
// [shop_status] a manager's stage that leads back to the status stands.
func TestStands(t *testing.T) {
	cfg := testConfig()
	cfg.Orders.StatusMap = map[string]config.IDRef{"2": named("Оплачен"), "4": ref(143)}
	cfg.Orders.PipelineStatusMap = map[string]map[string]config.IDRef{"Опт": {"2": ref(plWholesale + 4)}}
	m := newTestMapper(t, cfg, testMeta())
	tests := []struct {
		name          string
		stage, status int64
		want          bool
	}{
		{"mapped there", plMain + 3, 2, true},
		{"the map now says elsewhere", plMain + 2, 2, false},
		{"its pipeline's table", plWholesale + 4, 2, true},
		{"not its pipeline's table", plWholesale + 3, 2, false},
		{"unmapped status", plMain + 4, 3, true},
		{"lost, mapped in every pipeline", 143, 4, true},
		{"won, the map says lost", 142, 4, false},
		{"no longer followed", 0, 2, true},
		{"a stage no pipeline holds", 999, 2, false},
	}
	for _, tt := range tests {
		if got := m.Stands(tt.stage, tt.status); got != tt.want {
			t.Errorf("%s: Stands(%d, %d) = %v, want %v", tt.name, tt.stage, tt.status, got, tt.want)
		}
	}

	// The way back took a manager's «Отправлен» for shop status 2: it stands.
	cfg.ShopStatus = config.ShopStatus{Enabled: true, Map: map[string]int64{"Оплачен": 2, "Отправлен": 2}}
	m = newTestMapper(t, cfg, testMeta())
	if !m.Stands(plMain+4, 2) {
		t.Error("a stage the way back leads to status 2 does not stand")
	}
	if m.Stands(plMain+2, 2) {
		t.Error("«Новый» stands for status 2, which leads back from «Оплачен» and «Отправлен» only")
	}
}
