package sandbox

import (
	"encoding/json"
	"fmt"
	"os"
)

// Seed is the account the sandbox starts with: `-seed F.json` reads this
// shape. Ids that are 0 are assigned; every pipeline gets 142, 143 and, when
// is_unsorted_on, an unsorted (type 1) status if the seed lacks them.
type Seed struct {
	Account      Account                  `json:"account"`
	Pipelines    []Pipeline               `json:"pipelines"`
	Users        []User                   `json:"users"`
	CustomFields map[string][]CustomField `json:"custom_fields"` // "leads", "contacts"
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
	DefaultAccountID     = 31000001
	MainPipelineID       = 1001
	WholesalePipelineID  = 1002
	ServicePipelineID    = 1003
	AdminUserID          = 5001
	PhoneFieldID         = 700001
	EmailFieldID         = 700002
	PositionFieldID      = 700003
	StatusWon            = 142
	StatusLost           = 143
	statusTypeUnsorted   = 1
	defaultSubdomain     = "example"
	firstDefaultStatusID = 20001
)

// DefaultSeed is the deterministic default account of DESIGN.md: three
// pipelines, three users, PHONE/EMAIL/POSITION contact fields, no lead fields.
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
		CustomFields: map[string][]CustomField{
			"leads": {},
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
	st.bumpSequences()
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
