package transform

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/config"
	"github.com/modx-amocrm/modx-amocrm/internal/crm"
	"github.com/modx-amocrm/modx-amocrm/internal/shop"
)

const (
	fieldUTMSource, fieldUTMCampaign, fieldYMUID, fieldFrom = 951, 952, 953, 954
	fieldSKU, fieldPrice, fieldExternal                     = 961, 962, 963
	productsCatalog                                         = 7001
)

// trackingMeta is testMeta with tracking fields, as a real account has them
// (no UTM_MEDIUM here, to see a missing one noted).
func trackingMeta() Meta {
	m := testMeta()
	m.LeadFields = append(m.LeadFields,
		crm.CustomField{ID: fieldUTMSource, Name: "utm_source", Code: "UTM_SOURCE", Type: "tracking_data"},
		crm.CustomField{ID: fieldUTMCampaign, Name: "utm_campaign", Code: "UTM_CAMPAIGN", Type: "tracking_data"},
		crm.CustomField{ID: fieldYMUID, Name: "_ym_uid", Code: "_YM_UID", Type: "tracking_data"},
		crm.CustomField{ID: fieldFrom, Name: "from", Code: "FROM", Type: "tracking_data"},
	)
	return m
}

// values renders a lead's custom field values by field id.
func values(l crm.Lead) map[int64]any {
	out := map[int64]any{}
	for _, f := range l.CustomFieldsValues {
		if len(f.Values) > 0 {
			out[f.FieldID] = f.Values[0].Value
		}
	}
	return out
}

func TestOrderTracking(t *testing.T) {
	tests := []struct {
		name, props string
		cfg         func(*config.Config)
		want        map[int64]any
		note        string
	}{
		{name: "top level, any case", props: `{"UTM_Source":"yandex","utm_campaign":"zima","_ym_uid":1699999999123456789}`,
			want: map[int64]any{fieldUTMSource: "yandex", fieldUTMCampaign: "zima", fieldYMUID: "1699999999123456789"}},
		{name: "properties element wins over the top level", props: `{"utm_source":"google","amoCRMFields":{"utm_source":"yandex"}}`,
			want: map[int64]any{fieldUTMSource: "yandex"}},
		{name: "tracking element", props: `{"utm":{"utm_source":"vk","partner":"p-7"}}`,
			cfg: func(c *config.Config) {
				c.Orders.TrackingElement = "utm"
				c.Orders.Tracking = map[string]string{"Partner": "from"}
			},
			want: map[int64]any{fieldUTMSource: "vk", fieldFrom: "p-7"}},
		{name: "field ids, the old plugin's shape", props: fmt.Sprintf(`{"amoCRMFields":{"%d":"yandex"}}`, fieldUTMSource),
			want: map[int64]any{fieldUTMSource: "yandex"}},
		{name: "a field the account lacks", props: `{"utm_medium":"cpc"}`, want: map[int64]any{},
			note: "tracking utm_medium: the account has no tracking field UTM_MEDIUM, not sent"},
		{name: "empty values are not sent", props: `{"utm_source":"","utm_campaign":null}`, want: map[int64]any{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig()
			if tt.cfg != nil {
				tt.cfg(cfg)
			}
			m := newTestMapper(t, cfg, trackingMeta())
			o := testOrder()
			o.Properties = json.RawMessage(tt.props)
			d, err := m.Order(o)
			if err != nil {
				t.Fatal(err)
			}
			got := values(d.Lead)
			for _, id := range []int64{fieldWeight, fieldGoods, fieldOrderKey, fieldCity} {
				delete(got, id)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("tracking values = %v, want %v", got, tt.want)
			}
			if tt.note != "" && !slices.Contains(d.Notes, tt.note) {
				t.Errorf("notes %q lack %q", d.Notes, tt.note)
			}
		})
	}
	cfg := testConfig()
	cfg.Orders.Tracking = map[string]string{"partner": "PARTNER_ID"}
	if _, err := NewMapper(cfg, trackingMeta()); err == nil || !strings.Contains(err.Error(), `orders.tracking."partner": the account has no lead field with code PARTNER_ID`) {
		t.Errorf("a configured code the account lacks: %v", err)
	}
}

