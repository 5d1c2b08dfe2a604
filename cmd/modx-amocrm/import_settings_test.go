package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"

	"github.com/jmoiron/sqlx"

	"github.com/modx-amocrm/modx-amocrm/internal/config"
	"github.com/modx-amocrm/modx-amocrm/internal/modx"
	"github.com/modx-amocrm/modx-amocrm/internal/modx/modxtest"
	"github.com/modx-amocrm/modx-amocrm/internal/site"
	"github.com/modx-amocrm/modx-amocrm/internal/testdb"
)

// createSettingsTables builds MODX's settings tables (reference §2.5).
func createSettingsTables(t *testing.T, db *sqlx.DB, prefix string, withContexts bool) {
	t.Helper()
	testdb.Exec(t, db, fmt.Sprintf("CREATE TABLE `%ssystem_settings` (\n"+
		"`key` varchar(50) NOT NULL DEFAULT '', `value` text NOT NULL, xtype varchar(75) NOT NULL DEFAULT 'textfield',\n"+
		"namespace varchar(40) NOT NULL DEFAULT 'core', area varchar(255) NOT NULL DEFAULT '',\n"+
		"editedon timestamp NULL DEFAULT NULL ON UPDATE CURRENT_TIMESTAMP, PRIMARY KEY (`key`))", prefix))
	if withContexts {
		testdb.Exec(t, db, fmt.Sprintf("CREATE TABLE `%scontext_setting` (\n"+
			"context_key varchar(191) NOT NULL, `key` varchar(50) NOT NULL, `value` mediumtext, xtype varchar(75) NOT NULL DEFAULT 'textfield',\n"+
			"namespace varchar(40) NOT NULL DEFAULT 'core', area varchar(255) NOT NULL DEFAULT '',\n"+
			"editedon timestamp NULL DEFAULT NULL ON UPDATE CURRENT_TIMESTAMP, PRIMARY KEY (context_key, `key`))", prefix))
	}
}

func insertSettings(t *testing.T, db *sqlx.DB, table string, contextKey string, settings map[string]string) {
	t.Helper()
	for k, v := range settings {
		var err error
		if contextKey == "" {
			_, err = db.Exec("INSERT INTO `"+table+"` (`key`, `value`, namespace) VALUES (?, ?, 'amocrm')", k, v)
		} else {
			_, err = db.Exec("INSERT INTO `"+table+"` (context_key, `key`, `value`, namespace) VALUES (?, ?, ?, 'amocrm')", contextKey, k, v)
		}
		if err != nil {
			t.Fatalf("insert %s: %v", k, err)
		}
	}
}

// extraDefaults are the rows the extra's 1.9.3 package installs.
func extraDefaults() map[string]string {
	out := map[string]string{}
	for _, st := range modxtest.OldExtraSettings {
		out[st.Key] = st.Value
	}
	return out
}

func importSettings(t *testing.T, args ...string) (stdout string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err = runImportSettings(context.Background(), IO{Stdout: &out, Stderr: &errOut}, args)
	return out.String(), err
}

func parseImported(t *testing.T, data []byte) *config.Config {
	t.Helper()
	t.Setenv(config.EnvCredentialsDir, "")
	for _, s := range config.SecretSources() {
		t.Setenv(s.Env, "")
	}
	cfg, err := site.ParseConfig(data, "imported.toml")
	if err != nil {
		t.Fatalf("parse the output: %v\n%s", err, data)
	}
	return cfg
}

