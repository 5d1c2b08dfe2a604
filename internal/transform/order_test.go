package transform

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/config"
	"github.com/modx-amocrm/modx-amocrm/internal/crm"
	"github.com/modx-amocrm/modx-amocrm/internal/shop"
)

func TestOrder_placement(t *testing.T) {
	product := func(cats []int64, additional ...[]int64) shop.OrderProduct {
		return shop.OrderProduct{Name: "p", Count: 1, Price: "1", Cost: "1", Categories: cats, AdditionalCategories: additional}
	}
	wholesale := config.CategoryRule{ID: 5, PipelineID: named("Опт"), StatusID: named("новый"), ResponsibleUserID: named("Анна")}
	tests := []struct {
		name      string
		cfg       func(*config.Config)
		meta      func(*Meta)
		order     func(*shop.Order)
		pipeline  int64
		status    int64
		responder int64
	}{
		{
			name:     "defaults: main pipeline, first open status",
			pipeline: plMain, status: plMain + 2,
		},
		{
			name: "defaults by name",
			cfg: func(c *config.Config) {
				c.Orders.PipelineID, c.Orders.StatusID = named("опт"), named("Оплачен")
				c.AmoCRM.DefaultResponsibleUserID = named("boris@crm.ru")
			},
			pipeline: plWholesale, status: plWholesale + 3, responder: userBoris,
		},
		{
			name:     "site pipeline maps miniShop2 statuses by name",
			meta:     func(m *Meta) { m.SitePipelineID = plSite },
			order:    func(o *shop.Order) { o.Status = 2 },
			pipeline: plSite, status: plSite + 3,
		},
		{
			name:     "site pipeline: unmapped status takes the first open one",
			meta:     func(m *Meta) { m.SitePipelineID = plSite },
			order:    func(o *shop.Order) { o.Status = 4 },
			pipeline: plSite, status: plSite + 2,
		},
		{
			name:     "category rule on the product's parent",
			cfg:      func(c *config.Config) { c.Orders.Category = []config.CategoryRule{wholesale} },
			pipeline: plWholesale, status: plWholesale + 2, responder: userAnna,
		},
		{
			name: "category rule on an ancestor (nested categories)",
			cfg: func(c *config.Config) {
				c.Orders.Category = []config.CategoryRule{{ID: 1, PipelineID: ref(plWholesale), StatusID: ref(plWholesale + 4)}}
			},
			pipeline: plWholesale, status: plWholesale + 4,
		},
		{
			name: "first product with a match decides, not the first rule",
			cfg: func(c *config.Config) {
				c.Orders.Category = []config.CategoryRule{
					{ID: 9, PipelineID: ref(plWholesale)},
					{ID: 5, PipelineID: ref(plMain), StatusID: named("Отправлен")},
				}
			},
			order: func(o *shop.Order) {
				o.Products = []shop.OrderProduct{product([]int64{8}), product([]int64{5, 1}), product([]int64{9, 1})}
			},
			pipeline: plMain, status: plMain + 4,
		},
		{
			name: "within a product the first rule in config order wins",
			cfg: func(c *config.Config) {
				c.Orders.Category = []config.CategoryRule{
					{ID: 1, PipelineID: ref(plSite)},
					{ID: 5, PipelineID: ref(plWholesale)},
				}
			},
			pipeline: plSite, status: plSite + 2,
		},
		{
			name: "additional categories off: no match",
			cfg: func(c *config.Config) {
				c.Orders.Category = []config.CategoryRule{{ID: 3, PipelineID: ref(plWholesale)}}
			},
			order: func(o *shop.Order) {
				o.Products = []shop.OrderProduct{product([]int64{8}, []int64{5, 3})}
			},
			pipeline: plMain, status: plMain + 2,
		},
		{
			name: "additional categories on: an ancestor of one matches",
			cfg: func(c *config.Config) {
				c.Orders.MatchAdditionalCategories = true
				c.Orders.Category = []config.CategoryRule{{ID: 3, PipelineID: ref(plWholesale)}}
			},
			order: func(o *shop.Order) {
				o.Products = []shop.OrderProduct{product([]int64{8}, []int64{5, 3})}
			},
			pipeline: plWholesale, status: plWholesale + 2,
		},
		{
			name: "properties when no rule matches",
			order: func(o *shop.Order) {
				o.Properties = json.RawMessage(`{"amoCRMFields":{"pipeline_id":"20","status_id":"Оплачен","responsible_user_id":"Борис"}}`)
			},
			pipeline: plWholesale, status: plWholesale + 3, responder: userBoris,
		},
		{
			name: "properties status alone, in the default pipeline",
			order: func(o *shop.Order) {
				o.Properties = json.RawMessage(`{"amoCRMFields":{"status_id":13}}`)
			},
			pipeline: plMain, status: plMain + 3,
		},
		{
			name: "category beats properties; category responsible with priority category",
			cfg:  func(c *config.Config) { c.Orders.Category = []config.CategoryRule{wholesale} },
			order: func(o *shop.Order) {
				o.Properties = json.RawMessage(`{"amoCRMFields":{"pipeline_id":10,"responsible_user_id":502}}`)
			},
			pipeline: plWholesale, status: plWholesale + 2, responder: userAnna,
		},
		{
			name: "priority order: the properties' responsible wins",
			cfg: func(c *config.Config) {
				c.Orders.ResponsiblePriority = "order"
				c.Orders.Category = []config.CategoryRule{wholesale}
			},
			order: func(o *shop.Order) {
				o.Properties = json.RawMessage(`{"amoCRMFields":{"responsible_user_id":502}}`)
			},
			pipeline: plWholesale, status: plWholesale + 2, responder: userBoris,
		},
		{
			name: "priority order: the rule's responsible is not used",
			cfg: func(c *config.Config) {
				c.Orders.ResponsiblePriority = "order"
				c.Orders.Category = []config.CategoryRule{{ID: 5, ResponsibleUserID: ref(userAnna)}}
				c.AmoCRM.DefaultResponsibleUserID = ref(userBoris)
			},
			pipeline: plMain, status: plMain + 2, responder: userBoris,
		},
		{
			name: "status_map by id: an order first seen closed",
			cfg: func(c *config.Config) {
				c.Orders.Category = []config.CategoryRule{wholesale}
				c.Orders.StatusMap = map[string]config.IDRef{"3": ref(142)}
			},
			order:    func(o *shop.Order) { o.Status = 3 },
			pipeline: plWholesale, status: 142, responder: userAnna,
		},
		{
			name: "status_map by name, resolved in the deal's pipeline",
			cfg: func(c *config.Config) {
				c.Orders.Category = []config.CategoryRule{wholesale}
				c.Orders.StatusMap = map[string]config.IDRef{"2": named("Оплачен")}
			},
			order:    func(o *shop.Order) { o.Status = 2 },
			pipeline: plWholesale, status: plWholesale + 3, responder: userAnna,
		},
		{
			name:     "status_map overrides the default status",
			cfg:      func(c *config.Config) { c.Orders.StatusMap = map[string]config.IDRef{"2": named("Оплачен")} },
			order:    func(o *shop.Order) { o.Status = 2 },
			pipeline: plMain, status: plMain + 3,
		},
		{
			name: "unmapped miniShop2 status keeps the category's status",
			cfg: func(c *config.Config) {
				c.Orders.Category = []config.CategoryRule{wholesale}
				c.Orders.StatusMap = map[string]config.IDRef{"2": named("Оплачен")}
			},
			pipeline: plWholesale, status: plWholesale + 2, responder: userAnna,
		},
		{
			name: "a rule with a status only stays in the default pipeline",
			cfg: func(c *config.Config) {
				c.Orders.Category = []config.CategoryRule{{ID: 5, StatusID: named("Отправлен")}}
			},
			pipeline: plMain, status: plMain + 4,
		},
		{
			name: "the default status does not leak into the rule's pipeline",
			cfg: func(c *config.Config) {
				c.Orders.StatusID = named("Оплачен")
				c.Orders.Category = []config.CategoryRule{{ID: 5, PipelineID: ref(plWholesale)}}
			},
			pipeline: plWholesale, status: plWholesale + 2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, meta, o := testConfig(), testMeta(), testOrder()
			call(tt.cfg, cfg)
			call(tt.meta, &meta)
			call(tt.order, o)
			d, err := newTestMapper(t, cfg, meta).Order(o)
			if err != nil {
				t.Fatalf("Order: %v", err)
			}
			l := d.Lead
			if l.PipelineID != tt.pipeline || l.StatusID != tt.status || l.ResponsibleUserID != tt.responder {
				t.Errorf("got pipeline %d status %d responsible %d, want %d %d %d",
					l.PipelineID, l.StatusID, l.ResponsibleUserID, tt.pipeline, tt.status, tt.responder)
			}
		})
	}
}

