package transform

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/modx-amocrm/modx-amocrm/internal/config"
	"github.com/modx-amocrm/modx-amocrm/internal/crm"
	"github.com/modx-amocrm/modx-amocrm/internal/shop"
)

// editOrder is testOrder with a second product: 2 × 600 + 1 × 299.50.
func editOrder() *shop.Order {
	o := testOrder()
	o.Cost, o.CartCost = "1799.50", "1499.50"
	o.Products = append(o.Products, shop.OrderProduct{ProductID: 200, Name: "Кепка", Count: 1, Price: "299.50", Cost: "299.50"})
	return o
}

// sentFor maps o and returns what its deal got.
func sentFor(t *testing.T, m *Mapper, o *shop.Order) Sent {
	t.Helper()
	d, err := m.Order(o)
	if err != nil {
		t.Fatal(err)
	}
	return SentOf(d, o)
}

func TestSentRoundTrip(t *testing.T) {
	m := newTestMapper(t, testConfig(), testMeta())
	o := editOrder()
	s := sentFor(t, m, o)
	if s.Price == nil || *s.Price != 1800 || s.Num != "2401/42" || len(s.Fields) != 4 {
		t.Fatalf("SentOf: price %v, num %q, %d fields; want 1800, 2401/42, 4 (key, weight, goods, city)", s.Price, s.Num, len(s.Fields))
	}
	wantLines := []SentLine{{ProductID: 100, Name: "Футболка", Count: 2, Cost: 120000}, {ProductID: 200, Name: "Кепка", Count: 1, Cost: 29950}}
	if !reflect.DeepEqual(s.Lines, wantLines) {
		t.Fatalf("lines: got %+v, want %+v", s.Lines, wantLines)
	}
	b, err := s.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > 150 {
		t.Errorf("an order of two products takes %d bytes, want at most 150", len(b))
	}
	var back Sent
	if err := back.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, s) {
		t.Errorf("round trip: got %+v, want %+v", back, s)
	}
	for _, bad := range [][]byte{nil, {2}, b[:len(b)-1], append(slices.Clone(b), 0)} {
		if err := new(Sent).UnmarshalBinary(bad); !errors.Is(err, ErrSentFormat) {
			t.Errorf("% x: got %v, want ErrSentFormat", bad, err)
		}
	}
}