func TestImportSettingsExtraDefaults(t *testing.T) {
	db, dsn := testdb.New(t)
	const prefix = "modx_partners" // no trailing "_", as on real shops
	createSettingsTables(t, db, prefix, false)
	insertSettings(t, db, prefix+"system_settings", "", extraDefaults())
	insertSettings(t, db, prefix+"system_settings", "", map[string]string{"site_name": "not ours"})

	path := filepath.Join(t.TempDir(), "config.toml")
	if _, err := importSettings(t, "-dsn", dsn, "-prefix", prefix, "-o", path); err != nil {
		t.Fatalf("import-settings: %v", err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := info.Mode().Perm(); got != 0o600 {
		t.Errorf("mode: got %v, want 0600", got)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg := parseImported(t, data)
	if cfg.MODX.TablePrefix != prefix {
		t.Errorf("modx.table_prefix: got %q, want %q", cfg.MODX.TablePrefix, prefix)
	}
	// The same server, user and database, but never the password.
	got, err := mysql.ParseDSN(cfg.MODX.DSN)
	if err != nil {
		t.Fatalf("modx.dsn %q: %v", cfg.MODX.DSN, err)
	}
	want, _ := mysql.ParseDSN(dsn)
	if got.User != want.User || got.Addr != want.Addr || got.DBName != want.DBName || got.Passwd != "" {
		t.Errorf("modx.dsn: got %q, want %q without its password", cfg.MODX.DSN, dsn)
	}
	if want.Passwd != "" && strings.Contains(string(data), ":"+want.Passwd+"@") {
		t.Error("the config holds the -dsn password")
	}
	if !cfg.Orders.StatusID.IsZero() || cfg.Sync.Start != "now" || !cfg.Contacts.SkipEmpty || cfg.Users.Enabled {
		t.Errorf("got status %v, start %q, skip_empty %t, users %t", cfg.Orders.StatusID, cfg.Sync.Start, cfg.Contacts.SkipEmpty, cfg.Users.Enabled)
	}
	// "телефон" is the phone field by its Russian name: not a key of ours.
	if got, want := cfg.Contacts.EnumTypes, map[string]string{"phone": "WORK", "email": "WORK"}; !reflect.DeepEqual(got, want) {
		t.Errorf("enum_types: got %v, want %v", got, want)
	}
	// A fresh install has no account and no credentials: exactly that is missing.
	err = cfg.Validate()
	if err == nil {
		t.Fatal("validate: got no error for a config without account or credentials")
	}
	for _, line := range strings.Split(err.Error(), "\n") {
		if !strings.Contains(line, "amocrm.account") && !strings.Contains(line, "amocrm.client_id") {
			t.Errorf("validate: unexpected problem %q", line)
		}
	}
	if _, err := importSettings(t, "-dsn", dsn, "-prefix", prefix, "-o", path); err == nil || !strings.Contains(err.Error(), "file exists") {
		t.Errorf("second run: got %v, want a refusal to overwrite", err)
	}
}

func TestImportSettingsRealSetup(t *testing.T) {
	db, dsn := testdb.New(t)
	createSettingsTables(t, db, "modx_", true)
	insertSettings(t, db, "modx_system_settings", "", map[string]string{
		"amocrm_account":                          "supershop",
		"amocrm_client_id":                        "0b9d2f7e-4c1a-4f3e-9a55-3f0c8e1d2b6a",
		"amocrm_client_secret":                    "SeCrEt-value-42",
		"amocrm_token_field":                      `{"token_type":"Bearer","access_token":"TOKEN-SHOULD-NOT-APPEAR"}`,
		"amocrm_pipeline_id":                      "1480825",
		"amocrm_new_order_status_id":              "22834243",
		"amocrm_form_as_lead":                     "1",
		"amocrm_form_pipeline_id":                 "1480826",
		"amocrm_form_status_new":                  "22834250",
		"amocrm_save_user_in_mgr":                 "0",
		"amocrm_save_user_by_profile":             "1",
		"amocrm_skip_empty_fields":                "",
		"amocrm_use_simple_queue":                 "1",
		"amocrm_order_fields":                     "weight, delivery_cost, goods, payment",
		"amocrm_order_address_fields":             "phone,  city, street ",
		"amocrm_user_fields":                      "phone==Телефон||email||fullname",
		"amocrm_categories_pipelines":             `{"31":{"pipeline_id":1480830,"status_id":22834300,"responsible_user_id":2956360},"5":{"pipeline_id":"1480831","status_id":"","responsible_user_id":""},"17":{"pipeline_id":1480832}}`,
		"amocrm_responsible_id_priority_category": "0",
		"amocrm_default_responsible_user_id":      "2956361",
		"amocrm_form_filled_fields":               "phone, name",
		"site_url":                                "https://supershop.ru/",
		"date_timezone":                           "Europe/Moscow",
	})
	// The web context overrides; other contexts do not count.
	insertSettings(t, db, "modx_context_setting", "web", map[string]string{"amocrm_pipeline_id": "1480899"})
	insertSettings(t, db, "modx_context_setting", "mgr", map[string]string{"amocrm_account": "wrong"})

	out, err := importSettings(t, "-dsn", dsn)
	if err != nil {
		t.Fatalf("import-settings: %v", err)
	}
	if strings.Contains(out, "TOKEN-SHOULD-NOT-APPEAR") {
		t.Error("the output contains the old token")
	}
	cfg := parseImported(t, []byte(out))
	if err := cfg.Validate(); err != nil {
		t.Fatalf("validate: %v\n%s", err, out)
	}
	checks := []struct {
		key       string
		got, want any
	}{
		{"amocrm.account", cfg.AmoCRM.Account, "supershop"},
		{"amocrm.client_secret", cfg.AmoCRM.ClientSecret, "SeCrEt-value-42"},
		{"amocrm.redirect_uri", cfg.AmoCRM.RedirectURI, "https://supershop.ru/"},
		{"amocrm.default_responsible_user_id", cfg.AmoCRM.DefaultResponsibleUserID, config.IDRef{ID: 2956361}},
		{"modx.timezone", cfg.MODX.Timezone, "Europe/Moscow"},
		{"orders.pipeline_id", cfg.Orders.PipelineID, config.IDRef{ID: 1480899}},
		{"orders.status_id", cfg.Orders.StatusID, config.IDRef{ID: 22834243}},
		{"orders.responsible_priority", cfg.Orders.ResponsiblePriority, config.PriorityOrder},
		{"forms.as_lead", cfg.Forms.AsLead, true},
		{"forms.pipeline_id", cfg.Forms.PipelineID, config.IDRef{ID: 1480826}},
		{"users.enabled", cfg.Users.Enabled, true},
		{"contacts.skip_empty", cfg.Contacts.SkipEmpty, false},
		{"sync.start", cfg.Sync.Start, "now"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.key, c.got, c.want)
		}
	}
	lists := []struct {
		key       string
		got, want []string
	}{
		{"orders.fields", cfg.Orders.Fields, []string{"weight", "delivery_cost", "goods", "payment"}},
		{"orders.address_fields", cfg.Orders.AddressFields, []string{"phone", "city", "street"}},
		{"contacts.fields", cfg.Contacts.Fields, []string{"phone", "email", "fullname", "mobilephone"}},
		{"forms.required_fields", cfg.Forms.RequiredFields, []string{"phone", "name"}},
	}
	for _, l := range lists {
		if !reflect.DeepEqual(l.got, l.want) {
			t.Errorf("%s: got %q, want %q", l.key, l.got, l.want)
		}
	}
	want := []config.CategoryRule{
		{ID: 31, PipelineID: config.IDRef{ID: 1480830}, StatusID: config.IDRef{ID: 22834300}, ResponsibleUserID: config.IDRef{ID: 2956360}},
		{ID: 5, PipelineID: config.IDRef{ID: 1480831}},
		{ID: 17, PipelineID: config.IDRef{ID: 1480832}},
	}
	if !reflect.DeepEqual(cfg.Orders.Category, want) {
		t.Errorf("orders.category: got %+v, want %+v (JSON order)", cfg.Orders.Category, want)
	}
	for _, s := range config.LegacySettings() {
		if !strings.Contains(out, "# "+s.Name+" = ") {
			t.Errorf("no comment says what became of %s", s.Name)
		}
	}
	for _, remark := range []string{"renames are not supported", "obsolete"} {
		if !strings.Contains(out, remark) {
			t.Errorf("output lacks the remark %q", remark)
		}
	}
}

// MODX 3 keeps system_settings and context_setting as they were, so the old
// extra's settings carried over to a MiniShop3 site import the same way, and
// the imported config finds the shop.
func TestImportSettingsOnMODX3(t *testing.T) {
	db, dsn := testdb.New(t)
	shop := modxtest.Options{Prefix: "modx_", Generation: modxtest.GenMS3, FormIt: true}
	if err := modxtest.Create(context.Background(), db, shop); err != nil {
		t.Fatal(err)
	}
	insertSettings(t, db, "modx_system_settings", "", map[string]string{
		"amocrm_account": "supershop", "amocrm_client_id": "0b9d2f7e-4c1a-4f3e-9a55-3f0c8e1d2b6a",
		"amocrm_client_secret": "SeCrEt-value-42", "amocrm_pipeline_id": "1480825",
		"amocrm_order_fields": "weight,goods", "amocrm_form_as_lead": "1", "amocrm_form_pipeline_id": "1480826",
	})
	insertSettings(t, db, "modx_context_setting", "web", map[string]string{"amocrm_pipeline_id": "1480899"})

	out, err := importSettings(t, "-dsn", dsn)
	if err != nil {
		t.Fatalf("import-settings: %v", err)
	}
	cfg := parseImported(t, []byte(out))
	if err := cfg.Validate(); err != nil {
		t.Fatalf("validate: %v\n%s", err, out)
	}
	if cfg.AmoCRM.Account != "supershop" || cfg.Orders.PipelineID != (config.IDRef{ID: 1480899}) || !cfg.Forms.AsLead ||
		!reflect.DeepEqual(cfg.Orders.Fields, []string{"weight", "goods"}) || cfg.MODX.Timezone != "Europe/Moscow" {
		t.Errorf("got account %q, pipeline %v, forms.as_lead %t, orders.fields %q, timezone %q",
			cfg.AmoCRM.Account, cfg.Orders.PipelineID, cfg.Forms.AsLead, cfg.Orders.Fields, cfg.MODX.Timezone)
	}
	if cfg.MODX.Shop != config.ShopAuto {
		t.Errorf("modx.shop: got %q, want %q", cfg.MODX.Shop, config.ShopAuto)
	}
	cfg.MODX.DSN = dsn // with the password, which the import leaves out of the file
	src := site.New(cfg, site.Options{})
	defer src.Close()
	if err := src.OpenShop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s, err := src.Shop.Detect(context.Background()); err != nil || s.Shop != modx.ShopMiniShop3 {
		t.Errorf("the imported config reads %+v, %v; want MiniShop3", s, err)
	}
}

func TestImportSettingsUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no dsn", nil, "-dsn is required"},
		{"prefix with SQL", []string{"-dsn", "u@tcp(h:3306)/db", "-prefix", "modx_`; DROP"}, "-prefix: want letters, digits and _ only"},
		{"bad dsn", []string{"-dsn", "nonsense"}, "-dsn: "},
		{"extra argument", []string{"-dsn", "u@tcp(h:3306)/db", "more"}, `unexpected argument "more": this command takes only flags`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			code := Main(context.Background(), append([]string{"import-settings"}, tc.args...), &bytes.Buffer{}, &stderr)
			if code != exitUsage || !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("got exit %d, %q; want exit %d and %q", code, stderr.String(), exitUsage, tc.want)
			}
		})
	}
}