func TestOrderTagsAndName(t *testing.T) {
	cfg := testConfig()
	cfg.Orders.LeadName = "{site_name}: {num} {receiver} на {cost} ₽ ({delivery}, {payment})"
	cfg.Orders.Tags = []string{"сайт", "VIP"}
	cfg.Orders.Category = []config.CategoryRule{{ID: 5, PipelineID: ref(plWholesale), Tags: []string{"опт", "сайт"}}}
	meta := testMeta()
	meta.SiteName = "Магазин"
	m := newTestMapper(t, cfg, meta)
	o := testOrder()
	o.Properties = json.RawMessage(`{"amoCRMFields":{"tags":"vip, подарок"}}`)
	d, err := m.Order(o)
	if err != nil {
		t.Fatal(err)
	}
	if want := "Магазин: 2401/42 Иван Петров на 1499.50 ₽ (Курьер, Наличными)"; d.Lead.Name != want {
		t.Errorf("name = %q, want %q", d.Lead.Name, want)
	}
	var tags []string
	for _, tg := range d.Lead.Embedded.Tags {
		tags = append(tags, tg.Name)
	}
	if want := []string{"сайт", "VIP", "опт", "подарок"}; !slices.Equal(tags, want) {
		t.Errorf("tags = %q, want %q: orders, the rule's, the order's, each once", tags, want)
	}
}

func TestTaskDue(t *testing.T) {
	moscow, err := time.LoadLocation("Europe/Moscow")
	if err != nil {
		t.Fatal(err)
	}
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	at := func(loc *time.Location, s string) time.Time {
		v, err := time.ParseInLocation(time.DateTime, s, loc)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		due  string
		made time.Time
		zone *time.Location
		want time.Time
	}{
		{"2h", at(moscow, "2024-01-15 10:30:00"), moscow, at(moscow, "2024-01-15 12:30:00")},
		{"18:00", at(moscow, "2024-01-15 10:30:00"), moscow, at(moscow, "2024-01-15 18:00:00")},
		{"18:00", at(moscow, "2024-01-15 18:00:00"), moscow, at(moscow, "2024-01-16 18:00:00")},
		{"09:00", at(time.UTC, "2024-01-15 05:30:00"), moscow, at(moscow, "2024-01-15 09:00:00")}, // 08:30 in Moscow
		{"09:00", at(time.UTC, "2024-01-15 06:30:00"), moscow, at(moscow, "2024-01-16 09:00:00")}, // 09:30 in Moscow
		{"02:30", at(berlin, "2024-03-30 12:00:00"), berlin, at(berlin, "2024-03-31 03:30:00")},   // 02:30 does not exist that night
		{"10:00", at(berlin, "2024-03-30 12:00:00"), berlin, at(berlin, "2024-03-31 10:00:00")},   // a 23-hour day
	}
	for _, tt := range tests {
		due, err := config.ParseDue(tt.due)
		if err != nil {
			t.Fatal(err)
		}
		if got := TaskDue(due, tt.made, tt.zone); !got.Equal(tt.want) {
			t.Errorf("TaskDue(%s, %v) = %v, want %v", tt.due, tt.made, got, tt.want)
		}
	}
}

func TestOrderTask(t *testing.T) {
	moscow, err := time.LoadLocation("Europe/Moscow")
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig()
	cfg.Orders.Category = []config.CategoryRule{{ID: 5, PipelineID: ref(plWholesale), ResponsibleUserID: ref(userAnna)}}
	cfg.Orders.Task = config.Task{Enabled: true, Text: "Перезвонить {receiver}: заказ {num} на {cost}", Due: "18:00", Type: named("Письмо")}
	meta := testMeta()
	meta.Zone = moscow
	meta.TaskTypes = []crm.TaskType{{ID: 1, Name: "Связаться", Code: "FOLLOW_UP"}, {ID: 2, Name: "Встреча"}, {ID: 1520001, Name: "письмо"}}
	m := newTestMapper(t, cfg, meta)
	o := testOrder() // 10:30 UTC, 13:30 in Moscow
	d, err := m.Order(o)
	if err != nil {
		t.Fatal(err)
	}
	want := crm.Task{Text: "Перезвонить Иван Петров: заказ 2401/42 на 1499.50", TaskTypeID: 1520001, ResponsibleUserID: userAnna,
		EntityType: "leads", CompleteTill: time.Date(2024, 1, 15, 18, 0, 0, 0, moscow).Unix()}
	if d.Task == nil || *d.Task != want {
		t.Errorf("task = %+v, want %+v", d.Task, want)
	}
	o.CreatedOn = time.Time{}
	if d, _ := m.Order(o); d.Task.CompleteTill != 0 || m.OrderTaskDue(time.Date(2024, 1, 15, 16, 0, 0, 0, moscow)) != time.Date(2024, 1, 15, 18, 0, 0, 0, moscow).Unix() {
		t.Errorf("an order without a date: task %+v, want its due left to OrderTaskDue", d.Task)
	}
	cfg.Orders.Task.Type = named("Отчёт")
	if _, err := NewMapper(cfg, meta); err == nil || !strings.Contains(err.Error(), `orders.task.type: no task type named "Отчёт" in the account; there are "Связаться", "Встреча", "письмо"`) {
		t.Errorf("unknown task type: %v", err)
	}
	cfg.Orders.Task.Type = config.IDRef{Name: "meeting"}
	if m, err := NewMapper(cfg, Meta{Pipelines: meta.Pipelines, Users: meta.Users}); err != nil || m.orderTask.typeID != crm.TaskTypeMeeting {
		t.Errorf("meeting without the account's types: %v", err)
	}
}

