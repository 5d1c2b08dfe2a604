package config

import "time"

// Default returns the configuration a file starts from: every key not set in
// the file keeps the value given here (DESIGN.md's TOML block).
func Default() Config {
	return Config{
		MODX:  MODX{TablePrefix: "modx_", Shop: ShopAuto},
		State: State{TablePrefix: "amocrm_sync_"},
		AmoCRM: AmoCRM{
			Domain:    "amocrm.ru",
			RateLimit: 6,
			Timeout:   Duration{30 * time.Second},
		},
		Sync: Sync{
			// From what miniShop2 takes to write an order (README, "Time"):
			// it is complete when placed, so the settle only covers
			// createdon's whole second and the rest of one request, and a
			// pass every 2 s brings an order over within about 5 s.
			Cron:         "@every 2s",
			Start:        "now",
			Settle:       Duration{2 * time.Second},
			AbandonAfter: Duration{time.Hour},
			BatchSize:    50,
			MaxAttempts:  5,
		},
		Contacts: Contacts{
			Fields:           []string{"fullname", "email", "phone", "mobilephone"},
			EnumTypes:        map[string]string{"phone": "WORK", "email": "WORK"},
			ReadonlyFields:   []string{"name"},
			AutoCreateFields: true,
			SkipEmpty:        true,
			IgnoreEmails:     []string{},
		},
		Orders: Orders{
			Enabled:             true,
			LeadName:            "Заказ с сайта {num}",
			Fields:              []string{"weight", "delivery_cost", "goods"},
			AddressFields:       []string{"phone", "city", "street", "building", "room", "comment"},
			AddressPrefix:       "address.",
			PropertiesElement:   "amoCRMFields",
			ResponsiblePriority: PriorityCategory,
			AutoCreateFields:    true,
			CompareCron:         "@every 1h",
			OnDelete:            OnDeleteNote,
			Tags:                []string{},
			Tracking:            map[string]string{},
			Task:                Task{Text: "Связаться с покупателем: заказ {num}", Due: "2h", Type: IDRef{Name: TaskCall}},
		},
		Forms: Forms{RequiredFields: []string{}, Names: []string{}, Tags: []string{},
			Task: Task{Text: "Связаться с клиентом: заявка «{form}»", Due: "2h", Type: IDRef{Name: TaskCall}}},
		Users: Users{Cron: "@every 1h"},
		// One request a minute is 1,440 a day of an idle shop; a manager's
		// move reaches the shop within the minute.
		ShopStatus: ShopStatus{Cron: "@every 1m"},
		Log:        Log{Level: "info", Format: "auto"},
	}
}

// Values of modx.shop: which shop's tables the orders come from.
const (
	ShopAuto      = "auto"      // whichever exists: ms2_orders or ms3_orders
	ShopMiniShop2 = "minishop2" // miniShop2 on MODX 2
	ShopMiniShop3 = "minishop3" // MiniShop3 on MODX 3
)

// Values of orders.on_delete: what happens to the deal of an order deleted
// in the shop. Whichever it is, nothing is made for that order again.
const (
	OnDeleteNote    = "note"    // a note on the deal says the order was deleted
	OnDeleteLose    = "lose"    // the note, and the deal closed as lost (143, «Закрыто и не реализовано»)
	OnDeleteNothing = "nothing" // the deal is left as it is
)

// Values of orders.responsible_priority.
const (
	PriorityCategory = "category" // a category rule's responsible wins over the order's
	PriorityOrder    = "order"    // the order's properties win
)