func call[T any](f func(T), v T) {
	if f != nil {
		f(v)
	}
}

func TestOrder_deal(t *testing.T) {
	o := testOrder()
	o.Properties = json.RawMessage(`{"amoCRMFields":{"tags":"опт, vip","Источник":"Сайт","date_create":1,"nope":"x"}}`)
	d, err := newTestMapper(t, testConfig(), testMeta()).Order(o)
	if err != nil {
		t.Fatalf("Order: %v", err)
	}
	if got, want := d.Lead.Name, "Заказ с сайта 2401/42"; got != want {
		t.Errorf("name = %q, want %q", got, want)
	}
	if d.Lead.Price == nil || *d.Lead.Price != 1500 {
		t.Errorf("price = %v, want 1500", d.Lead.Price)
	}
	if got, want := d.Lead.CreatedAt, o.CreatedOn.Unix(); got != want {
		t.Errorf("created_at = %d, want %d", got, want)
	}
	got := map[int64]any{}
	for _, cf := range d.Lead.CustomFieldsValues {
		if len(cf.Values) != 1 {
			t.Fatalf("field %d: %d values, want 1", cf.FieldID, len(cf.Values))
		}
		v := cf.Values[0].Value
		if cf.Values[0].EnumID != 0 {
			v = cf.Values[0].EnumID
		}
		got[cf.FieldID] = v
	}
	want := map[int64]any{
		fieldOrderKey: "42",
		fieldWeight:   "1.250",
		fieldGoods:    "1. (T-1) Футболка 600 руб. × 2 шт. = 1200 руб. (Красный; XL)",
		fieldCity:     "Москва",
		905:           int64(61),
	}
	for id, w := range want {
		if got[id] != w {
			t.Errorf("field %d = %#v, want %#v", id, got[id], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("fields %v, want exactly %v", got, want)
	}
	var names []string
	for _, f := range d.MissingFields {
		names = append(names, f.Name+":"+f.Type)
	}
	if got, want := strings.Join(names, ","), "delivery_cost:text,address.phone:text"; got != want {
		t.Errorf("missing fields %s, want %s", got, want)
	}
	if d.Lead.Embedded == nil || len(d.Lead.Embedded.Tags) != 2 || d.Lead.Embedded.Tags[1].Name != "vip" {
		t.Errorf("tags = %+v, want опт, vip", d.Lead.Embedded)
	}
	notes := strings.Join(d.Notes, "\n")
	for _, want := range []string{"date_create is ignored", "nope: no such lead field"} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes %q lack %q", notes, want)
		}
	}
}

