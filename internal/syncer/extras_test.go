package syncer_test

import (
	"cmp"
	"database/sql"
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/modx-amocrm/modx-amocrm/internal/config"
	"github.com/modx-amocrm/modx-amocrm/internal/modx/modxtest"
	"github.com/modx-amocrm/modx-amocrm/internal/plan"
	"github.com/modx-amocrm/modx-amocrm/internal/sandbox"
	"github.com/modx-amocrm/modx-amocrm/internal/sandbox/sandboxtest"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer"
)

// extrasOn turns on products and both tasks.
func extrasOn(c *config.Config) {
	c.Orders.Products.Enabled, c.Orders.Task.Enabled, c.Forms.Task.Enabled = true, true, true
}

// checkExtras holds amoCRM against the shop: each order's deal links
// exactly its order's products (by external id) with their quantities, and
// every deal has exactly one task.
func (h *harness) checkExtras(t *testing.T, orders []int64) {
	t.Helper()
	h.checkProducts(t, orders)
	tasks := map[int64]int{}
	for _, tk := range h.box.Tasks() {
		if tk.EntityType == "leads" {
			tasks[tk.EntityID]++
		}
	}
	for _, l := range h.box.Leads() {
		if n := tasks[l.ID]; n != 1 {
			t.Errorf("deal %d %q has %d tasks, want 1", l.ID, l.Name, n)
		}
	}
}

// checkProducts holds each order's deal against the shop: it links exactly
// its order's products (by external id) with their quantities.
func (h *harness) checkProducts(t *testing.T, orders []int64) {
	t.Helper()
	deals, err := sandboxtest.Deals(h.box, "MODX_ORDER")
	if err != nil {
		t.Fatal(err)
	}
	quantities, err := modxtest.Quantities(h.ctx, h.db, h.shop)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range orders {
		d, ok := deals[strconv.FormatInt(id, 10)]
		if !ok {
			continue // checkOnce names it
		}
		want := map[string]float64{}
		for p, n := range quantities[id] {
			want[strconv.FormatInt(p, 10)] = n
		}
		if !maps.Equal(d.Products, want) || d.Unknown > 0 {
			t.Errorf("order %d: deal %d links %v (%d unknown elements), want %v", id, d.LeadID, d.Products, d.Unknown, want)
		}
	}
}

