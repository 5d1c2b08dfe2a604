package shopstatus

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/crm"
	"github.com/modx-amocrm/modx-amocrm/internal/plan"
	"github.com/modx-amocrm/modx-amocrm/internal/shop"
	"github.com/modx-amocrm/modx-amocrm/internal/transform"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// The account: pipeline 1001 "Воронка" with Новый (20002), Переговоры
// (20003), Принимают решение (20004), Оплачен (20005), and 142; shop statuses as miniShop2 4.x seeds
// them (1 Новый, 2 Оплачен fixed, 3 Отправлен final, 4 Отменён final, 5
// draft, 7 inactive).
const (
	pipeline                    = 1001
	amoNew, amoTalks, amoPaid   = 20002, 20003, 20005
	shopNew, shopPaid, shopSent = 1, 2, 3
	lead                        = 30000001
)

var moveAt = time.Date(2026, 3, 1, 12, 0, 5, 0, time.UTC)

func testMeta() *transform.Meta {
	return &transform.Meta{
		Pipelines: []crm.Pipeline{{ID: pipeline, Name: "Воронка", Embedded: &crm.PipelineEmbedded{Statuses: []crm.Status{
			{ID: amoNew, Name: "Новый"}, {ID: amoTalks, Name: "Переговоры"}, {ID: 20004, Name: "Принимают решение"}, {ID: amoPaid, Name: "Оплачен"},
			{ID: crm.StatusWon, Name: "Успешно реализовано"},
		}}}},
		MS2Statuses: []shop.OrderStatus{
			{ID: 5, Name: "Черновик", Rank: 0, Active: true},
			{ID: shopNew, Name: "Новый", Rank: 1, Fixed: true, Active: true},
			{ID: shopPaid, Name: "Оплачен", Rank: 2, Fixed: true, Active: true},
			{ID: shopSent, Name: "Отправлен", Rank: 3, Final: true, Fixed: true, Active: true},
			{ID: 4, Name: "Отменён", Rank: 4, Final: true, Fixed: true, Active: true},
			{ID: 7, Name: "Архив", Rank: 5, Active: false},
		},
	}
}

// mapper leads amoCRM statuses back as the test says.
type mapper map[int64][]int64

func (m mapper) ShopStatus(p, s int64) []int64 {
	if p != pipeline {
		return nil
	}
	return m[s]
}

var back = mapper{amoNew: {shopNew}, amoPaid: {shopPaid}, crm.StatusWon: {shopSent}, 20004: {shopPaid, shopSent}, 20006: {7}}

func order(status int64, synced Synced) Order {
	return Order{OrderState: shop.OrderState{ID: 7, Num: "2603/7", Status: status, LastLogID: 41}, Synced: synced}
}