func TestOrder_fieldsWithoutAutoCreate(t *testing.T) {
	cfg, meta := testConfig(), testMeta()
	cfg.Orders.AutoCreateFields = false
	meta.LeadFields = nil
	d, err := newTestMapper(t, cfg, meta).Order(testOrder())
	if err != nil {
		t.Fatalf("Order: %v", err)
	}
	// The order-number field is needed for exactly-once whatever the setting.
	if len(d.MissingFields) != 1 || d.MissingFields[0].Code != OrderFieldCode || !d.MissingFields[0].Required {
		t.Errorf("missing = %+v, want only the required order field", d.MissingFields)
	}
	if len(d.Lead.CustomFieldsValues) != 0 {
		t.Errorf("values sent for missing fields: %+v", d.Lead.CustomFieldsValues)
	}
	if !strings.Contains(strings.Join(d.Notes, "\n"), `"goods" is not in the account`) {
		t.Errorf("notes %q do not say goods was skipped", d.Notes)
	}
}

func TestOrder_skipEmpty(t *testing.T) {
	for _, skip := range []bool{true, false} {
		cfg := testConfig()
		cfg.Contacts.SkipEmpty = skip
		o := testOrder()
		o.Weight = ""
		d, err := newTestMapper(t, cfg, testMeta()).Order(o)
		if err != nil {
			t.Fatalf("Order: %v", err)
		}
		found := false
		for _, cf := range d.Lead.CustomFieldsValues {
			if cf.FieldID == fieldWeight {
				found = true
				if cf.Values != nil {
					t.Errorf("skip_empty=%v: weight values %+v, want null (clear)", skip, cf.Values)
				}
			}
		}
		if found == skip {
			t.Errorf("skip_empty=%v: empty weight sent=%v", skip, found)
		}
	}
	// "0" is a value, not empty (unlike PHP's empty()).
	o := testOrder()
	o.Weight = "0.000"
	d, _ := newTestMapper(t, testConfig(), testMeta()).Order(o)
	if v := fieldText(d.Lead.CustomFieldsValues, fieldWeight); v != "0" {
		t.Errorf("weight 0: got %q, want \"0\"", v)
	}
}

