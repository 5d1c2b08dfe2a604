package main

import (
	"strings"
	"testing"

	"github.com/modx-amocrm/modx-amocrm/internal/modx/modxtest"
	"github.com/modx-amocrm/modx-amocrm/internal/sandbox"
	"github.com/modx-amocrm/modx-amocrm/internal/sandbox/sandboxtest"
)

// checkLine returns the status and detail of check's line name, "" when
// there is none.
func checkLine(out, name string) (status, detail string) {
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		if len(f) > 2 && f[1] == name {
			return f[0], strings.Join(f[2:], " ")
		}
	}
	return "", ""
}

const dealExtras = `
[orders.products]
enabled = true
[orders.task]
enabled = true
type = "Написать письмо"
[forms.task]
enabled = true
`

func TestCheckDealExtras(t *testing.T) {
	e := newShopEnv(t, modxtest.Options{})
	tests := []struct {
		name   string
		seed   *sandbox.Seed
		modes  sandbox.Modes
		extra  string
		line   string // check line
		status string
		want   string
	}{
		{name: "products list", extra: dealExtras, line: "products", status: "ok",
			want: `ordered products go to list "Товары" (7001, products) with SKU, PRICE and EXTERNAL_ID`},
		{name: "task types", extra: dealExtras, line: "tasks", status: "ok", want: "1 Связаться, 2 Встреча, 1520001 Написать письмо"},
		{name: "every id resolved", extra: dealExtras, line: "ids", status: "ok"},
		{name: "tracking fields", line: "tracking", status: "ok", want: "_ym_uid, fbclid, gclid, referrer, roistat, utm_campaign"},
		{name: "plan without lists", modes: sandbox.Modes{NoLists: true}, extra: dealExtras, line: "products", status: "FAIL",
			want: "orders.products is on, but amoCRM refused the lists: the account's plan has no lists (Extended plan and above)"},
		{name: "no products list", seed: sandbox.SeedWithoutProducts(), extra: dealExtras, line: "products", status: "FAIL",
			want: `the account has no products list: turn on «Товары» in amoCRM's settings, or name a list in orders.products.catalog; the account's lists: "Услуги" (regular)`},
		{name: "a regular list named", seed: sandbox.SeedWithoutProducts(), extra: "[orders.products]\nenabled = true\ncatalog = \"услуги\"\n",
			line: "products", status: "warn", want: `lacks the fields SKU, PRICE, EXTERNAL_ID: elements are sent without them and found again by our state alone`},
		{name: "unknown task type", extra: "[orders.task]\nenabled = true\ntype = \"Отчёт\"\n", line: "ids", status: "FAIL",
			want: `orders.task.type: no task type named "Отчёт" in the account; there are "Связаться", "Встреча", "Написать письмо"`},
		{name: "unknown tracking code", extra: "[orders.tracking]\npartner = \"PARTNER_ID\"\n", line: "ids", status: "FAIL",
			want: `orders.tracking."partner": the account has no lead field with code PARTNER_ID`},
		{name: "unknown placeholder", extra: "[orders.task]\ntext = \"Заказ {nomer}\"\n", line: "config", status: "FAIL",
			want: "orders.task.text: unknown placeholder {nomer} at character 7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.box, e.url = sandboxtest.Start(t, sandbox.Options{LongLivedTokens: []string{shopToken}, RPS: -1, Seed: tt.seed, Modes: tt.modes})
			_, out, _ := runMain(t, "check", "-config", e.config(tt.extra))
			status, detail := checkLine(out, tt.line)
			if status != tt.status || !strings.Contains(detail, tt.want) {
				t.Errorf("%s line: %s %q, want %s with %q\n%s", tt.line, status, detail, tt.status, tt.want, out)
			}
			if strings.Contains(out, shopToken) {
				t.Error("check printed the token")
			}
		})
	}
}

// TestCheckAsksNothingMore: with products and tasks off, check reads no
// list and no task type.
func TestCheckAsksNothingMore(t *testing.T) {
	e := newShopEnv(t, modxtest.Options{})
	runMain(t, "check", "-config", e.config(""))
	for _, r := range e.box.Requests() {
		if strings.HasPrefix(r.Path, "/api/v4/catalogs") || strings.Contains(r.Query, "task_types") {
			t.Errorf("check asked %s %s?%s with products and tasks off", r.Method, r.Path, r.Query)
		}
	}
}
