package config

import (
	"errors"
	"strings"
	"testing"
)

func TestValidateErrors(t *testing.T) {
	tests := []struct {
		name string
		doc  string // appended to minimal, unless it has its own [modx]
		want string
	}{
		{"start", "[sync]\nstart = \"yesterday\"\n", `config.toml:8: sync.start: want "now", "all" or a date like 2024-01-01, got "yesterday"`},
		{"sync cron", "[sync]\ncron = \"every minute\"\n", `config.toml:8: sync.cron: want a cron spec`},
		{"users cron", "[users]\ncron = \"* * *\"\n", `config.toml:8: users.cron: want a cron spec`},
		{"zero duration", "[sync]\nsettle = \"0s\"\n", `config.toml:8: sync.settle: want a duration above zero`},
		{"negative timeout", "timeout = \"-1s\"\n", `config.toml:7: amocrm.timeout: want a duration above zero`},
		{"rate limit high", "rate_limit = 8\n", `config.toml:7: amocrm.rate_limit: want requests per second in (0, 7], got 8`},
		{"rate limit zero", "rate_limit = 0\n", `amocrm.rate_limit: want requests per second in (0, 7], got 0`},
		{"on delete", "[orders]\non_delete = \"delete\"\n", `config.toml:8: orders.on_delete: want one of "note", "lose", "nothing", got "delete"`},
		{"priority", "[orders]\nresponsible_priority = \"manager\"\n", `config.toml:8: orders.responsible_priority: want one of "category", "order", got "manager"`},
		{"modx prefix", "[state]\ntable_prefix = \"x; DROP TABLE y\"\n", `config.toml:8: state.table_prefix: want letters, digits and _ only, got "x; DROP TABLE y"`},
		{"timezone", "[modx]\ndsn = \"u@tcp(h:3306)/db\"\ntimezone = \"Mars/Olympus\"\n[amocrm]\naccount = \"shop\"\nlong_lived_token = \"t\"\n", `config.toml:3: modx.timezone: want a zone like "Europe/Moscow", got "Mars/Olympus"`},
		{"state dsn", "[state]\ndsn = \"not a dsn\"\n", `config.toml:8: state.dsn: want a DSN like`},
		{"domain", "domain = \"amocrm.de\"\n", `config.toml:7: amocrm.domain: want one of "amocrm.ru", "amocrm.com", "kommo.com", got "amocrm.de"`},
		{"base url", "base_url = \"localhost:8080\"\n", `amocrm.base_url: want a URL like`},
		{"missing category id", "[[orders.category]]\nid = 5\npipeline_id = 1\n[[orders.category]]\npipeline_id = 2\n",
			`config.toml:10: orders.category[2].id: required`},
		{"missing category pipeline", "[[orders.category]]\nid = 5\n", `config.toml:7: orders.category[1].pipeline_id: required`},
		{"status map key", "[orders.status_map]\npaid = 142\n", `config.toml:8: orders.status_map.paid: want a shop status id (an integer) as the key, got "paid"`},
		{"shop", "[modx]\ndsn = \"u@tcp(h:3306)/db\"\nshop = \"minishop4\"\n[amocrm]\naccount = \"shop\"\nlong_lived_token = \"t\"\n",
			`config.toml:3: modx.shop: want one of "auto", "minishop2", "minishop3", got "minishop4"`},
		{"forms as lead", "[forms]\nenabled = true\nas_lead = true\n", `forms.pipeline_id: required when forms.as_lead is on`},
		{"forms per form", "[forms]\nenabled = true\nas_lead = true\nnames = [\"Звонок\"]\n", `forms.form."Звонок".pipeline_id: required`},
		{"log level", "[log]\nlevel = \"trace\"\n", `config.toml:8: log.level: want one of "debug", "info", "warn", "error", got "trace"`},
		{"log format", "[log]\nformat = \"xml\"\n", `log.format: want one of "auto", "text", "json", got "xml"`},
		{"metrics", "[metrics]\nlisten = \"9464\"\n", `config.toml:8: metrics.listen: want host:port`},
		{"shop status map value", "[shop_status]\nmap = { \"Оплачен\" = 0 }\n", `config.toml:8: shop_status.map."Оплачен": want a shop status id above zero, got 0`},
		{"shop status without orders", "[orders]\nenabled = false\n[shop_status]\nenabled = true\n", `config.toml:10: shop_status.enabled: needs orders.enabled`},
		{"shop status ambiguous inverse", "[orders.status_map]\n\"2\" = \"Оплачен\"\n\"3\" = 142\n\"5\" = \"Оплачен\"\n[shop_status]\nenabled = true\n",
			`config.toml:11: shop_status.map: empty, so it is orders.status_map read backwards, where "Оплачен" is the amoCRM status of shop statuses 2 and 5`},
		{"shop status cron", "[shop_status]\ncron = \"every minute\"\n", `config.toml:8: shop_status.cron: want a cron spec like "*/5 * * * *" or "@every 1m", got "every minute"`},
		{"negative id", "default_responsible_user_id = -3\n", `amocrm.default_responsible_user_id: want an id above zero or a name, got -3`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc := minimal + tc.doc
			if strings.HasPrefix(tc.doc, "[modx]") {
				doc = tc.doc
			}
			c, err := Parse([]byte(doc), "config.toml", testEnv(nil))
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			err = c.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestValidateReportsAll(t *testing.T) {
	c := Default()
	c.Sync.Start = "soon"
	c.Log.Level = "loud"
	err := c.Validate()
	want := []string{"modx.dsn", "amocrm.account", "amocrm.client_id", "sync.start", "log.level"}
	var keys []string
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var fe *FieldError
		if !errors.As(e, &fe) {
			t.Fatalf("got %T, want *FieldError", e)
		}
		if fe.Line != 0 || fe.File != "" {
			t.Errorf("%s: got position %s:%d for a config not from a file", fe.Key, fe.File, fe.Line)
		}
		keys = append(keys, fe.Key)
	}
	if strings.Join(keys, ",") != strings.Join(want, ",") {
		t.Errorf("got keys %v, want %v", keys, want)
	}
}

func TestValidateAuth(t *testing.T) {
	tests := []struct {
		name                 string
		id, secret, longLive string
		ok                   bool
	}{
		{"long-lived token", "", "", "tok", true},
		{"oauth", "id", "secret", "", true},
		{"id without secret", "id", "", "", false},
		{"nothing", "", "", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := Default()
			c.MODX.DSN = "u@tcp(h:3306)/db"
			c.AmoCRM.Account = "shop"
			c.AmoCRM.ClientID, c.AmoCRM.ClientSecret, c.AmoCRM.LongLivedToken = tc.id, tc.secret, tc.longLive
			if err := c.Validate(); (err == nil) != tc.ok {
				t.Errorf("got %v, want ok=%t", err, tc.ok)
			}
		})
	}
}

func TestValidateBaseURLReplacesAccount(t *testing.T) {
	c := Default()
	c.MODX.DSN = "u@tcp(h:3306)/db"
	c.AmoCRM.BaseURL = "http://127.0.0.1:8080/"
	c.AmoCRM.Domain = "sandbox.local"
	c.AmoCRM.LongLivedToken = "tok"
	if err := c.Validate(); err != nil {
		t.Fatalf("got %v, want no error", err)
	}
	if got, want := c.AmoBaseURL(), "http://127.0.0.1:8080"; got != want {
		t.Errorf("AmoBaseURL: got %q, want %q", got, want)
	}
	c.AmoCRM.BaseURL, c.AmoCRM.Account, c.AmoCRM.Domain = "", "shop", "kommo.com"
	if got, want := c.AmoBaseURL(), "https://shop.kommo.com"; got != want {
		t.Errorf("AmoBaseURL: got %q, want %q", got, want)
	}
}

func TestCheckTablePrefix(t *testing.T) {
	for _, p := range []string{"", "modx_", "modx_partners", "Shop2_"} {
		if err := CheckTablePrefix(p); err != nil {
			t.Errorf("%q: got %v, want ok", p, err)
		}
	}
	for _, p := range []string{"modx-", "a`b", "x;", "ш_"} {
		if err := CheckTablePrefix(p); err == nil {
			t.Errorf("%q: got ok, want an error", p)
		}
	}
}

func TestValidateShopStatusMap(t *testing.T) {
	ambiguous := "[orders.status_map]\n\"2\" = \"Оплачен\"\n\"3\" = \"Оплачен\"\n\"4\" = 143\n"
	tests := []struct {
		name, doc string
		ok        bool
	}{
		{"inverse of orders.status_map", "[orders.status_map]\n\"2\" = \"Оплачен\"\n\"3\" = 142\n[shop_status]\nenabled = true\n", true},
		{"ambiguous inverse", ambiguous + "[shop_status]\nenabled = true\n", false},
		{"ambiguous inverse, off", ambiguous + "[shop_status]\nenabled = false\n", true},
		{"ambiguous inverse, map given", ambiguous + "[shop_status]\nenabled = true\nmap = { \"Оплачен\" = 2, \"143\" = 4 }\n", true},
		{"many amoCRM statuses to one shop status", "[shop_status]\nenabled = true\nmap = { \"Оплачен\" = 2, \"142\" = 2 }\n", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse([]byte(minimal+tc.doc), "config.toml", testEnv(nil))
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if err := c.Validate(); (err == nil) != tc.ok {
				t.Errorf("got %v, want ok=%t", err, tc.ok)
			}
		})
	}
}
