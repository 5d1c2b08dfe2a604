package plan

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/modx-amocrm/modx-amocrm/internal/config"
	"github.com/modx-amocrm/modx-amocrm/internal/crm"
	"github.com/modx-amocrm/modx-amocrm/internal/transform"
)

func elementLink(lead, element int64, q float64) crm.Link {
	return crm.Link{EntityID: lead, ToEntityID: element, ToEntityType: crm.LinkCatalogElements,
		Metadata: &crm.LinkMetadata{CatalogID: catalogID, Quantity: q}}
}

func linksText(ls []crm.Link) string {
	var out []string
	for _, l := range ls {
		q := 0.0
		if l.Metadata != nil {
			q = l.Metadata.Quantity
		}
		out = append(out, fmt.Sprintf("%d×%g", l.ToEntityID, q))
	}
	return strings.Join(out, " ")
}

// TestRelinks: without a read-back the deal has what it was last sent, so
// the dropped elements go and the wanted ones come; with one, only what
// still differs is sent, and a dropped element that is gone is not unlinked
// again (a strict account refuses that).
func TestRelinks(t *testing.T) {
	want := []crm.Link{elementLink(9, 1, 2), elementLink(9, 2, 5)} // 1 added, 2 requantified 3 -> 5
	drop := []crm.Link{elementLink(9, 2, 0), elementLink(9, 3, 0)} // 2 requantified, 3 removed
	have := func(qs ...float64) []crm.ElementLink {
		var out []crm.ElementLink
		for i := 0; i+1 < len(qs); i += 2 {
			out = append(out, crm.ElementLink{ID: int64(qs[i]), Metadata: crm.LinkMetadata{Quantity: qs[i+1]}})
		}
		return out
	}
	for _, c := range []struct {
		name         string
		have         []crm.ElementLink
		read         bool
		unlink, link string
	}{
		{"not read", nil, false, "2×0 3×0", "1×2 2×5"},
		{"nothing sent yet", have(2, 3, 3, 1), true, "2×5 3×0", "1×2 2×5"},
		{"unlinks sent", nil, true, "", "1×2 2×5"},
		{"all sent", have(1, 2, 2, 5), true, "", ""},
		{"links half sent", have(1, 2, 3, 1), true, "3×0", "2×5"},
		{"quantity added up", have(1, 4, 2, 5), true, "1×2", "1×2"},
	} {
		t.Run(c.name, func(t *testing.T) {
			unlink, link := relinks(want, drop, c.have, c.read)
			if got := linksText(unlink); got != c.unlink {
				t.Errorf("unlink %q, want %q", got, c.unlink)
			}
			if got := linksText(link); got != c.link {
				t.Errorf("link %q, want %q", got, c.link)
			}
		})
	}
}

// edited is an edited order 7 of deal 907 whose price went 100 -> 150,
// a product added and one removed, with products on.
func edited(t *testing.T) (*Plan, *EditedOrder) {
	t.Helper()
	from, to := int64(100), int64(150)
	e := &EditedOrder{Record: Record{Kind: KindOrder, ID: 7, Title: "order 2510/7"}, LeadID: 907, Signature: 42,
		Live: &crm.Lead{ID: 907, Name: "Заказ 2510/7", PipelineID: 10, StatusID: 101},
		Deal: &transform.Deal{Lead: crm.Lead{Name: "Заказ 2510/7", Price: &to}, Products: []transform.ProductLine{line(5, "Кружка", 2)}},
		Change: transform.Edit{Lead: crm.Lead{Price: &to}, Price: &transform.PriceChange{From: &from, To: to},
			Products: transform.ProductDiff{Added: []transform.SentLine{{ProductID: 5, Name: "Кружка", Count: 2}},
				Removed: []transform.SentLine{{ProductID: 6, Name: "Ложка", Count: 1}}},
			Sent: transform.Sent{Num: "2510/7", Price: &to}},
		Note:   "Изменено в магазине:\n— сумма: 100 → 150 руб.",
		Relink: &Relink{Lines: []transform.ProductLine{line(5, "Кружка", 2)}, Drop: []int64{66}},
	}
	p := New(SourceOrders, KindOrder, productsMeta())
	if err := p.AddEdits([]*EditedOrder{e}); err != nil {
		t.Fatal(err)
	}
	p.AddElements(p.ProductLines(), map[int64]ElementRow{5: {CatalogID: catalogID, ProductID: 5, ElementID: 55, Hash: "Кружка"}}, nil, nil)
	return p, e
}