// TestImportSettingsWarnsStatusMap: category pipelines without a status map
// are warned about on stderr and in the file, whose comments explain each
// decision that differs from the old settings.
func TestImportSettingsWarnsStatusMap(t *testing.T) {
	db, dsn := testdb.New(t)
	createSettingsTables(t, db, "modx_", false)
	insertSettings(t, db, "modx_system_settings", "", map[string]string{
		"amocrm_categories_pipelines": `{"31":{"pipeline_id":1480830}}`,
		"amocrm_form_as_lead":         "1",
	})
	var out, errOut bytes.Buffer
	if err := runImportSettings(context.Background(), IO{Stdout: &out, Stderr: &errOut}, []string{"-dsn", dsn}); err != nil {
		t.Fatal(err)
	}
	cfg := parseImported(t, out.Bytes())
	want := "modx-amocrm import-settings: warning: " + config.StatusMapWarning(cfg) + "\n"
	if errOut.String() != want || !strings.HasPrefix(want, "modx-amocrm import-settings: warning: deals go to the pipelines of category rules") {
		t.Errorf("stderr %q, want %q", errOut.String(), want)
	}
	for _, comment := range []string{
		"# WARNING: deals go to the pipelines of category rules",
		"# forms.enabled = false although amocrm_form_as_lead is on:",
		"# sync.start = \"now\", where the extra simply sent what happened next",
		"`modx-amocrm run -once -since all`",
	} {
		if !strings.Contains(out.String(), comment) {
			t.Errorf("the config lacks the comment %q", comment)
		}
	}
}

// TestImportSettingsWithoutTheExtra: a database the old extra was never
// installed in says so, and the config still comes out, with the defaults.
func TestImportSettingsWithoutTheExtra(t *testing.T) {
	db, dsn := testdb.New(t)
	createSettingsTables(t, db, "modx_", false)
	insertSettings(t, db, "modx_system_settings", "", map[string]string{"site_url": "https://shop.example/"})
	var out, errOut bytes.Buffer
	if err := runImportSettings(context.Background(), IO{Stdout: &out, Stderr: &errOut}, []string{"-dsn", dsn}); err != nil {
		t.Fatal(err)
	}
	want := "modx-amocrm import-settings: no amocrm_* setting in modx_system_settings: the old extra is not installed " +
		"in this database, so the config has the defaults; fill in [amocrm] and the rest as config.example.toml explains\n"
	if errOut.String() != want {
		t.Errorf("stderr %q, want %q", errOut.String(), want)
	}
	if cfg := parseImported(t, out.Bytes()); cfg.AmoCRM.RedirectURI != "https://shop.example/" {
		t.Errorf("redirect_uri %q, want site_url's", cfg.AmoCRM.RedirectURI)
	}
}