// productsMeta is testMeta with the products list and its preset fields.
func productsMeta() Meta {
	m := testMeta()
	m.Products = &ProductsList{Catalog: crm.Catalog{ID: productsCatalog, Name: "Товары", Type: crm.CatalogProducts},
		Fields: []crm.CustomField{{ID: fieldSKU, Code: "SKU", Type: "text"}, {ID: fieldPrice, Code: "PRICE", Type: "price"},
			{ID: fieldExternal, Code: "EXTERNAL_ID", Type: "text"}}}
	return m
}

func TestOrderProducts(t *testing.T) {
	cfg := testConfig()
	cfg.Orders.Products.Enabled = true
	m := newTestMapper(t, cfg, productsMeta())
	o := testOrder()
	o.Products = []shop.OrderProduct{
		{ProductID: 100, Name: "Футболка", Title: "Футболка хлопок", Article: "T-1", Count: 2, Price: "550.00", ListPrice: "600.00"},
		{ProductID: 200, Name: "Кружка", Article: "", Count: 1, Price: "300.00"},
		{ProductID: 100, Name: "Футболка", Title: "Футболка хлопок", Article: "T-1", Count: 1, Price: "550.00", ListPrice: "600.00"},
		{ProductID: 0, Name: "Доставка", Count: 1, Price: "299.50"},
	}
	d, err := m.Order(o)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Products) != 2 || d.Products[0].Quantity != 3 || d.Products[1].Quantity != 1 || d.Products[0].SKU != "T-1" {
		t.Fatalf("products = %+v, want two, quantities summed", d.Products)
	}
	el, _ := json.Marshal(d.Products[0].Element)
	if want := `{"name":"Футболка хлопок","custom_fields_values":[{"field_id":961,"values":[{"value":"T-1"}]},{"field_id":962,"values":[{"value":"600"}]},{"field_id":963,"values":[{"value":"100"}]}]}`; string(el) != want {
		t.Errorf("element = %s, want %s: the product as the shop has it now", el, want)
	}
	if el, _ := json.Marshal(d.Products[1].Element); !strings.Contains(string(el), `"name":"Кружка"`) || !strings.Contains(string(el), `"value":"300"`) || strings.Contains(string(el), "961") {
		t.Errorf("element of a product without title, list price or article = %s", el)
	}
	if !slices.ContainsFunc(d.Notes, func(n string) bool { return strings.Contains(n, `products[3] "Доставка" has no product id`) }) {
		t.Errorf("notes %q: want the line without a product named", d.Notes)
	}
	before := d.Products[0].Hash
	o.Products[0].ListPrice = "650.00"
	d, _ = m.Order(o)
	if d.Products[0].Hash == before {
		t.Error("a repriced product kept its hash: its element would not be updated")
	}
	if _, err := NewMapper(cfg, testMeta()); err == nil || !strings.Contains(err.Error(), "orders.products") {
		t.Errorf("products on without the list: %v", err)
	}
}

func TestElementIndexAndLinks(t *testing.T) {
	el := func(id int64, sku, external string, deleted bool) crm.CatalogElement {
		e := crm.CatalogElement{ID: id, IsDeleted: deleted}
		for code, v := range map[string]string{"SKU": sku, "EXTERNAL_ID": external} {
			if v != "" {
				e.CustomFieldsValues = append(e.CustomFieldsValues, crm.CustomFieldValues{FieldCode: code, Values: []crm.FieldValue{{Value: v}}})
			}
		}
		return e
	}
	x := NewElementIndex([]crm.CatalogElement{
		el(1, "A-1", "100", false), el(2, "B-1", "", false), el(3, "C-1", "", false), el(4, "C-1", "", false),
		el(5, "D-1", "300", true), el(6, "E-1", "", false),
	})
	tests := []struct {
		line ProductLine
		want int64
	}{
		{ProductLine{ProductID: 100, SKU: "zzz"}, 1}, // by EXTERNAL_ID
		{ProductLine{ProductID: 200, SKU: "B-1"}, 2}, // adopted by its one SKU
		{ProductLine{ProductID: 201, SKU: "C-1"}, 0}, // two elements share the SKU
		{ProductLine{ProductID: 300, SKU: "D-1"}, 0}, // deleted
		{ProductLine{ProductID: 400, SKU: "A-1"}, 0}, // that SKU belongs to another product
		{ProductLine{ProductID: 500, SKU: ""}, 0},    // nothing to go by
		{ProductLine{ProductID: 600, SKU: "E-1"}, 6},
	}
	for _, tt := range tests {
		if got, _ := x.Find(tt.line); got != tt.want {
			t.Errorf("Find(%d, %q) = %d, want %d", tt.line.ProductID, tt.line.SKU, got, tt.want)
		}
	}
	lines := []ProductLine{{ProductID: 100, Quantity: 3}, {ProductID: 200, Quantity: 1}, {ProductID: 300, Quantity: 2}}
	links, missing := ProductLinks(30000001, productsCatalog, lines, map[int64]int64{100: 1, 200: 2})
	if len(links) != 2 || links[0].EntityID != 30000001 || links[0].Metadata.Quantity != 3 || links[1].ToEntityID != 2 ||
		links[1].Metadata.CatalogID != productsCatalog || !slices.Equal(missing, []int64{300}) {
		t.Errorf("ProductLinks = %+v, missing %v", links, missing)
	}
	if left := Unlinked(links, []crm.ElementLink{{ID: 1}}); len(left) != 1 || left[0].ToEntityID != 2 {
		t.Errorf("Unlinked = %+v, want the second link only", left)
	}
}