func TestBuild(t *testing.T) {
	syncedNew := Synced{Known: true, Amo: amoNew, Shop: shopNew}
	unsynced := func(status int64, changed time.Time) Order {
		o := order(status, Synced{})
		o.Changed = changed
		return o
	}
	tests := []struct {
		name      string
		order     Order
		to        int64 // the deal's status now
		write     int64 // the shop status written; 0: none
		settled   *Settled
		skip      string // part of the reason
		unchanged int
	}{
		{name: "a manager's move is followed", order: order(shopNew, syncedNew), to: amoPaid, write: shopPaid},
		{name: "the connector's own move is not", order: order(shopPaid, Synced{Known: true, Amo: amoPaid, Shop: shopPaid}), to: amoPaid, unchanged: 1},
		{name: "a move back to where the connector left it", order: order(shopNew, syncedNew), to: amoNew, unchanged: 1},
		{name: "a status with no way back is counted and remembered", order: order(shopNew, syncedNew), to: amoTalks,
			unchanged: 1, settled: &Settled{Order: 7, Amo: amoTalks, Shop: shopNew}},
		{name: "the order already there", order: order(shopPaid, Synced{Known: true, Amo: amoNew, Shop: shopPaid}), to: amoPaid,
			unchanged: 1, settled: &Settled{Order: 7, Amo: amoPaid, Shop: shopPaid}},
		{name: "ambiguous", order: order(shopNew, syncedNew), to: 20004, skip: "that leads back to shop statuses «Оплачен» and «Отправлен»: say which in shop_status.map",
			settled: &Settled{Order: 7, Amo: 20004, Shop: shopNew}},
		{name: "ambiguous, the shop changed it: not remembered", order: order(shopSent, syncedNew), to: 20004, skip: "that leads back to shop statuses"},
		{name: "the shop changed it since it was synced", order: order(shopSent, syncedNew), to: amoPaid,
			skip: "its status changed in the shop (to «Отправлен») since the connector last synced it: the shop wins"},
		{name: "unmapped, the shop changed it: not remembered", order: order(shopSent, syncedNew), to: amoTalks, unchanged: 1},
		{name: "never synced, changed in the shop after the move", order: unsynced(shopNew, moveAt.Add(time.Second)), to: amoPaid,
			skip: "changed in the shop at 2026-03-01 12:00:06 UTC, after the deal's move at 2026-03-01 12:00:05 UTC: the shop wins"},
		{name: "never synced, changed in the shop before the move", order: unsynced(shopNew, moveAt), to: amoPaid, write: shopPaid},
		{name: "a final status lets none follow", order: order(shopSent, Synced{Known: true, Amo: crm.StatusWon, Shop: shopSent}), to: amoPaid,
			skip: "«Отправлен» is final in the shop", settled: &Settled{Order: 7, Amo: amoPaid, Shop: shopSent}},
		{name: "a fixed status lets only later ones follow", order: order(shopPaid, Synced{Known: true, Amo: amoPaid, Shop: shopPaid}), to: amoNew,
			skip: "«Оплачен» is fixed in the shop: only a status ranked after it may follow, not «Новый»", settled: &Settled{Order: 7, Amo: amoNew, Shop: shopPaid}},
		{name: "an inactive status is no target", order: order(shopNew, syncedNew), to: 20006, skip: "shop status 7 is not an active status",
			settled: &Settled{Order: 7, Amo: 20006, Shop: shopNew}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mv := Move{Lead: lead, Pipeline: pipeline, Status: tt.to, At: moveAt}
			p := Build(back, testMeta(), []Move{mv}, map[int64][]Order{lead: {tt.order}, lead + 1: {order(shopNew, Synced{})}})
			var wrote int64
			if len(p.Changes) == 1 {
				wrote = p.Changes[0].To
			}
			if wrote != tt.write || len(p.Changes) > 1 {
				t.Errorf("writes %+v, want one to %d", p.Changes, tt.write)
			}
			var settled *Settled
			if len(p.Settled) == 1 {
				settled = &p.Settled[0]
			}
			if !reflect.DeepEqual(settled, tt.settled) {
				t.Errorf("settled %+v, want %+v", p.Settled, tt.settled)
			}
			var skip string
			if len(p.Skipped) == 1 {
				skip = p.Skipped[0].Reason
			}
			if tt.skip == "" && skip != "" || !strings.Contains(skip, tt.skip) {
				t.Errorf("skip reason %q, want one containing %q", skip, tt.skip)
			}
			if p.Unchanged != tt.unchanged {
				t.Errorf("unchanged %d, want %d", p.Unchanged, tt.unchanged)
			}
		})
	}
}

// TestBuildEveryLinkedOrder: a deal two orders are linked to moves both.
func TestBuildEveryLinkedOrder(t *testing.T) {
	a, b := order(shopNew, Synced{}), order(shopNew, Synced{})
	b.ID = 8
	p := Build(back, testMeta(), []Move{{Lead: lead, Pipeline: pipeline, Status: amoPaid, At: moveAt}}, map[int64][]Order{lead: {a, b}})
	if len(p.Changes) != 2 || p.Changes[0].Order.ID != 7 || p.Changes[1].Order.ID != 8 {
		t.Errorf("writes %+v, want orders 7 and 8", p.Changes)
	}
}