// TestEditedOrder: an edit PATCHes only what changed, relinks its products
// and adds one note under the order's marker; once all of it is written
// the order's snapshot, its deal's links and the marker's clearing are
// committed; a note without an answer leaves the order as it was, for the
// next comparison to read back; one amoCRM refused parks the order and
// fails only the note's entry.
func TestEditedOrder(t *testing.T) {
	t.Run("written", func(t *testing.T) {
		p, _ := edited(t)
		d := p.Deals[0]
		if d.Mode != Edit || !d.Patches() || d.Lead.ID != 907 || d.Lead.Name != "" || *d.Lead.Price != 150 {
			t.Fatalf("deal %+v: want an edit PATCHing the price of 907 alone", d)
		}
		if got := p.Revising(); len(got) != 1 {
			t.Errorf("marked: %d deals, want 1", len(got))
		}
		if x := d.Revision.Relink; linksText(x.Unlink) != "66×0" || linksText(x.Link) != "55×2" {
			t.Errorf("relink: unlink %q link %q", linksText(x.Unlink), linksText(x.Link))
		}
		d.Revision.Relink.Unlinked, d.Revision.Relink.Done, d.Revision.Note.ID = true, true, 3001
		w := p.Writes()
		if len(w.Sent) != 1 || w.Sent[0].OrderID != 7 || w.Sent[0].Signature != 42 {
			t.Errorf("snapshots %+v, want order 7's", w.Sent)
		}
		kinds := map[string]int64{}
		for _, l := range w.Links {
			kinds[l.Kind] = l.AmoID
		}
		if kinds[LinkOrder] != 907 || kinds[ProductsKind(KindOrder)] != 907 {
			t.Errorf("links %+v, want the deal's and its products'", w.Links)
		}
		if !slices.Contains(w.Cleared[EditMarker], 7) {
			t.Errorf("cleared %v, want order 7's edit marker", w.Cleared)
		}
		es := p.Entries(w)
		var got []string
		for _, e := range es {
			got = append(got, fmt.Sprintf("%s/%s %s", e.Kind, e.Action, e.Title))
		}
		want := []string{"lead/update Заказ 2510/7", "products/update Заказ 2510/7", "note/create Заказ 2510/7"}
		if !slices.Equal(got, want) {
			t.Errorf("entries %v, want %v", got, want)
		}
	})
	t.Run("note lost", func(t *testing.T) {
		p, _ := edited(t)
		d := p.Deals[0]
		d.Revision.Relink.Unlinked, d.Revision.Relink.Done, d.Revision.Note.Unknown = true, true, true
		w := p.Writes()
		if len(w.Sent)+len(w.Links)+len(w.Cleared)+len(w.Parked) != 0 {
			t.Errorf("writes %+v, want none: the marker stands", w)
		}
	})
	t.Run("note refused", func(t *testing.T) {
		p, _ := edited(t)
		d := p.Deals[0]
		d.Revision.Relink.Unlinked, d.Revision.Relink.Done, d.Revision.Note.Refused = true, true, "amoCRM refused the note: text"
		w := p.Writes()
		if len(w.Parked) != 1 || w.Parked[0].Entity != "note" || len(w.Sent) != 0 {
			t.Errorf("writes %+v, want the order parked for its note", w)
		}
		for _, e := range p.Entries(w) {
			if want := map[string]Action{"lead": Update, "note": Fail}[e.Kind]; want != "" && e.Action != want {
				t.Errorf("%s entry %s, want %s", e.Kind, e.Action, want)
			}
		}
	})
	t.Run("read back", func(t *testing.T) {
		_, e := edited(t)
		e.Notes, e.NotesRead = []string{"другая", e.Note}, true
		p := New(SourceOrders, KindOrder, productsMeta())
		if err := p.AddEdits([]*EditedOrder{e}); err != nil {
			t.Fatal(err)
		}
		if !p.Deals[0].Revision.Note.Found || len(p.Noting()) != 0 {
			t.Errorf("a note the deal holds is sent again")
		}
	})
}

// TestEditNothingToShow: an edit that changes nothing the deal shows, and
// an order whose snapshot is lost, are recorded as they are with no write.
func TestEditNothingToShow(t *testing.T) {
	p := New(SourceOrders, KindOrder, &transform.Meta{})
	err := p.AddEdits([]*EditedOrder{
		{Record: Record{Kind: KindOrder, ID: 1}, LeadID: 901, Signature: 11, Deal: &transform.Deal{}},
		{Record: Record{Kind: KindOrder, ID: 2}, LeadID: 902, Signature: 12, Baseline: true, Deal: &transform.Deal{},
			Change: transform.Edit{Renamed: true}},
	})
	if err != nil {
		t.Fatal(err)
	}
	w := p.Writes()
	if len(p.Deals) != 0 || len(w.Sent) != 2 || p.Counted["lead"][Unchanged] != 2 {
		t.Errorf("deals %d, snapshots %+v, counted %v: want two orders recorded, counted unchanged", len(p.Deals), w.Sent, p.Counted)
	}
}