func TestSentSumsLinesByProduct(t *testing.T) {
	o := testOrder()
	o.Products = []shop.OrderProduct{
		{ProductID: 100, Name: "Футболка", Count: 1, Cost: "600.00"},
		{ProductID: 300, Name: "Носки", Count: 3, Cost: "297.006"},
		{ProductID: 100, Name: "Футболка синяя", Count: 2, Cost: "1200.00"},
	}
	got := productLines(o.Products)
	want := []SentLine{{ProductID: 100, Name: "Футболка", Count: 3, Cost: 180000}, {ProductID: 300, Name: "Носки", Count: 3, Cost: 29701}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestEdit(t *testing.T) {
	tests := []struct {
		name     string
		cfg      func(*config.Config) // the config of the fresh mapping
		sentCfg  func(*config.Config) // the config the deal was sent with; nil: cfg
		edit     func(*shop.Order)
		price    *PriceChange
		renamed  bool
		fields   []FieldChange
		products ProductDiff
	}{
		{name: "nothing the deal shows changed", edit: func(o *shop.Order) { o.Status, o.Comment = 2, "проверить оплату" }},
		{
			name:   "the address: that field alone",
			edit:   func(o *shop.Order) { o.Address.City = "Тверь" },
			fields: []FieldChange{{ID: fieldCity, Name: "address.city", Value: "Тверь"}},
		},
		{
			name:   "a value emptied in the shop is cleared, skip_empty notwithstanding",
			edit:   func(o *shop.Order) { o.Address.City = "" },
			fields: []FieldChange{{ID: fieldCity, Name: "address.city", Cleared: true}},
		},
		{
			name:   "a value emptied with skip_empty off is cleared too",
			cfg:    func(c *config.Config) { c.Contacts.SkipEmpty = false },
			edit:   func(o *shop.Order) { o.Address.City = "" },
			fields: []FieldChange{{ID: fieldCity, Name: "address.city", Cleared: true}},
		},
		{
			name:    "a field no longer mapped is left alone",
			cfg:     func(c *config.Config) { c.Orders.AddressFields = []string{"phone"} },
			sentCfg: func(*config.Config) {},
			edit:    func(o *shop.Order) { o.Address.City = "" },
		},
		{
			name:  "the cost",
			edit:  func(o *shop.Order) { o.Cost = "1899.50" },
			price: &PriceChange{From: ptr(int64(1800)), To: 1900},
		},
		{
			name:    "the name follows its placeholders",
			cfg:     func(c *config.Config) { c.Orders.LeadName = "Заказ {num} на {cost}" },
			edit:    func(o *shop.Order) { o.Cost = "1899.50" },
			price:   &PriceChange{From: ptr(int64(1800)), To: 1900},
			renamed: true,
		},
		{
			name: "products: one removed, one added, one requantified",
			edit: func(o *shop.Order) {
				o.Cost, o.CartCost = "2100.00", "1800.00"
				o.Products = []shop.OrderProduct{
					{ProductID: 100, Name: "Футболка", Count: 3, Price: "600.00", Cost: "1800.00"},
					{ProductID: 300, Name: "Носки", Count: 1, Price: "300.00", Cost: "300.00"},
				}
			},
			price:  &PriceChange{From: ptr(int64(1800)), To: 2100},
			fields: []FieldChange{{ID: fieldGoods, Name: "Goods", Value: ""}},
			products: ProductDiff{
				Added:   []SentLine{{ProductID: 300, Name: "Носки", Count: 1, Cost: 30000}},
				Removed: []SentLine{{ProductID: 200, Name: "Кепка", Count: 1, Cost: 29950}},
				Changed: []LineChange{{From: SentLine{ProductID: 100, Name: "Футболка", Count: 2, Cost: 120000},
					To: SentLine{ProductID: 100, Name: "Футболка", Count: 3, Cost: 180000}}},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mapper := func(edit func(*config.Config)) *Mapper {
				cfg := testConfig()
				if edit != nil {
					edit(cfg)
				}
				return newTestMapper(t, cfg, testMeta())
			}
			m := mapper(tc.cfg)
			sentWith := tc.sentCfg
			if sentWith == nil {
				sentWith = tc.cfg
			}
			sent := sentFor(t, mapper(sentWith), editOrder())
			o := editOrder()
			tc.edit(o)
			fresh, err := m.Order(o)
			if err != nil {
				t.Fatal(err)
			}
			e := m.Edit(sent, fresh, o)
			if !reflect.DeepEqual(e.Price, tc.price) {
				t.Errorf("price: got %+v, want %+v", e.Price, tc.price)
			}
			if e.Renamed != tc.renamed {
				t.Errorf("renamed: got %v", e.Renamed)
			}
			if !reflect.DeepEqual(e.Fields, tc.fields) {
				t.Errorf("fields: got %+v, want %+v", e.Fields, tc.fields)
			}
			if !reflect.DeepEqual(e.Products, tc.products) {
				t.Errorf("products: got %+v, want %+v", e.Products, tc.products)
			}

			// The PATCH carries exactly the changes.
			var ids []int64
			for _, cf := range e.Lead.CustomFieldsValues {
				ids = append(ids, cf.FieldID)
				if cf.Values == nil != slices.ContainsFunc(tc.fields, func(f FieldChange) bool { return f.ID == cf.FieldID && f.Cleared }) {
					t.Errorf("field %d: values %v", cf.FieldID, cf.Values)
				}
			}
			var want []int64
			for _, f := range tc.fields {
				want = append(want, f.ID)
			}
			if !slices.Equal(ids, want) || (e.Lead.Price != nil) != (tc.price != nil) || (e.Lead.Name != "") != tc.renamed ||
				e.Lead.PipelineID != 0 || e.Lead.StatusID != 0 || e.Lead.ResponsibleUserID != 0 || e.Lead.Embedded != nil {
				t.Errorf("PATCH: got %+v", e.Lead)
			}
			if e.Empty() != (tc.price == nil && !tc.renamed && tc.fields == nil && tc.products.Empty()) {
				t.Errorf("Empty: got %v", e.Empty())
			}
			// Once written, the same order compares equal.
			if again := m.Edit(e.Sent, fresh, o); !again.Empty() {
				t.Errorf("the edit's Sent does not match the order it came from: %+v", again)
			}
		})
	}
}

func TestRequantified(t *testing.T) {
	socks := SentLine{ProductID: 3, Name: "Носки", Count: 1, Cost: 30000}
	hat := SentLine{ProductID: 4, Name: "Кепка", Count: 1, Cost: 29950}
	d := diffLines([]SentLine{socks, hat}, []SentLine{{ProductID: 3, Name: "Носки", Count: 3, Cost: 90000}, {ProductID: 4, Name: "Кепка", Count: 1, Cost: 25000}})
	if got, want := d.Requantified(), []SentLine{{ProductID: 3, Name: "Носки", Count: 3, Cost: 90000}}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v: a price change alone keeps its link's quantity", got, want)
	}
}

func TestEditSendsAFieldTheDealNeverGot(t *testing.T) {
	meta := testMeta()
	before := testMeta()
	before.LeadFields = slices.DeleteFunc(before.LeadFields, func(f crm.CustomField) bool { return f.ID == fieldCity })
	o := editOrder()
	sent := sentFor(t, newTestMapper(t, testConfig(), before), o)
	m := newTestMapper(t, testConfig(), meta)
	fresh, err := m.Order(o)
	if err != nil {
		t.Fatal(err)
	}
	e := m.Edit(sent, fresh, o)
	if want := []FieldChange{{ID: fieldCity, Name: "address.city", Value: "Москва"}}; !reflect.DeepEqual(e.Fields, want) {
		t.Errorf("fields: got %+v, want %+v (the field was made after the deal)", e.Fields, want)
	}
}

func TestEditNote(t *testing.T) {
	m := newTestMapper(t, testConfig(), testMeta())
	e := Edit{
		Price:   &PriceChange{From: ptr(int64(12990)), To: 14480},
		Renamed: true,
		Lead:    crm.Lead{Name: "Заказ 2401/42"},
		Fields: []FieldChange{
			{ID: fieldCity, Name: "address.city", Value: "Тверь"},
			{ID: 905, Name: "Источник", Cleared: true},
			{ID: fieldGoods, Name: "Goods"},
		},
		Products: ProductDiff{
			Added:   []SentLine{{Name: "Носки", Count: 3, Cost: 89700}},
			Removed: []SentLine{{Name: "Кепка", Count: 1, Cost: 29950}},
			Changed: []LineChange{
				{From: SentLine{Name: "Футболка", Count: 2, Cost: 120000}, To: SentLine{Name: "Футболка", Count: 3, Cost: 180000}},
				{From: SentLine{Name: "Куртка", Count: 1, Cost: 1299000}, To: SentLine{Name: "Куртка", Count: 1, Cost: 1199050}},
			},
		},
	}
	want := "Изменено в магазине:\n" +
		"— сумма: 12\u00a0990 → 14\u00a0480 руб.\n" +
		"— название: «Заказ 2401/42»\n" +
		"— добавлен товар «Носки», 3 шт.\n" +
		"— удалён товар «Кепка», 1 шт.\n" +
		"— «Футболка»: 2 → 3 шт., стоимость 1\u00a0200 → 1\u00a0800 руб.\n" +
		"— «Куртка»: стоимость 12\u00a0990 → 11\u00a0990,50 руб.\n" +
		"— address.city: Тверь\n" +
		"— Источник: очищено\n" +
		"— Goods: изменено"
	if got := m.EditNote(e); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if got := m.EditNote(Edit{}); got != "" {
		t.Errorf("an empty edit's note: %q", got)
	}
	var many Edit
	for range 40 {
		many.Fields = append(many.Fields, FieldChange{Name: "f", Value: "v"})
	}
	if got := m.EditNote(many); !strings.HasSuffix(got, "\n— … и ещё 11") || strings.Count(got, "\n") != noteLines {
		t.Errorf("40 changes: got %q", got)
	}
}

func TestDeletedNote(t *testing.T) {
	for _, tc := range []struct {
		num    string
		closed bool
		want   string
	}{
		{"2401/42", false, "Заказ 2401/42 удалён в магазине."},
		{"2401/42", true, "Заказ 2401/42 удалён в магазине. Сделка закрыта как нереализованная."},
		{"", false, "Заказ удалён в магазине."},
	} {
		if got := DeletedNote(Sent{Num: tc.num}, tc.closed); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
}

func TestLoseDeal(t *testing.T) {
	open := crm.Lead{ID: 5, PipelineID: plMain, StatusID: plMain + 3}
	if got, ok := LoseDeal(open); !ok || !reflect.DeepEqual(got, crm.Lead{ID: 5, PipelineID: plMain, StatusID: crm.StatusLost}) {
		t.Errorf("an open deal: got %+v, %v", got, ok)
	}
	for _, status := range []int64{crm.StatusWon, crm.StatusLost} {
		if _, ok := LoseDeal(crm.Lead{ID: 5, PipelineID: plMain, StatusID: status}); ok {
			t.Errorf("a deal closed at %d is moved", status)
		}
	}
}

func TestMoneyText(t *testing.T) {
	for kop, want := range map[int64]string{
		0: "0", 5: "0,05", 99900: "999", 100000: "1\u00a0000", 1299000: "12\u00a0990", 149950: "1\u00a0499,50",
		123456789012: "1\u00a0234\u00a0567\u00a0890,12", -150000: "-1\u00a0500",
	} {
		if got := moneyText(kop); got != want {
			t.Errorf("%d: got %q, want %q", kop, got, want)
		}
	}
}

func ptr[T any](v T) *T { return &v }
