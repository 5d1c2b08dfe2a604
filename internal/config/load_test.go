package config

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

// minimal is the smallest config that validates.
const minimal = `[modx]
dsn = "modx@tcp(127.0.0.1:3306)/modx"

[amocrm]
account = "shop"
long_lived_token = "tok"
`

// testEnv is an environment of the given variables over the real file
// system, where the tests write their secret files.
type testEnv map[string]string

func (e testEnv) Getenv(k string) string             { return e[k] }
func (testEnv) ReadFile(path string) ([]byte, error) { return os.ReadFile(path) }

func TestParseDefaults(t *testing.T) {
	c, err := Parse([]byte(minimal), "config.toml", testEnv(nil))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("validate: %v", err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"sync.batch_size", c.Sync.BatchSize, 50},
		{"sync.max_attempts", c.Sync.MaxAttempts, 5},
		{"sync.settle", c.Sync.Settle.Duration, 2 * time.Second},
		{"sync.cron", c.Sync.Cron, "@every 2s"},
		{"amocrm.timeout", c.AmoCRM.Timeout.Duration, 30 * time.Second},
		{"amocrm.rate_limit", c.AmoCRM.RateLimit, 6.0},
		{"log.level", c.Log.Level, "info"},
		{"log.format", c.Log.Format, "auto"},
		{"users.cron", c.Users.Cron, "@every 1h"},
		{"shop_status.cron", c.ShopStatus.Cron, "@every 1m"},
		{"orders.responsible_priority", c.Orders.ResponsiblePriority, "category"},
		{"orders.on_delete", c.Orders.OnDelete, "note"},
		{"contacts.enum_types.phone", c.Contacts.EnumTypes["phone"], "WORK"},
	}
	for _, tc := range checks {
		if tc.got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, tc.got, tc.want)
		}
	}
}

func TestParseValues(t *testing.T) {
	doc := minimal + `
[orders]
fields = ["weight"]
[[orders.category]]
id = 23
pipeline_id = 1480825
status_id = "Новый"
[[orders.category]]
id = 7
pipeline_id = "42"
[orders.status_map]
"2" = "Оплачен"
3 = 142
[contacts]
enum_types = { phone = "MOB" }
[sync]
settle = "1m30s"
`
	c, err := Parse([]byte(doc), "config.toml", testEnv(nil))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	if got := c.Orders.Category; len(got) != 2 || got[0].ID != 23 || got[0].PipelineID != (IDRef{ID: 1480825}) ||
		got[0].StatusID != (IDRef{Name: "Новый"}) || got[1].PipelineID != (IDRef{ID: 42}) {
		t.Errorf("orders.category: got %+v", got)
	}
	if got, want := c.Orders.StatusMap["2"], (IDRef{Name: "Оплачен"}); got != want {
		t.Errorf("status_map 2: got %+v, want %+v", got, want)
	}
	if got, want := c.Orders.StatusMap["3"], (IDRef{ID: 142}); got != want {
		t.Errorf("status_map 3: got %+v, want %+v", got, want)
	}
	if got := c.Orders.Fields; len(got) != 1 || got[0] != "weight" {
		t.Errorf("orders.fields: got %q, want [weight] (a list replaces the default)", got)
	}
	if _, ok := c.Contacts.EnumTypes["email"]; ok || c.Contacts.EnumTypes["phone"] != "MOB" {
		t.Errorf("contacts.enum_types: got %v, want only phone=MOB (a table replaces the default)", c.Contacts.EnumTypes)
	}
	if got, want := c.Sync.Settle.Duration, 90*time.Second; got != want {
		t.Errorf("sync.settle: got %v, want %v", got, want)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want []string // each must appear in the error
	}{
		{"unknown key", "[orders]\nenabled = true\npipline_id = 5\n", []string{`config.toml:3: unknown key "orders.pipline_id"`}},
		{"unknown table", "[order]\nenabled = true\n", []string{`config.toml:1: unknown key "order"`}},
		{"unknown key in second array table", "[[orders.category]]\nid = 1\n[[orders.category]]\nid = 2\npipline = 3\n",
			[]string{`config.toml:5: unknown key "orders.category[2].pipline"`}},
		{"all unknown keys", "[sync]\ncrom = 1\nsetle = 2\n", []string{`:2: unknown key "sync.crom"`, `:3: unknown key "sync.setle"`}},
		{"duration as integer", "[sync]\n\nsettle = 10\n", []string{`config.toml:3: sync.settle: want a duration like "10s", got 10`}},
		{"bad duration string", "[sync]\nsettle = \"10 seconds\"\n", []string{`config.toml:2: sync.settle: want a duration like "10s", got "10 seconds"`}},
		{"string for integer", "[sync]\nbatch_size = \"50\"\n", []string{`config.toml:2: sync.batch_size: want an integer, got "50"`}},
		{"integer for string", "[sync]\nstart = 2024\n", []string{`config.toml:2: sync.start: want a string, got 2024`}},
		{"list of integers", "[orders]\nfields = [1, 2]\n", []string{`config.toml:2: orders.fields: want a list of strings like ["a", "b"], got [1, 2]`}},
		{"bool for id", "[orders]\npipeline_id = true\n", []string{`config.toml:2: orders.pipeline_id: want an id or a name like "Оплачен", got true`}},
		{"id in inline table", "[forms.form.\"Звонок\"]\npipeline_id = 1.5\n", []string{`config.toml:2: forms.form.`, `want an id or a name`}},
		{"status map value", "[orders.status_map]\n2 = [142]\n", []string{`config.toml:2: orders.status_map.2: want an id or a name`}},
		{"syntax", "[sync]\nsettle = = 1\n", []string{`config.toml:2: `}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.doc), "config.toml", testEnv(nil))
			if err == nil {
				t.Fatal("got no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("got %q, want it to contain %q", err, w)
				}
			}
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Errorf("got %T, want a *FieldError inside", err)
			}
		})
	}
}

