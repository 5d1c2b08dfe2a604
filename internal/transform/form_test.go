package transform

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/config"
	"github.com/modx-amocrm/modx-amocrm/internal/shop"
)

func TestFormValues(t *testing.T) {
	got, err := FormValues(`{"Имя":"Олег","Услуги":["Доставка","Сборка"],"age":30,"empty":null}`)
	if err != nil {
		t.Fatalf("FormValues: %v", err)
	}
	want := map[string]string{"Имя": "Олег", "Услуги": "Доставка, Сборка", "age": "30", "empty": ""}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	if _, err := FormValues(`{"a":`); err == nil || !strings.Contains(err.Error(), "values: invalid JSON") {
		t.Errorf("broken values: err = %v", err)
	}
}

func TestForm(t *testing.T) {
	form := &shop.Form{ID: 45, Name: "Обратный звонок", IP: "203.0.113.5", Date: time.Unix(1700000000, 0)}
	tests := []struct {
		name     string
		cfg      func(*config.Forms)
		values   map[string]string
		keys     string
		cname    string
		pipeline int64
		status   int64
		noDeal   string
		unsorted bool
	}{
		{
			name:   "default aliases, labels, no deal when forms are not deals",
			values: map[string]string{"ФИО ": "Олег", "Телефон": "8 912 000 11 22", "Сообщение": "Перезвоните"},
			keys:   "phone:79120001122", cname: "Олег",
		},
		{
			name:   "as_lead in the form's pipeline and status",
			cfg:    func(f *config.Forms) { f.AsLead = true },
			values: map[string]string{"tel": "8 912 000 11 22", "email": "oleg@mail.ru", "fio": "Олег"},
			keys:   "phone:79120001122,email:oleg@mail.ru", cname: "Олег",
			pipeline: plWholesale, status: plWholesale + 3,
		},
		{
			name: "per-form map",
			cfg: func(f *config.Forms) {
				f.AsLead = true
				f.Form["Обратный звонок"] = config.FormSettings{PipelineID: ref(plSite), Map: map[string]string{"Контакт": "phone", "Кто": "name"}}
			},
			values: map[string]string{"Контакт": "9120001122", "Кто": "Олег"},
			keys:   "phone:79120001122", cname: "Олег",
			pipeline: plSite, status: plSite + 2,
		},
		{
			name:   "required field empty: contact, no deal",
			cfg:    func(f *config.Forms) { f.AsLead, f.RequiredFields = true, []string{"phone", "Город"} },
			values: map[string]string{"phone": "8 912 000 11 22", "Город": " "},
			keys:   "phone:79120001122", noDeal: `required field "Город" is empty`,
		},
		{
			name:   "unsorted",
			cfg:    func(f *config.Forms) { f.Unsorted = true },
			values: map[string]string{"email": "Oleg@Mail.ru", "name": "Олег"},
			keys:   "email:oleg@mail.ru", cname: "Олег", unsorted: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.Forms = config.Forms{PipelineID: named("Опт"), StatusID: named("Оплачен"), Form: map[string]config.FormSettings{}}
			call(tt.cfg, &cfg.Forms)
			r, err := newTestMapper(t, cfg, testMeta()).Form(form, tt.values)
			if err != nil {
				t.Fatalf("Form: %v", err)
			}
			if got := strings.Join(r.Contact.Keys, ","); got != tt.keys {
				t.Errorf("keys = %s, want %s", got, tt.keys)
			}
			if r.Contact.Contact.Name != tt.cname {
				t.Errorf("name = %q, want %q", r.Contact.Contact.Name, tt.cname)
			}
			if r.NoDeal != tt.noDeal {
				t.Errorf("no deal = %q, want %q", r.NoDeal, tt.noDeal)
			}
			switch {
			case tt.pipeline != 0:
				if r.Lead == nil || r.Lead.PipelineID != tt.pipeline || r.Lead.StatusID != tt.status || r.Lead.CreatedAt != 1700000000 {
					t.Fatalf("lead = %+v, want pipeline %d status %d", r.Lead, tt.pipeline, tt.status)
				}
				if r.Lead.Name != "Заявка: Обратный звонок" {
					t.Errorf("lead name = %q", r.Lead.Name)
				}
			case tt.unsorted:
				u := r.Unsorted
				if u == nil || r.Lead != nil || u.SourceUID != "form-45" || u.Metadata.IP != "203.0.113.5" || len(u.Embedded.Contacts) != 1 {
					t.Fatalf("unsorted = %+v, lead = %+v", u, r.Lead)
				}
			default:
				if r.Lead != nil || r.Unsorted != nil {
					t.Errorf("deal made: %+v %+v", r.Lead, r.Unsorted)
				}
			}
			for k, v := range tt.values {
				if !strings.Contains(r.LeadNote, k+": "+strings.TrimSpace(v)) {
					t.Errorf("note %q lacks %s", r.LeadNote, k)
				}
			}
		})
	}
}

func TestForm_noContact(t *testing.T) {
	cfg := testConfig()
	cfg.Forms.AsLead = true
	_, err := newTestMapper(t, cfg, testMeta()).Form(&shop.Form{ID: 1, Name: "f"}, map[string]string{"name": "Олег", "message": "hi"})
	if !errors.Is(err, ErrNoContact) {
		t.Errorf("err = %v, want ErrNoContact", err)
	}
}
