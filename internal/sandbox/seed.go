package sandbox

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
)

// Seed is the account the sandbox starts with: `-seed F.json` reads this
// shape. Ids that are 0 are assigned; every pipeline gets 142, 143 and, when
// is_unsorted_on, an unsorted (type 1) status if the seed lacks them.
type Seed struct {
	Account      Account                  `json:"account"`
	Pipelines    []Pipeline               `json:"pipelines"`
	Users        []User                   `json:"users"`
	CustomFields map[string][]CustomField `json:"custom_fields"` // "leads", "contacts"
	Catalogs     []CatalogState           `json:"catalogs"`
	// TaskTypes beyond 1 and 2, which every account has.
	TaskTypes []TaskType `json:"task_types"`
}

// LoadSeed reads a seed JSON file.
func LoadSeed(path string) (*Seed, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read seed: %w", err)
	}
	var s Seed
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("parse seed %s: %w", path, err)
	}
	return &s, nil
}

// Stable ids of the default account, so docs and tests can rely on them.
const (
	DefaultAccountID    = 31000001
	MainPipelineID      = 1001
	WholesalePipelineID = 1002
	ServicePipelineID   = 1003
	AdminUserID         = 5001
	PhoneFieldID        = 700001
	EmailFieldID        = 700002
	PositionFieldID     = 700003
	// ProductsCatalogID is the default account's products list («Товары»);
	// its preset fields have these ids.
	ProductsCatalogID = 7001
	SKUFieldID        = 700031
	PriceFieldID      = 700033
	ExternalIDFieldID = 700037
	// LettersTaskTypeID is a task type the default account added itself.
	LettersTaskTypeID    = 1520001
	StatusWon            = 142
	StatusLost           = 143
	statusTypeUnsorted   = 1
	defaultSubdomain     = "example"
	firstDefaultStatusID = 20001
)

// DefaultSeed is the deterministic default account of DESIGN.md: three
// pipelines, three users, PHONE/EMAIL/POSITION contact fields, the lead
// tracking fields every account has, the products list with its preset
// fields, and a task type of its own besides the two every account has.
func DefaultSeed() *Seed {
	pipeline := func(id int64, name string, main bool, open ...string) Pipeline {
		base := firstDefaultStatusID + (id-MainPipelineID)*10
		st := []Status{{ID: base, Name: "Неразобранное", Sort: 10, Type: statusTypeUnsorted, Color: "#c1c1c1"}}
		for i, n := range open {
			st = append(st, Status{ID: base + int64(i) + 1, Name: n, Sort: int64(20 + 10*i), IsEditable: true, Color: "#99ccff"})
		}
		return Pipeline{ID: id, Name: name, Sort: id - MainPipelineID + 1, IsMain: main, IsUnsortedOn: true, Statuses: st}
	}
	enums := func(first int64, values ...string) []Enum {
		out := make([]Enum, len(values))
		for i, v := range values {
			out[i] = Enum{ID: first + int64(i), Value: v, Sort: int64(2 * (i + 1))}
		}
		return out
	}
	return &Seed{
		Account: Account{ID: DefaultAccountID, Name: "Sandbox", Subdomain: defaultSubdomain, CurrentUserID: AdminUserID,
			Country: "RU", Currency: "RUB", CurrencySymbol: "₽", IsUnsortedOn: true},
		Pipelines: []Pipeline{
			pipeline(MainPipelineID, "Воронка", true, "Первичный контакт", "Переговоры", "Принимают решение", "Оплачен"),
			pipeline(WholesalePipelineID, "Оптовые продажи", false, "Новая заявка", "Счёт выставлен", "Оплачен"),
			pipeline(ServicePipelineID, "Сервис", false, "Новое обращение", "В работе", "Ожидает клиента"),
		},
		Users: []User{
			{ID: AdminUserID, Name: "Администратор", Email: "admin@example.com", Lang: "ru"},
			{ID: AdminUserID + 1, Name: "Иван Менеджеров", Email: "ivan@example.com", Lang: "ru"},
			{ID: AdminUserID + 2, Name: "Мария Продажина", Email: "maria@example.com", Lang: "ru"},
		},
		Catalogs:  []CatalogState{productsCatalog(enums)},
		TaskTypes: []TaskType{{ID: LettersTaskTypeID, Name: "Написать письмо"}},
		CustomFields: map[string][]CustomField{
			"leads": trackingFields(),
			"contacts": {
				{ID: PhoneFieldID, Name: "Телефон", Type: "multitext", Code: "PHONE", Sort: 4, IsPredefined: true,
					Enums: enums(800001, "WORK", "WORKDD", "MOB", "FAX", "HOME", "OTHER")},
				{ID: EmailFieldID, Name: "Email", Type: "multitext", Code: "EMAIL", Sort: 6, IsPredefined: true,
					Enums: enums(800011, "WORK", "PRIV", "OTHER")},
				{ID: PositionFieldID, Name: "Должность", Type: "text", Code: "POSITION", Sort: 2, IsPredefined: true},
			},
		},
	}
}