// TestDealExtras is issue 22's end to end: a generated shop with repeat
// customers, categories and UTM marks in order properties and in forms runs
// with products, both tasks, tags, category rules with tags and a name
// template on. Every order's deal links its order's products with their
// quantities, carries its UTM source, its tags and its name, and has one
// task, as does every form's deal; a second pass writes nothing.
func TestDealExtras(t *testing.T) {
	forEachShop(t, modxtest.Options{FormIt: true}, func(t *testing.T, shop modxtest.Options) {
		h := newHarness(t, shop, func(c *config.Config) {
			extrasOn(c)
			c.Forms.Enabled, c.Forms.AsLead = true, true
			c.Orders.Tags, c.Forms.Tags = []string{"сайт"}, []string{"заявка"}
			c.Orders.LeadName = "{site_name}: заказ {num}"
		})
		ds, err := modxtest.Generate(h.ctx, h.db, modxtest.GenOptions{Prefix: "modx_", Generation: shop.Generation,
			Orders: 300, Users: 40, Forms: 30, Seed: 5, Marks: true})
		if err != nil {
			t.Fatal(err)
		}
		rules := map[string]string{"Оптовые продажи": "опт", "Сервис": "сервис"} // pipeline -> its rule's tag
		h.cfg.Orders.Category = []config.CategoryRule{
			{ID: int(ds.TopCategories[0]), PipelineID: config.IDRef{Name: "Оптовые продажи"}, Tags: []string{"опт"}},
			{ID: int(ds.TopCategories[1]), PipelineID: config.IDRef{Name: "Сервис"}, Tags: []string{"сервис"}},
		}
		res := h.pass(syncer.PassOptions{})
		t.Logf("%s; requests %v", res.Summary(), requestsByPath(h.box))

		var orders []struct {
			ID         int64
			Num        sql.NullString
			Properties sql.NullString
		}
		if err := h.db.Select(&orders, "SELECT id, num, properties FROM "+h.table("orders")); err != nil {
			t.Fatal(err)
		}
		deals, err := sandboxtest.Deals(h.box, "MODX_ORDER")
		if err != nil {
			t.Fatal(err)
		}
		leads := map[int64]sandbox.LeadState{}
		for _, l := range h.box.Leads() {
			leads[l.ID] = l
		}
		pipelines := map[int64]string{}
		for _, p := range h.box.Pipelines() {
			pipelines[p.ID] = p.Name
		}
		var ids []int64
		tagged, marked := map[string]int{}, 0
		for _, o := range orders {
			d, ok := deals[strconv.FormatInt(o.ID, 10)]
			if !ok {
				continue // not placed, or parked with its reason
			}
			ids = append(ids, o.ID)
			l := leads[d.LeadID]
			if want := "Магазин: заказ " + o.Num.String; l.Name != want {
				t.Errorf("order %d: deal named %q, want %q", o.ID, l.Name, want)
			}
			wantTags := []string{"сайт"}
			if tag := rules[pipelines[l.PipelineID]]; tag != "" {
				wantTags = append(wantTags, tag)
			}
			if !sameSet(d.Tags, wantTags) {
				t.Errorf("order %d in %q: tags %v, want %v", o.ID, pipelines[l.PipelineID], d.Tags, wantTags)
			}
			tagged[strings.Join(d.Tags, ",")]++
			if got, want := fieldText(l.CustomFieldsValues, "UTM_SOURCE"), utmSource(t, o.Properties.String); got != want {
				t.Errorf("order %d: UTM_SOURCE %q, want %q", o.ID, got, want)
			} else if want != "" {
				marked++
			}
			if want := "Связаться с покупателем: заказ " + o.Num.String; len(d.Tasks) != 1 || d.Tasks[0].Text != want {
				t.Errorf("order %d: tasks %+v, want one %q", o.ID, d.Tasks, want)
			}
		}
		h.checkExtras(t, ids)
		if len(tagged) < 3 || marked == 0 || len(h.box.Elements()) == 0 {
			t.Errorf("the shop proves less than it should: deals by tags %v, %d with a UTM source, %d elements", tagged, marked, len(h.box.Elements()))
		}
		forms, err := sandboxtest.Deals(h.box, "MODX_FORM")
		if err != nil {
			t.Fatal(err)
		}
		if len(forms) == 0 {
			t.Error("no form made a deal")
		}
		for key, d := range forms {
			if !sameSet(d.Tags, []string{"заявка"}) || len(d.Tasks) != 1 {
				t.Errorf("%s: tags %v, %d tasks; want [заявка] and one task", key, d.Tags, len(d.Tasks))
			}
		}
		again := h.pass(syncer.PassOptions{})
		for _, kind := range []string{"lead", "contact", "element", "products", "task"} {
			if n := again.Count(kind, plan.Create); n > 0 {
				t.Errorf("second pass creates %d %s: %s", n, kind, again.Summary())
			}
		}
	})
}

// table is the name of one of the shop's tables.
func (h *harness) table(name string) string {
	if h.shop.Generation == modxtest.GenMS3 {
		return h.shop.Prefix + "ms3_" + name
	}
	return h.shop.Prefix + "ms2_" + name
}

// utmSource is the utm_source an order's properties hold, at the top or
// under amoCRMFields (as the generator writes them).
func utmSource(t *testing.T, properties string) string {
	t.Helper()
	var p struct {
		UTMSource string `json:"utm_source"`
		Fields    struct {
			UTMSource string `json:"utm_source"`
		} `json:"amoCRMFields"`
	}
	if properties == "" {
		return ""
	}
	if err := json.Unmarshal([]byte(properties), &p); err != nil {
		t.Fatalf("properties %q: %v", properties, err)
	}
	return cmp.Or(p.UTMSource, p.Fields.UTMSource)
}

func sameSet(a, b []string) bool {
	return slices.Equal(slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b)))
}