func TestLatest(t *testing.T) {
	ev := func(entity, at, to int64) crm.Event {
		return crm.Event{Type: crm.EventLeadStatusChanged, EntityType: "lead", EntityID: entity, CreatedAt: at,
			ValueAfter: []crm.EventValue{{LeadStatus: &crm.LeadStatus{ID: to, PipelineID: pipeline}}}}
	}
	l := NewLatest()
	l.Add([]crm.Event{ev(1, 300, amoPaid), ev(1, 100, amoNew), ev(2, 100, amoPaid), ev(4, 100, amoPaid)})
	l.Add([]crm.Event{ev(1, 200, amoTalks), ev(4, 100, amoNew), // deal 4: two moves in one second
		{Type: "lead_added", EntityType: "lead", EntityID: 3, CreatedAt: 400}})
	if got := l.Leads(); !reflect.DeepEqual(got, []int64{1, 2, 4}) {
		t.Errorf("leads %v, want 1, 2, 4 (deal 3 was only created)", got)
	}
	live := []crm.Lead{{ID: 1, PipelineID: pipeline, StatusID: amoPaid}, {ID: 3, PipelineID: pipeline, StatusID: amoNew}}
	want := []Move{{Lead: 1, Pipeline: pipeline, Status: amoPaid, At: time.Unix(300, 0).UTC()}}
	if got := l.Moves(live); !reflect.DeepEqual(got, want) {
		t.Errorf("moves %+v, want %+v (deal 2 is gone, deal 3 was not moved)", got, want)
	}

	there, elsewhere := Synced{Known: true, Amo: amoPaid, Shop: shopPaid}, Synced{Known: true, Amo: amoNew, Shop: shopNew}
	for _, tt := range []struct {
		name   string
		lead   int64
		synced []Synced
		want   bool
	}{
		{"where it was left", 1, []Synced{there}, true},
		{"every order where it was left", 1, []Synced{there, there}, true},
		{"one order elsewhere", 1, []Synced{there, elsewhere}, false},
		{"never synced", 1, []Synced{{}}, false},
		{"two moves in its newest second", 4, []Synced{there}, false},
		{"a deal with no event", 9, []Synced{there}, false},
	} {
		if got := l.WhereLeft(tt.lead, tt.synced); got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestMarker(t *testing.T) {
	w := &Write{Order: order(shopNew, Synced{}), Move: Move{Status: amoPaid}, To: shopPaid}
	m := w.Marker(moveAt)
	got, err := ParseMarker(7, m.Key())
	if err != nil || got != m || m != (Marker{Order: 7, From: shopNew, To: shopPaid, Amo: amoPaid, AfterLog: 41, At: moveAt.Unix()}) {
		t.Errorf("marker %+v read back as %+v, %v", m, got, err)
	}
	if _, err := ParseMarker(7, "2501/7"); err == nil {
		t.Error("a key of another kind read as a marker")
	}
	other := moveAt.Add(-time.Hour)
	for _, tt := range []struct {
		name    string
		status  int64
		updated time.Time
		logged  bool
		gone    bool
		want    Step
	}{
		{"the write never started", shopNew, other, false, false, Drop},
		{"status written, no log row", shopPaid, moveAt, false, false, LogThenLink},
		{"both written", shopPaid, moveAt, true, false, Link},
		{"the shop itself moved it there", shopPaid, other, false, false, Drop},
		{"moved on in the shop since", shopSent, moveAt, false, false, Drop},
		{"the order was deleted", 0, time.Time{}, false, true, Drop},
	} {
		o := &shop.OrderState{ID: 7, Status: tt.status, UpdatedOn: tt.updated}
		if tt.gone {
			o = nil
		}
		if got := Resume(m, o, tt.logged).Step; got != tt.want {
			t.Errorf("%s: step %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestWrites(t *testing.T) {
	p := New(testMeta())
	written := &Write{Order: order(shopNew, Synced{}), Move: Move{Status: amoPaid}, To: shopPaid, LogID: 99}
	moved := &Write{Order: order(shopNew, Synced{}), Move: Move{Status: amoPaid}, To: shopPaid, Moved: true}
	moved.Order.ID = 8
	p.Changes = []*Write{written, moved}
	p.Settled = []Settled{{Order: 9, Amo: amoTalks, Shop: shopNew}}
	p.Resumed = []*Resumed{{Marker: Marker{Order: 10, To: shopPaid, Amo: amoPaid}, Step: LogThenLink}, {Marker: Marker{Order: 11}, Step: Drop}}
	w := p.Writes()
	wantLinks := []plan.Link{
		{Kind: plan.LinkOrderStatus, SourceID: 7, AmoID: amoPaid, Hash: "2"},
		{Kind: plan.LinkOrderStatus, SourceID: 9, AmoID: amoTalks, Hash: "1"},
		{Kind: plan.LinkOrderStatus, SourceID: 10, AmoID: amoPaid, Hash: "2"},
	}
	if !reflect.DeepEqual(w.Links, wantLinks) {
		t.Errorf("links %+v, want %+v", w.Links, wantLinks)
	}
	if want := map[string][]int64{MarkerKind: {7, 8, 10, 11}}; !reflect.DeepEqual(w.Cleared, want) {
		t.Errorf("cleared markers %v, want %v", w.Cleared, want)
	}
}

// TestEntries renders every kind of entry the direction reports.
func TestEntries(t *testing.T) {
	mv := Move{Lead: lead, Pipeline: pipeline, Status: amoPaid, At: moveAt}
	noNum := order(shopNew, Synced{})
	noNum.ID, noNum.Num = 8, ""
	p := Build(back, testMeta(), []Move{mv, {Lead: lead + 1, Pipeline: pipeline, Status: 20004, At: moveAt}},
		map[int64][]Order{lead: {order(shopNew, Synced{}), noNum}, lead + 1: {order(shopNew, Synced{})}})
	p.Changes[1].Moved = true
	p.Resumed = []*Resumed{Resume(Marker{Order: 9, From: shopPaid, To: shopSent, At: moveAt.Unix()},
		&shop.OrderState{ID: 9, Num: "2603/9", Status: shopSent, UpdatedOn: moveAt}, false)}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(p.Entries()); err != nil {
		t.Fatal(err)
	}
	const golden = "testdata/entries.golden"
	if *update {
		if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b.Bytes(), want) {
		t.Errorf("entries differ from %s (go test -update to accept):\n%s", golden, b.Bytes())
	}
}