// TestUnknownKeySuggestion: a typo names the key it probably meant, in its
// own table and array-table element; a key far from every known one, and a
// key of a free-form table, get no guess.
func TestUnknownKeySuggestion(t *testing.T) {
	tests := []struct{ doc, want string }{
		{"[contacts]\nskip_emtpy = true\n", `config.toml:2: unknown key "contacts.skip_emtpy"; did you mean "contacts.skip_empty"?`},
		{"[order]\nenabled = true\n", `config.toml:1: unknown key "order"; did you mean "orders"?`},
		{"[[orders.category]]\nid = 1\n[[orders.category]]\nid = 2\npipline_id = 3\n",
			`config.toml:5: unknown key "orders.category[2].pipline_id"; did you mean "orders.category[2].pipeline_id"?`},
		{"[sync]\nmax_attempt = 3\n", `config.toml:2: unknown key "sync.max_attempt"; did you mean "sync.max_attempts"?`},
		{"[amocrm]\nwebhook_secret = \"x\"\n", `config.toml:2: unknown key "amocrm.webhook_secret"`},
	}
	for _, tc := range tests {
		_, err := Parse([]byte(tc.doc), "config.toml", testEnv(nil))
		if err == nil || err.Error() != tc.want {
			t.Errorf("%q: got %v, want %s", tc.doc, err, tc.want)
		}
	}
}

func TestDurationString(t *testing.T) {
	for d, want := range map[time.Duration]string{time.Hour: "1h", 90 * time.Second: "1m30s", 2 * time.Minute: "2m", 10 * time.Second: "10s", 0: "0s", time.Hour + time.Second: "1h0m1s"} {
		if got := (Duration{d}).String(); got != want {
			t.Errorf("%v: got %q, want %q", time.Duration(d), got, want)
		}
	}
}

func BenchmarkParseExample(b *testing.B) {
	data, err := os.ReadFile("../../config.example.toml")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Parse(data, "config.example.toml", testEnv(nil)); err != nil {
			b.Fatal(err)
		}
	}
}