func fieldText(cfv []crm.CustomFieldValues, id int64) string {
	for _, cf := range cfv {
		if cf.FieldID == id && len(cf.Values) > 0 {
			s, _ := cf.Values[0].Value.(string)
			return s
		}
	}
	return ""
}

func TestOrder_badInput(t *testing.T) {
	tests := []struct {
		name    string
		order   func(*shop.Order)
		field   string
		message string
	}{
		{"broken properties", func(o *shop.Order) { o.Properties = json.RawMessage(`{"amoCRMFields":{"a":1,}}`) },
			"properties", "invalid JSON at offset 24"},
		{"unknown pipeline in properties", func(o *shop.Order) {
			o.Properties = json.RawMessage(`{"amoCRMFields":{"pipeline_id":"Розница"}}`)
		},
			"properties.amoCRMFields.pipeline_id", `no pipeline named "Розница"`},
		{"status outside the properties' pipeline", func(o *shop.Order) {
			o.Properties = json.RawMessage(`{"amoCRMFields":{"pipeline_id":20,"status_id":13}}`)
		}, "properties.amoCRMFields.status_id", `no status 13 in pipeline "Опт"`},
		{"unsorted status in properties", func(o *shop.Order) { o.Properties = json.RawMessage(`{"amoCRMFields":{"status_id":11}}`) },
			"properties.amoCRMFields.status_id", "unsorted column"},
		{"cost is not a number", func(o *shop.Order) { o.Cost = "1 500,00" }, "cost", "not a decimal"},
		// amoCRM refuses a negative price: parked before anything is sent.
		{"negative cost", func(o *shop.Order) { o.Cost = "-0.50" }, "cost", "cannot be negative"},
		{"no phone and no usable e-mail", func(o *shop.Order) {
			o.Address = &shop.Address{Receiver: "Гость", Email: "guest123@emails.shop.ru"}
			o.Customer = &shop.Customer{ID: 7, Email: "guest123@shop.ru"}
		}, "contact", `no phone and no e-mail (e-mail "guest123@emails.shop.ru" is invented for guests or ignored`},
		{"a made-up phone and no e-mail", func(o *shop.Order) {
			o.Address = &shop.Address{Receiver: "Гость", Phone: "+7 (000) 000-00-00"}
			o.Customer = nil
		}, "contact", `no phone and no e-mail (phone "+7 (000) 000-00-00" looks made up)`},
		{"an e-mail that is no address and no phone", func(o *shop.Order) {
			o.Address = &shop.Address{Receiver: "Гость", Email: "ivan.mail.ru"}
			o.Customer = nil
		}, "email", `"ivan.mail.ru" is not an e-mail address, and there is no phone`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := testOrder()
			tt.order(o)
			_, err := newTestMapper(t, testConfig(), testMeta()).Order(o)
			var re *RecordError
			if !errors.As(err, &re) {
				t.Fatalf("err = %v, want a *RecordError", err)
			}
			if re.Field != tt.field || !strings.Contains(re.Error(), tt.message) {
				t.Errorf("err = %q (field %q), want field %q and %q", re, re.Field, tt.field, tt.message)
			}
		})
	}
}

// TestOrder_brokenCustomerExtended: the customer's extended JSON is the
// profile's, not the order's: the order goes without its overrides, noted.
func TestOrder_brokenCustomerExtended(t *testing.T) {
	o := testOrder()
	o.Customer.Extended = json.RawMessage(`{"amoCRMFields":{"name":"Из профиля",`)
	d, err := newTestMapper(t, testConfig(), testMeta()).Order(o)
	if err != nil {
		t.Fatalf("Order: %v, want the order mapped", err)
	}
	if got, want := d.Contact.Contact.Name, "Иван Петров"; got != want {
		t.Errorf("contact name = %q, want the receiver %q", got, want)
	}
	if notes := strings.Join(d.Notes, "\n"); !strings.Contains(notes, "user_attributes.extended: invalid JSON") ||
		!strings.Contains(notes, "without the profile's overrides") {
		t.Errorf("notes %q do not say the overrides were dropped", notes)
	}
}

