package modx_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/modx-amocrm/modx-amocrm/internal/modx/modxtest"
)

func TestSettingsContextOverride(t *testing.T) {
	o := modxtest.Options{Prefix: "modx_", SiteURL: "https://www.shop.example/"}
	db, raw := newShop(t, o)
	ctx := context.Background()
	for k, v := range map[string]string{"amocrm_account": "old", "amocrm_pipeline_id": "12", "amocrm_x": ""} {
		if err := modxtest.SetSetting(ctx, raw, o, k, v); err != nil {
			t.Fatal(err)
		}
	}
	if err := modxtest.SetContextSetting(ctx, raw, o, "web", "amocrm_account", "web"); err != nil {
		t.Fatal(err)
	}
	if err := modxtest.SetContextSetting(ctx, raw, o, "mgr", "amocrm_pipeline_id", "99"); err != nil {
		t.Fatal(err)
	}

	got := must(db.Settings(ctx, "amocrm_account", "amocrm_pipeline_id", "missing"))(t)
	want := map[string]string{"amocrm_account": "web", "amocrm_pipeline_id": "12"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Settings: got %v, want %v", got, want)
	}
	got = must(db.SettingsLike(ctx, `amocrm\_%`))(t)
	want["amocrm_x"] = ""
	if !reflect.DeepEqual(got, want) {
		t.Errorf("SettingsLike: got %v, want %v", got, want)
	}
	site := must(db.Site(ctx))(t)
	if site.Name != "Магазин" || site.Host != "www.shop.example" {
		t.Errorf("site: got %+v", site)
	}
}