// SeedWithoutProducts is DefaultSeed of an account whose products list is
// off: its one list is a regular one («Услуги»), without SKU or PRICE.
func SeedWithoutProducts() *Seed {
	s := DefaultSeed()
	s.Catalogs = []CatalogState{{Catalog: Catalog{Name: "Услуги", Type: catalogRegular, Sort: 10, CanAddElements: true,
		CanShowInCards: true, CanLinkMultiple: true}}}
	return s
}

// TrackingCodes are the codes of the lead fields of type tracking_data
// («Метка») a default account has, each named after its code in lower case
// (reference §3.12: the 19 codes a production integration sends as
// field_code = strtoupper(name); Roistat's help names its roistat field
// present by default).
var TrackingCodes = []string{"UTM_SOURCE", "UTM_MEDIUM", "UTM_CAMPAIGN", "UTM_CONTENT", "UTM_TERM", "UTM_REFERRER",
	"ROISTAT", "REFERRER", "OPENSTAT_SERVICE", "OPENSTAT_CAMPAIGN", "OPENSTAT_AD", "OPENSTAT_SOURCE", "FROM",
	"GCLIENTID", "_YM_UID", "_YM_COUNTER", "GCLID", "YCLID", "FBCLID"}

// firstTrackingFieldID is the id of the first tracking field.
const firstTrackingFieldID = 700041

func trackingFields() []CustomField {
	out := make([]CustomField, len(TrackingCodes))
	for i, code := range TrackingCodes {
		out[i] = CustomField{ID: firstTrackingFieldID + int64(i), Name: strings.ToLower(code), Type: "tracking_data", Code: code,
			Sort: int64(500 + i), IsPredefined: true}
	}
	return out
}

// productsCatalog is the products list with the preset fields of a real
// account: SKU «Артикул» (text), GROUP «Группа» (category), PRICE «Цена»,
// DESCRIPTION «Описание» (textarea), EXTERNAL_ID «External ID» (text,
// hidden), as a public integration's dump of an account's fields lists them
// and a recorded answer of POST /api/v4/catalogs/{id}/elements shows PRICE
// as type "price" (tough-dev-school/education-backend tests); UNIT and
// SPECIAL_PRICE_1 as a Kommo account's element shows them.
func productsCatalog(enums func(int64, ...string) []Enum) CatalogState {
	field := func(id int64, name, typ, code string, sort int64) CustomField {
		return CustomField{ID: id, Name: name, Type: typ, Code: code, Sort: sort, IsPredefined: true}
	}
	group := field(700032, "Группа", "category", "GROUP", 1)
	group.Enums = enums(800021, "Одежда", "Обувь", "Аксессуары")
	unit := field(700035, "Единица измерения", "select", "UNIT", 4)
	unit.Enums = enums(800031, "шт", "кг", "м", "л", "упак")
	external := field(ExternalIDFieldID, "External ID", "text", "EXTERNAL_ID", 15)
	external.IsAPIOnly = true
	return CatalogState{
		Catalog: Catalog{ID: ProductsCatalogID, Name: "Товары", Type: catalogProducts, Sort: 10, CanAddElements: true,
			CanShowInCards: true, CanLinkMultiple: true},
		Fields: []CustomField{
			field(SKUFieldID, "Артикул", "text", "SKU", 0), group, field(PriceFieldID, "Цена", "price", "PRICE", 2),
			field(700034, "Описание", "textarea", "DESCRIPTION", 3), unit,
			field(700036, "Специальная цена 1", "price", "SPECIAL_PRICE_1", 5), external,
		},
	}
}

