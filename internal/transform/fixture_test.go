package transform

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/config"
	"github.com/modx-amocrm/modx-amocrm/internal/crm"
	"github.com/modx-amocrm/modx-amocrm/internal/shop"
)

// Account fixture ids: pipelines 10 (main), 20, 30 (the site pipeline);
// statuses are pipeline+1 (unsorted), +2 "Новый", +3 "Оплачен", +4 "Отправлен".
const (
	plMain, plWholesale, plSite = 10, 20, 30
	userAnna, userBoris         = 501, 502
	fieldPhone, fieldEmail      = 801, 802
	fieldContactCity            = 804
	fieldWeight, fieldGoods     = 901, 902
	fieldOrderKey, fieldCity    = 903, 904
)

func testPipeline(id int64, name string, main bool) crm.Pipeline {
	st := []crm.Status{
		{ID: crm.StatusLost, Name: "Закрыто и не реализовано", Sort: 10001},
		{ID: id + 1, Name: "Неразобранное", Sort: 10, Type: crm.StatusTypeUnsorted},
		{ID: id + 2, Name: "Новый", Sort: 20},
		{ID: id + 3, Name: "Оплачен", Sort: 30},
		{ID: id + 4, Name: "Отправлен", Sort: 40},
		{ID: crm.StatusWon, Name: "Успешно реализовано", Sort: 10000},
	}
	return crm.Pipeline{ID: id, Name: name, IsMain: main, Embedded: &crm.PipelineEmbedded{Statuses: st}}
}

func testMeta() Meta {
	return Meta{
		Pipelines: []crm.Pipeline{
			testPipeline(plWholesale, "Опт", false),
			testPipeline(plMain, "Воронка", true),
			testPipeline(plSite, "Сайт shop.ru", false),
		},
		Users: []crm.User{{ID: userAnna, Name: "Анна", Email: "anna@crm.ru"}, {ID: userBoris, Name: "Борис", Email: "boris@crm.ru"}},
		LeadFields: []crm.CustomField{
			{ID: fieldWeight, Name: "weight", Type: "text"},
			{ID: fieldGoods, Name: "Goods", Type: "textarea"},
			{ID: fieldOrderKey, Name: OrderFieldName, Code: OrderFieldCode, Type: "text"},
			{ID: fieldCity, Name: "address.city", Type: "text"},
			{ID: 905, Name: "Источник", Type: "select", Enums: []crm.Enum{{ID: 61, Value: "Сайт"}, {ID: 62, Value: "Звонок"}}},
		},
		ContactFields: []crm.CustomField{
			{ID: fieldPhone, Name: "Телефон", Code: "PHONE", Type: "multitext", Enums: []crm.Enum{{ID: 1, Value: "WORK"}, {ID: 2, Value: "MOB"}}},
			{ID: fieldEmail, Name: "Email", Code: "EMAIL", Type: "multitext", Enums: []crm.Enum{{ID: 3, Value: "WORK"}, {ID: 4, Value: "PRIV"}}},
			{ID: 803, Name: "Должность", Code: "POSITION", Type: "text"},
			{ID: fieldContactCity, Name: "city", Type: "text"},
		},
		MS2Statuses: []shop.OrderStatus{{ID: 1, Name: "Новый"}, {ID: 2, Name: "Оплачен"}, {ID: 3, Name: "Отправлен"}, {ID: 4, Name: "Отменён"}},
		SiteHost:    "www.shop.ru",
		Currency:    "руб.",
		CountUnit:   "шт.",
	}
}

func testConfig() *config.Config {
	return &config.Config{
		Contacts: config.Contacts{
			Fields:           []string{"fullname", "email", "phone", "mobilephone"},
			EnumTypes:        map[string]string{"phone": "WORK", "email": "WORK"},
			ReadonlyFields:   []string{"name"},
			AutoCreateFields: true,
			SkipEmpty:        true,
		},
		Orders: config.Orders{
			LeadName:            "Заказ с сайта {num}",
			Fields:              []string{"weight", "delivery_cost", "goods"},
			AddressFields:       []string{"phone", "city"},
			AddressPrefix:       "address.",
			PropertiesElement:   "amoCRMFields",
			ResponsiblePriority: "category",
			AutoCreateFields:    true,
		},
	}
}

func newTestMapper(t testing.TB, cfg *config.Config, meta Meta) *Mapper {
	t.Helper()
	m, err := NewMapper(cfg, meta)
	if err != nil {
		t.Fatalf("NewMapper: %v", err)
	}
	return m
}

// testOrder is a placed order of one product in category 5 (under 3, under 1).
func testOrder() *shop.Order {
	return &shop.Order{
		ID:           42,
		UserID:       7,
		Num:          "2401/42",
		CreatedOn:    time.Date(2024, 1, 15, 10, 30, 0, 0, time.UTC),
		Cost:         "1499.50",
		CartCost:     "1200.00",
		DeliveryCost: "299.50",
		Weight:       "1.250",
		Status:       1,
		DeliveryName: "Курьер",
		PaymentName:  "Наличными",
		Address: &shop.Address{
			Receiver: "Иван Петров",
			Phone:    "8 (999) 123-45-67",
			Email:    "Ivan@Mail.ru",
			City:     "Москва",
		},
		Products: []shop.OrderProduct{
			{ProductID: 100, Name: "Футболка", Article: "T-1", Count: 2, Price: "600.00", Cost: "1200.00",
				Options: json.RawMessage(`{"color":"Красный","size":"XL"}`), Categories: []int64{5, 3, 1}},
		},
		Customer: &shop.Customer{ID: 7, FullName: "Иван", Email: "ivan@mail.ru", MobilePhone: "+7 999 765-43-21"},
	}
}

func ref(id int64) config.IDRef      { return config.IDRef{ID: id} }
func named(name string) config.IDRef { return config.IDRef{Name: name} }