func TestOrder_repairs(t *testing.T) {
	o := testOrder()
	o.CreatedOn = time.Time{}
	o.Num = ""
	o.Address.Receiver = "Ив\xffан"
	o.Properties = json.RawMessage(`[]`) // PHP's empty array
	orig := o.Address.Receiver
	d, err := newTestMapper(t, testConfig(), testMeta()).Order(o)
	if err != nil {
		t.Fatalf("Order: %v", err)
	}
	if d.Lead.CreatedAt != 0 {
		t.Errorf("created_at = %d, want omitted", d.Lead.CreatedAt)
	}
	if got, want := d.Lead.Name, "Заказ с сайта 42"; got != want {
		t.Errorf("name = %q, want %q (id when num is empty)", got, want)
	}
	if got, want := d.Contact.Contact.Name, "Ив\uFFFDан"; got != want {
		t.Errorf("contact name = %q, want %q", got, want)
	}
	if o.Address.Receiver != orig {
		t.Error("the input order was modified")
	}
	notes := strings.Join(d.Notes, "\n")
	for _, want := range []string{"ms2_order_addresses.receiver: invalid UTF-8", "createdon is empty"} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes %q lack %q", notes, want)
		}
	}
}

func TestLeadName(t *testing.T) {
	tests := []struct{ tmpl, want string }{
		{"Заказ {num}", "Заказ 2401/42"},
		{"#{id} {receiver} на {cost} ({email}, {phone})", "#42 Иван Петров на 1499.50 (Ivan@Mail.ru, 8 (999) 123-45-67)"},
		{"{unknown} {num}", "{unknown} 2401/42"},
		{"", "Заказ с сайта 2401/42"},
	}
	for _, tt := range tests {
		cfg := testConfig()
		cfg.Orders.LeadName = tt.tmpl
		if got := newTestMapper(t, cfg, testMeta()).leadName(testOrder()); got != tt.want {
			t.Errorf("%q: got %q, want %q", tt.tmpl, got, tt.want)
		}
	}
}

func TestStatusChange(t *testing.T) {
	cfg, meta := testConfig(), testMeta()
	meta.SitePipelineID = plSite
	cfg.Orders.StatusMap = map[string]config.IDRef{"2": named("Оплачен"), "4": ref(143)}
	m := newTestMapper(t, cfg, meta)
	tests := []struct {
		pipeline, ms2, want int64
		ok                  bool
	}{
		{plWholesale, 2, plWholesale + 3, true},
		{plMain, 2, plMain + 3, true},
		{plMain, 4, 143, true},
		{plMain, 3, 0, false},
		{plSite, 3, plSite + 4, true}, // by name in the site pipeline
		{plSite, 4, 143, true},        // the config map first
	}
	for _, tt := range tests {
		got, ok := m.StatusChange(tt.pipeline, tt.ms2)
		if got != tt.want || ok != tt.ok {
			t.Errorf("StatusChange(%d, %d) = %d, %v, want %d, %v", tt.pipeline, tt.ms2, got, ok, tt.want, tt.ok)
		}
	}
}