// apply copies the seed into an empty state, completing system statuses and
// assigning missing ids.
func (s *Seed) apply(st *state) error {
	if s.Account.Subdomain == "" {
		return fmt.Errorf("seed: account.subdomain is empty")
	}
	st.Account = s.Account
	st.Users = append([]User(nil), s.Users...)
	for _, p := range s.Pipelines {
		if p.ID == 0 {
			p.ID = st.next(seqPipeline)
		}
		p.Statuses = completeStatuses(st, p)
		st.Pipelines = append(st.Pipelines, p)
	}
	st.Fields = map[string][]CustomField{entityLeads: {}, entityContacts: {}}
	for entity, fields := range s.CustomFields {
		if entity != entityLeads && entity != entityContacts {
			return fmt.Errorf("seed: custom_fields.%s: only leads and contacts", entity)
		}
		for _, f := range fields {
			if f.ID == 0 {
				f.ID = st.next(seqField)
			}
			for i := range f.Enums {
				if f.Enums[i].ID == 0 {
					f.Enums[i].ID = st.next(seqEnum)
				}
			}
			st.Fields[entity] = append(st.Fields[entity], f)
		}
	}
	if err := s.applyCatalogs(st); err != nil {
		return err
	}
	st.TaskTypes = defaultTaskTypes()
	for _, t := range s.TaskTypes {
		if t.ID == 0 || slices.ContainsFunc(st.TaskTypes, func(have TaskType) bool { return have.ID == t.ID }) {
			return fmt.Errorf("seed: task_types: id %d is taken or 0", t.ID)
		}
		st.TaskTypes = append(st.TaskTypes, t)
	}
	st.bumpSequences()
	return nil
}

// applyCatalogs copies the seed's lists: at most maxCatalogs, one products
// and one invoices list at most, ids assigned where 0.
func (s *Seed) applyCatalogs(st *state) error {
	if len(s.Catalogs) > maxCatalogs {
		return fmt.Errorf("seed: %d catalogs, an account has at most %d", len(s.Catalogs), maxCatalogs)
	}
	seen := map[string]bool{}
	for _, c := range s.Catalogs {
		switch c.Type {
		case catalogRegular:
		case catalogInvoices, catalogProducts:
			if seen[c.Type] {
				return fmt.Errorf("seed: catalogs: a second %s list, an account has one", c.Type)
			}
			seen[c.Type] = true
		default:
			return fmt.Errorf("seed: catalogs: type %q is not regular, invoices or products", c.Type)
		}
		if c.ID == 0 {
			c.ID = st.next(seqCatalog)
		}
		c.Fields = slices.Clone(c.Fields)
		for i := range c.Fields {
			if c.Fields[i].ID == 0 {
				c.Fields[i].ID = st.next(seqField)
			}
			for j := range c.Fields[i].Enums {
				if c.Fields[i].Enums[j].ID == 0 {
					c.Fields[i].Enums[j].ID = st.next(seqEnum)
				}
			}
		}
		st.Catalogs = append(st.Catalogs, c)
	}
	return nil
}

// completeStatuses returns p's statuses with 142, 143 and the unsorted one
// added when missing, each status id assigned.
func completeStatuses(st *state, p Pipeline) []Status {
	out := make([]Status, 0, len(p.Statuses)+3)
	has := map[int64]bool{}
	unsorted := false
	for _, s := range p.Statuses {
		if s.ID == 0 {
			s.ID = st.next(seqStatus)
		}
		has[s.ID] = true
		unsorted = unsorted || s.Type == statusTypeUnsorted
		out = append(out, s)
	}
	if p.IsUnsortedOn && !unsorted {
		out = append([]Status{{ID: st.next(seqStatus), Name: "Неразобранное", Sort: 10, Type: statusTypeUnsorted, Color: "#c1c1c1"}}, out...)
	}
	if !has[StatusWon] {
		out = append(out, Status{ID: StatusWon, Name: "Успешно реализовано", Sort: 10000, Color: "#CCFF66"})
	}
	if !has[StatusLost] {
		out = append(out, Status{ID: StatusLost, Name: "Закрыто и не реализовано", Sort: 11000, Color: "#D5D8DB"})
	}
	return out
}
