package modxtest_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/modx-amocrm/modx-amocrm/internal/config"
	"github.com/modx-amocrm/modx-amocrm/internal/crm"
	"github.com/modx-amocrm/modx-amocrm/internal/modx"
	"github.com/modx-amocrm/modx-amocrm/internal/modx/modxtest"
	"github.com/modx-amocrm/modx-amocrm/internal/transform"
)

// TestGenerateMarks: with Marks, orders carry UTM marks at the top of their
// properties or in amoCRMFields, and forms in their values, as PHP writes
// JSON; without it the shop is the same as before the option.
func TestGenerateMarks(t *testing.T) {
	o := modxtest.Options{Prefix: "modx_", Generation: modxtest.Gen4x, FormIt: true}
	g := modxtest.GenOptions{Orders: 200, Users: 30, Forms: 40, Seed: 3, Marks: true}
	raw, dsn, _ := generate(t, o, g)
	ctx := context.Background()
	var props []string
	if err := raw.SelectContext(ctx, &props, "SELECT properties FROM modx_ms2_orders WHERE properties IS NOT NULL"); err != nil {
		t.Fatal(err)
	}
	var top, element, tagged int
	for _, p := range props {
		if strings.Contains(p, "://") {
			t.Fatalf("properties %s: PHP writes / as \\/", p)
		}
		var v map[string]json.RawMessage
		if err := json.Unmarshal([]byte(p), &v); err != nil {
			t.Fatalf("properties %s: %v", p, err)
		}
		var fields map[string]string
		json.Unmarshal(v["amoCRMFields"], &fields)
		switch {
		case v["utm_source"] != nil:
			top++
		case fields["utm_source"] != "":
			element++
		}
		if fields["tags"] != "" {
			tagged++
		}
	}
	if top < 30 || element < 30 || tagged == 0 {
		t.Errorf("orders with marks at the top %d, in amoCRMFields %d, tagged %d: want many of each", top, element, tagged)
	}
	var values []string
	if err := raw.SelectContext(ctx, &values, "SELECT `values` FROM modx_formit_forms WHERE `values` LIKE '%utm_source%'"); err != nil {
		t.Fatal(err)
	}
	if len(values) < 10 {
		t.Errorf("%d forms with marks, want most of 40", len(values))
	}

	mapped := mapMarks(t, dsn, o)
	if mapped.orders < 50 || mapped.referrers == 0 || mapped.forms < 10 {
		t.Errorf("deals with tracking values: %+v; want most orders and forms, referrers read back unescaped", mapped)
	}

	plain, _, _ := generate(t, o, modxtest.GenOptions{Orders: 200, Users: 30, Forms: 40, Seed: 3})
	var n int
	if err := plain.GetContext(ctx, &n, "SELECT COUNT(*) FROM modx_ms2_orders WHERE properties LIKE '%utm%'"); err != nil || n != 0 {
		t.Errorf("without Marks %d orders have marks, %v", n, err)
	}
}

type markCounts struct{ orders, referrers, forms int }

// mapMarks reads the generated shop as the connector does and maps it to
// deals of an account with tracking fields, counting deals with values.
func mapMarks(t *testing.T, dsn string, o modxtest.Options) markCounts {
	t.Helper()
	ctx := context.Background()
	db, err := modx.Open(ctx, dsn, modx.Options{Prefix: o.Prefix})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	meta := transform.Meta{Pipelines: []crm.Pipeline{{ID: 1, Name: "Воронка", IsMain: true,
		Embedded: &crm.PipelineEmbedded{Statuses: []crm.Status{{ID: 11, Name: "Новый", Sort: 10}}}}}}
	for i, code := range []string{"UTM_SOURCE", "UTM_MEDIUM", "UTM_CAMPAIGN", "YCLID", "_YM_UID", "REFERRER"} {
		meta.LeadFields = append(meta.LeadFields, crm.CustomField{ID: int64(100 + i), Name: strings.ToLower(code), Code: code, Type: "tracking_data"})
	}
	cfg := config.Default()
	cfg.Orders.Fields, cfg.Orders.AddressFields = nil, nil
	cfg.Forms.AsLead = true
	m, err := transform.NewMapper(&cfg, meta)
	if err != nil {
		t.Fatal(err)
	}
	var c markCounts
	count := func(l *crm.Lead) bool {
		n := 0
		for _, f := range l.CustomFieldsValues {
			if f.FieldID >= 100 && f.FieldID < 106 {
				n++
			}
			if f.FieldID == 105 && strings.HasPrefix(f.Values[0].Value.(string), "https://") {
				c.referrers++
			}
		}
		return n > 0
	}
	ids := make([]int64, 200)
	for i := range ids {
		ids[i] = int64(i + 1)
	}
	orders, err := db.LoadOrders(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	for i := range orders {
		if d, err := m.Order(&orders[i]); err == nil && count(&d.Lead) {
			c.orders++
		}
	}
	forms, err := db.Forms(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	for i := range forms {
		values, err := transform.FormValues(forms[i].Values)
		if err != nil || forms[i].Encrypted {
			continue
		}
		if res, err := m.Form(&forms[i], values); err == nil && res.Lead != nil && count(res.Lead) {
			c.forms++
		}
	}
	return c
}

func TestQuantities(t *testing.T) {
	for _, gen := range []string{modxtest.Gen4x, modxtest.GenMS3} {
		t.Run(gen, func(t *testing.T) {
			o := modxtest.Options{Prefix: "modx_", Generation: gen}
			raw, _, _ := generate(t, o, modxtest.GenOptions{})
			ctx := context.Background()
			p := must(modxtest.InsertProduct(ctx, raw, o, modxtest.ProductSpec{}))(t)
			q := must(modxtest.InsertProduct(ctx, raw, o, modxtest.ProductSpec{}))(t)
			order := must(modxtest.InsertOrder(ctx, raw, o, modxtest.OrderSpec{Lines: []modxtest.LineSpec{
				{ProductID: p, Count: 2}, {ProductID: q}, {ProductID: p, Count: 3, Options: `{"size":"L"}`},
			}}))(t)
			got, err := modxtest.Quantities(ctx, raw, o)
			if err != nil {
				t.Fatal(err)
			}
			if g := got[order]; len(g) != 2 || g[p] != 5 || g[q] != 1 {
				t.Errorf("quantities of the order = %v, want %d: 5, %d: 1", g, p, q)
			}
		})
	}
}