// TestDeletedOrders: orders.on_delete decides; a deal a manager closed is
// not moved (and its note says it is closed only when it is lost), one a
// manager deleted gets nothing; every order is recorded as deleted once
// its deal has what it gets, and nothing owed to the deal stays pending.
func TestDeletedOrders(t *testing.T) {
	open := &crm.Lead{ID: 901, Name: "Заказ 1", PipelineID: 10, StatusID: 101}
	won := &crm.Lead{ID: 902, Name: "Заказ 2", PipelineID: 10, StatusID: crm.StatusWon}
	lost := &crm.Lead{ID: 903, Name: "Заказ 3", PipelineID: 10, StatusID: crm.StatusLost}
	for _, c := range []struct {
		onDelete string
		live     *crm.Lead
		mode     DealMode
		action   Action
		note     string
	}{
		{config.OnDeleteNote, open, Keep, Unchanged, "Заказ 2510/1 удалён в магазине."},
		{config.OnDeleteLose, open, Move, Update, "Заказ 2510/1 удалён в магазине. Сделка закрыта как нереализованная."},
		{config.OnDeleteLose, won, Keep, Unchanged, "Заказ 2510/1 удалён в магазине."},
		{config.OnDeleteLose, lost, Keep, Unchanged, "Заказ 2510/1 удалён в магазине. Сделка закрыта как нереализованная."},
		{config.OnDeleteLose, nil, Keep, Skip, ""},
		{config.OnDeleteNothing, nil, Keep, Skip, ""},
	} {
		name := c.onDelete + "/none"
		if c.live != nil {
			name = fmt.Sprintf("%s/%d", c.onDelete, c.live.StatusID)
		}
		t.Run(name, func(t *testing.T) {
			p := New(SourceOrders, KindOrder, &transform.Meta{})
			p.AddDeletions([]*DeletedOrder{{Record: Record{Kind: KindOrder, ID: 1, Title: "order 2510/1"}, LeadID: 900,
				OnDelete: c.onDelete, Sent: transform.Sent{Num: "2510/1"}, Live: c.live}})
			d := p.Deals[0]
			if d.Mode != c.mode || d.Action != c.action {
				t.Errorf("deal %s/%s, want %s/%s", d.Mode, d.Action, c.mode, c.action)
			}
			if c.mode == Move && (d.To != crm.StatusLost || d.Lead.PipelineID != 10) {
				t.Errorf("move to %d in %d, want 143 in 10", d.To, d.Lead.PipelineID)
			}
			text := ""
			if n := d.Revision.Note; n != nil {
				text = n.Text
			}
			if text != c.note {
				t.Errorf("note %q, want %q", text, c.note)
			}
			p.Simulate(func() int64 { return -1 })
			w := p.Writes()
			if !slices.Equal(w.Deleted, []int64{1}) {
				t.Errorf("deleted %v, want [1]", w.Deleted)
			}
			for _, kind := range []string{EditMarker, ProductsKind(KindOrder), TaskKind(KindOrder)} {
				if !slices.Contains(w.Cleared[kind], 1) {
					t.Errorf("cleared %v: the order's %s marker stays", w.Cleared, kind)
				}
			}
		})
	}
}

// TestSnapshotFieldIDs: a snapshot taken while a field was still to be
// created is recorded under the id amoCRM gave it, as the payload was
// sent: the next edit compares the field, not a field it never saw.
func TestSnapshotFieldIDs(t *testing.T) {
	o := order(1, 1, "79001")
	o.Snapshot = &Snapshot{Sent: transform.Sent{Fields: map[int64]uint64{-1: 5, 30: 6}}}
	p := planOrders(t, mapper{}, o)
	p.Baselines = []OrderSent{{OrderID: 2, Snapshot: Snapshot{Sent: transform.Sent{Fields: map[int64]uint64{-1: 7}}}}}
	p.ResolveFieldIDs(map[int64]int64{-1: 77})
	if got := p.Deals[0].Snapshot.Sent.Fields; got[77] != 5 || got[30] != 6 || len(got) != 2 {
		t.Errorf("deal's snapshot fields %v, want 77 and 30", got)
	}
	if got := p.Baselines[0].Sent.Fields; got[77] != 7 || len(got) != 1 {
		t.Errorf("baseline's fields %v, want 77", got)
	}
}