func TestFindCatalog(t *testing.T) {
	cats := []crm.Catalog{{ID: 5, Name: "Услуги", Type: crm.CatalogRegular}, {ID: 7, Name: "Товары", Type: crm.CatalogProducts}}
	tests := []struct {
		ref  config.IDRef
		want int64
		err  string
	}{
		{config.IDRef{}, 7, ""},
		{named("услуги"), 5, ""},
		{ref(5), 5, ""},
		{named("Склад"), 0, `orders.products.catalog: no list named "Склад" in the account; there are "Услуги", "Товары"`},
	}
	for _, tt := range tests {
		got, err := FindCatalog(tt.ref, cats)
		if got.ID != tt.want || (err == nil) != (tt.err == "") || err != nil && err.Error() != tt.err {
			t.Errorf("FindCatalog(%v) = %d, %v; want %d, %q", tt.ref, got.ID, err, tt.want, tt.err)
		}
	}
	if _, err := FindCatalog(config.IDRef{}, cats[:1]); !errors.Is(err, ErrNoProductsList) {
		t.Errorf("no products list: %v", err)
	}
}

func TestFormTrackingTagsTask(t *testing.T) {
	cfg := testConfig()
	cfg.Forms = config.Forms{Enabled: true, AsLead: true, Tags: []string{"заявка"},
		Task: config.Task{Enabled: true, Text: "Перезвонить {name} ({phone}) по форме «{form}» №{id}", Due: "30m", Type: named("call")},
		Form: map[string]config.FormSettings{"Обратный звонок": {Tags: []string{"звонок"}}}}
	m := newTestMapper(t, cfg, trackingMeta())
	f := &shop.Form{ID: 45, Name: "Обратный звонок", Date: time.Unix(1700000000, 0)}
	res, err := m.Form(f, map[string]string{"name": "Олег", "phone": "+79990000000", "UTM_SOURCE": "yandex", "utm_medium": "cpc"})
	if err != nil {
		t.Fatal(err)
	}
	if got := values(*res.Lead); fmt.Sprint(got) != fmt.Sprint(map[int64]any{fieldUTMSource: "yandex"}) {
		t.Errorf("form deal's tracking = %v", got)
	}
	if !slices.Contains(res.Notes, "tracking utm_medium: the account has no tracking field UTM_MEDIUM, not sent") {
		t.Errorf("notes = %q", res.Notes)
	}
	if tags := res.Lead.Embedded.Tags; len(tags) != 2 || tags[0].Name != "заявка" || tags[1].Name != "звонок" {
		t.Errorf("tags = %+v", tags)
	}
	want := crm.Task{Text: "Перезвонить Олег (+79990000000) по форме «Обратный звонок» №45", TaskTypeID: 1, EntityType: "leads",
		CompleteTill: 1700000000 + 1800}
	if res.Task == nil || *res.Task != want {
		t.Errorf("task = %+v, want %+v", res.Task, want)
	}
	cfg.Forms.Unsorted = true
	m = newTestMapper(t, cfg, trackingMeta())
	res, err = m.Form(f, map[string]string{"phone": "+79990000000", "utm_source": "vk"})
	if err != nil {
		t.Fatal(err)
	}
	if l := res.Unsorted.Embedded.Leads[0]; len(l.CustomFieldsValues) != 1 || len(l.Embedded.Tags) != 2 {
		t.Errorf("incoming lead = %+v, want its tracking value and tags", l)
	}
}