func TestNewMapper_errors(t *testing.T) {
	tests := []struct {
		name string
		cfg  func(*config.Config)
		want string
	}{
		{"unknown pipeline", func(c *config.Config) { c.Orders.PipelineID = named("Розница") }, `orders.pipeline_id: no pipeline named "Розница"`},
		{"unsorted default status", func(c *config.Config) { c.Orders.StatusID = named("Неразобранное") }, "orders.status_id: status \"Неразобранное\" is the unsorted column"},
		{"unsorted category status", func(c *config.Config) {
			c.Orders.Category = []config.CategoryRule{{ID: 1, PipelineID: ref(plWholesale), StatusID: ref(plWholesale + 1)}}
		}, "orders.category[1].status_id: status"},
		{"unknown category user", func(c *config.Config) {
			c.Orders.Category = []config.CategoryRule{{ID: 1, ResponsibleUserID: ref(999)}}
		}, "orders.category[1].responsible_user_id: no user 999"},
		{"status map name nowhere", func(c *config.Config) { c.Orders.StatusMap = map[string]config.IDRef{"2": named("Оплочен")} },
			`orders.status_map."2": no status named "Оплочен"`},
		{"status map key", func(c *config.Config) { c.Orders.StatusMap = map[string]config.IDRef{"paid": ref(142)} },
			`orders.status_map."paid": the key must be a miniShop2 status id`},
		{"unknown order field", func(c *config.Config) { c.Orders.Fields = []string{"goods", "colour"} }, `orders.fields: unknown order field "colour"`},
		{"unknown address field", func(c *config.Config) { c.Orders.AddressFields = []string{"flat"} }, `orders.address_fields: unknown address field "flat"`},
		{"unknown contact field", func(c *config.Config) { c.Contacts.Fields = []string{"skype"} }, `contacts.fields: unknown field "skype"`},
		{"enum not in the field", func(c *config.Config) { c.Contacts.EnumTypes = map[string]string{"phone": "HOME"} },
			`contacts.enum_types.phone: field "Телефон" has no enum "HOME"`},
		{"unknown default user", func(c *config.Config) { c.AmoCRM.DefaultResponsibleUserID = named("Вера") }, `amocrm.default_responsible_user_id: no user named "Вера"`},
		{"unsorted form status", func(c *config.Config) { c.Forms.StatusID = named("Неразобранное") }, "forms.status_id: status"},
		{"unknown form pipeline", func(c *config.Config) {
			c.Forms.Form = map[string]config.FormSettings{"Звонок": {PipelineID: ref(77)}}
		}, `forms.form."Звонок".pipeline_id: no pipeline 77`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig()
			tt.cfg(cfg)
			_, err := NewMapper(cfg, testMeta())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

// TestNewMapper_namesWhatExists: a name the account lacks is answered with
// the names it has, so a typo or another account's name is fixed at once.
func TestNewMapper_namesWhatExists(t *testing.T) {
	const statuses = `"Новый", "Оплачен", "Отправлен", "Успешно реализовано", "Закрыто и не реализовано"`
	tests := []struct {
		name string
		cfg  func(*config.Config)
		want string
	}{
		{"pipeline", func(c *config.Config) { c.Orders.PipelineID = named("Розница") },
			`orders.pipeline_id: no pipeline named "Розница" in the account; there are "Опт", "Воронка", "Сайт shop.ru"`},
		{"user", func(c *config.Config) { c.AmoCRM.DefaultResponsibleUserID = named("Вера") },
			`amocrm.default_responsible_user_id: no user named "Вера" in the account; there are "Анна", "Борис"`},
		{"status in a pipeline", func(c *config.Config) {
			c.Orders.Category = []config.CategoryRule{{ID: 1, PipelineID: named("Опт"), StatusID: named("Оплата")}}
		}, `orders.category[1].status_id: no status named "Оплата" in pipeline "Опт"; there are ` + statuses},
		{"status map", func(c *config.Config) { c.Orders.StatusMap = map[string]config.IDRef{"2": named("Оплочен")} },
			`orders.status_map."2": no status named "Оплочен" in any pipeline; there are ` + statuses},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig()
			tt.cfg(cfg)
			_, err := NewMapper(cfg, testMeta())
			if err == nil || err.Error() != tt.want {
				t.Errorf("err = %v\nwant    %s", err, tt.want)
			}
		})
	}
}

func BenchmarkOrder(b *testing.B) {
	cfg, meta := testConfig(), testMeta()
	cfg.Orders.Category = []config.CategoryRule{{ID: 77, PipelineID: ref(plWholesale)}, {ID: 1, PipelineID: ref(plMain)}}
	cfg.Orders.StatusMap = map[string]config.IDRef{"2": named("Оплачен")}
	m := newTestMapper(b, cfg, meta)
	o := testOrder()
	o.Properties = json.RawMessage(`{"amoCRMFields":{"tags":"vip","responsible_user_id":501}}`)
	for i := 0; i < 4; i++ {
		o.Products = append(o.Products, o.Products[0])
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Order(o); err != nil {
			b.Fatal(err)
		}
	}
}
