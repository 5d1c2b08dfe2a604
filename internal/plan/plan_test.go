package plan

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/modx-amocrm/modx-amocrm/internal/crm"
	"github.com/modx-amocrm/modx-amocrm/internal/transform"
)

// mapper moves statuses by a fixed table and merges by adding what the
// live contact lacks.
type mapper map[int64]int64

func (m mapper) StatusChange(_, ms2 int64) (int64, bool) { s, ok := m[ms2]; return s, ok }
func (m mapper) IsMultitext(id int64) bool               { return id == 1 }
func (m mapper) Stands(stage, ms2 int64) bool {
	s, ok := m[ms2]
	return stage == 0 || !ok || s == stage
}
func (m mapper) MergeContact(live crm.Contact, want *transform.ContactDraft) (crm.Contact, bool) {
	if live.Name == want.Contact.Name {
		return crm.Contact{}, false
	}
	return crm.Contact{Name: want.Contact.Name}, true
}

func order(id int64, ms2 int64, phone string) *Order {
	c := &transform.ContactDraft{Keys: []string{"phone:" + phone}, Contact: crm.Contact{Name: "buyer " + phone}}
	return &Order{Record: Record{Kind: KindOrder, ID: id, Title: fmt.Sprintf("order %d", id)}, MS2Status: ms2,
		Deal: &transform.Deal{OrderID: id, OrderKey: fmt.Sprint(id), Contact: c,
			Lead: crm.Lead{Name: fmt.Sprintf("Заказ %d", id), PipelineID: 10, StatusID: 101}}}
}

func planOrders(t *testing.T, m Mapper, orders ...*Order) *Plan {
	t.Helper()
	var drafts []*transform.ContactDraft
	for _, o := range orders {
		if o.Link.AmoID == 0 && o.Found == nil {
			drafts = append(drafts, o.Deal.Contact)
		}
	}
	cs, of := Group(drafts)
	for _, c := range cs {
		if err := c.Prepare(m); err != nil {
			t.Fatal(err)
		}
	}
	p := New(SourceOrders, KindOrder, &transform.Meta{})
	if err := p.AddOrders(m, orders, cs, of, false); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestOrdersModes(t *testing.T) {
	m := mapper{2: 102, 3: 142}
	linked := func(o *Order, status int64, live *crm.Lead) *Order {
		o.Link = Link{AmoID: 900 + o.Record.ID}
		o.Status = Link{Hash: fmt.Sprint(status)}
		o.Live = live
		return o
	}
	p := planOrders(t, m,
		order(1, 1, "79001"),                       // new customer, one deal: complex
		order(2, 1, "79002"), order(3, 1, "79002"), // new customer, two deals: the first carries the contact
		linked(order(4, 2, "79004"), 1, &crm.Lead{ID: 904, PipelineID: 10, StatusID: 101}), // moves
		linked(order(5, 2, "79005"), 2, nil),                                               // status as set: unchanged
		linked(order(6, 3, "79006"), 1, nil),                                               // deleted in amoCRM
		linked(order(7, 9, "79007"), 1, &crm.Lead{ID: 907, PipelineID: 10, StatusID: 101}), // unmapped status
	)
	var got []string
	for _, d := range p.Deals {
		got = append(got, fmt.Sprintf("%d:%s/%s", d.Record.ID, d.Mode, d.Action))
	}
	want := []string{"4:move/update", "5:keep/unchanged", "6:keep/skip", "7:keep/unchanged", "1:complex/create", "2:complex/create", "3:plain/create"}
	if !slices.Equal(got, want) {
		t.Errorf("deals:\n got %v\nwant %v", got, want)
	}
	if len(p.Contacts) != 2 || p.Contacts[0].Separate || p.Contacts[1].Separate {
		t.Errorf("contacts: want both made with their first deal in leads/complex; got %+v", p.Contacts)
	}
	if p.Deals[5].Contact != p.Deals[6].Contact {
		t.Error("the customer's second deal does not follow its first deal's contact")
	}
	if d := p.Deals[0]; d.To != 102 || d.From.StatusID != 101 {
		t.Errorf("move: got %d -> %d, want 101 -> 102", d.From.StatusID, d.To)
	}
}

// TestLinkedOrderDue: a linked deal whose shop status did not change is
// read and moved when the config puts that status elsewhere than the stage
// last set, and a deal taken over from the old extra (no status set yet)
// is read once; both say why. Others are left unread.
func TestLinkedOrderDue(t *testing.T) {
	m := mapper{2: 102}
	live := func(id, status int64) *crm.Lead { return &crm.Lead{ID: id, PipelineID: 10, StatusID: status} }
	edited := order(1, 2, "79001")
	edited.Link, edited.Status, edited.Live = Link{Kind: LinkOrder, AmoID: 901, Hash: "h"}, Link{Kind: LinkOrderStatus, AmoID: 105, Hash: "2"}, live(901, 105)
	stands := order(2, 2, "79002")
	stands.Link, stands.Status = Link{Kind: LinkOrder, AmoID: 902, Hash: "h"}, Link{Kind: LinkOrderStatus, AmoID: 102, Hash: "2"}
	takenOver := order(3, 2, "79003")
	takenOver.Link, takenOver.Live = Link{Kind: LinkOrder, AmoID: 903}, live(903, 102)
	for _, o := range []*Order{edited, stands, takenOver} {
		if got, want := o.Due(m), o != stands; got != want {
			t.Errorf("order %d: due %v, want %v", o.Record.ID, got, want)
		}
	}
	p := planOrders(t, m, edited, stands, takenOver)
	var got []string
	for _, d := range p.Deals {
		got = append(got, fmt.Sprintf("%d:%s/%s %s", d.Record.ID, d.Mode, d.Action, d.Reason))
	}
	want := []string{
		"1:move/update the config puts shop status 2 elsewhere than the status last set",
		"2:keep/unchanged ",
		"3:keep/unchanged deal taken over from the old extra (amocrm_leads): it goes where its order's status does",
	}
	if !slices.Equal(got, want) {
		t.Errorf("deals:\n got %q\nwant %q", got, want)
	}
	if w := p.Writes(); len(w.Links) != 2 || w.Links[1] != (Link{Kind: LinkOrderStatus, SourceID: 3, AmoID: 102, Hash: "2"}) {
		t.Errorf("links: %+v, want the moved deal's and the taken-over deal's status recorded", w.Links)
	}
}

func TestWritesAfterApply(t *testing.T) {
	p := planOrders(t, mapper{}, order(1, 1, "79001"), order(2, 1, "79002"), order(3, 1, "79002"), order(4, 1, "79004"))
	// As apply leaves it: order 1 made in complex, customer 79002's contact
	// made first, order 3 refused, order 4's answer lost.
	p.Deals[0].ID, p.Deals[0].Contact.ID = 501, 601
	p.Contacts[1].ID = 602
	p.Deals[1].ID = 502
	p.Deals[2].Refused = "amoCRM refused the deal: price: negative"
	p.Deals[3].Unknown = true
	w := p.Writes()

	var links []string
	for _, l := range w.Links {
		links = append(links, fmt.Sprintf("%s:%d=%d", l.Kind, l.SourceID, l.AmoID))
	}
	for _, want := range []string{"order:1=501", "order:2=502", "order_status:1=101", "contact:601=601", "contact:602=602"} {
		if !slices.Contains(links, want) {
			t.Errorf("links lack %s: %v", want, links)
		}
	}
	for _, l := range links {
		if strings.HasPrefix(l, "order:3=") || strings.HasPrefix(l, "order:4=") {
			t.Errorf("link written for a deal not made: %s", l)
		}
	}
	if len(w.Parked) != 1 || w.Parked[0].Record.ID != 3 {
		t.Errorf("parked: got %+v, want order 3", w.Parked)
	}
	if got := w.Cleared[KindOrder]; slices.Contains(got, 4) || !slices.Contains(got, 1) || !slices.Contains(got, 3) {
		t.Errorf("cleared markers %v: want 1, 2, 3 and not 4 (its lookup comes next pass)", got)
	}
	if w.ContactKeys["phone:79002"] != 602 || w.ContactKeys["phone:79001"] != 601 {
		t.Errorf("index: got %v", w.ContactKeys)
	}
}

// TestWritesAfterLookup: a deal looked up after an unknown outcome and not
// found is created again under a new marker, which stays when that create
// has no answer either; a contact amoCRM merged into one it had is indexed
// but its payload is not taken as sent.
func TestWritesAfterLookup(t *testing.T) {
	absent := func(o *Order) *Order { o.Pending = true; return o }
	p := planOrders(t, mapper{}, absent(order(1, 1, "79001")), absent(order(2, 1, "79002")))
	p.Deals[0].ID, p.Deals[0].Contact.ID, p.Deals[0].Contact.Merged = 501, 601, true
	p.Deals[1].Unknown = true
	w := p.Writes()
	if got := w.Cleared[KindOrder]; !slices.Equal(got, []int64{1}) {
		t.Errorf("cleared markers %v, want only order 1's (order 2's create had no answer)", got)
	}
	for _, l := range w.Links {
		if l.Kind == LinkContact {
			t.Errorf("merged contact linked as sent: %+v", l)
		}
	}
	if w.ContactKeys["phone:79001"] != 601 {
		t.Errorf("index: got %v, want the merged contact under the customer's phone", w.ContactKeys)
	}
}

// TestIncomingLeads: an incoming lead carries its form's key in the key
// field; one found after an unknown outcome is linked and not sent again,
// one still unknown keeps its marker and is not parked, a refused one is
// parked and its marker cleared.
func TestIncomingLeads(t *testing.T) {
	var forms []*Form
	for id := int64(1); id <= 3; id++ {
		f := &Form{Record: Record{Kind: KindForm, ID: id}, Key: fmt.Sprintf("form:%d", id), Result: &transform.FormResult{
			Unsorted: &crm.UnsortedForm{SourceUID: fmt.Sprintf("form-%d", id), Embedded: crm.UnsortedEmbedded{Leads: []crm.Lead{{Name: "Заявка"}}}}}}
		forms = append(forms, f)
	}
	forms[0].Pending, forms[0].Found = true, &crm.Lead{ID: 701}
	p := New(SourceForms, KindForm, &transform.Meta{})
	p.AddForms(mapper{}, forms, nil, nil, 77, "MODX_FORM")
	for i, in := range p.Incoming {
		cfv := in.Form.Embedded.Leads[0].CustomFieldsValues
		if len(cfv) != 1 || cfv[0].FieldID != 77 || cfv[0].Values[0].Value != forms[i].Key {
			t.Errorf("incoming lead %d fields %+v, want the form key in field 77", i, cfv)
		}
	}
	if len(forms[1].Result.Unsorted.Embedded.Leads[0].CustomFieldsValues) != 0 {
		t.Error("the mapped form was changed")
	}
	p.Simulate(func() int64 { return -1 })
	if in := p.Incoming[0]; !in.AlreadySent || in.ID != 701 {
		t.Errorf("found incoming lead: %+v, want linked to 701 and not sent", in)
	}
	p.Incoming[1].ID, p.Incoming[1].Unknown = 0, true
	p.Incoming[2].ID, p.Incoming[2].Refused = 0, "amoCRM refused the incoming lead: metadata.form_id"
	w := p.Writes()
	if len(w.Parked) != 1 || w.Parked[0].Record.ID != 3 {
		t.Errorf("parked %+v, want form 3 only", w.Parked)
	}
	if got := w.Cleared[KindForm]; !slices.Contains(got, 1) || slices.Contains(got, 2) || !slices.Contains(got, 3) {
		t.Errorf("cleared markers %v, want forms 1 and 3, not 2", got)
	}
	if len(w.Links) != 1 || w.Links[0].SourceID != 1 || w.Links[0].AmoID != 701 {
		t.Errorf("links %+v, want form 1 -> 701", w.Links)
	}
}

func TestEntriesUseNames(t *testing.T) {
	meta := &transform.Meta{
		Pipelines:     []crm.Pipeline{{ID: 10, Name: "Воронка", Embedded: &crm.PipelineEmbedded{Statuses: []crm.Status{{ID: 101, Name: "Новый"}}}}},
		LeadFields:    []crm.CustomField{{ID: -3, Name: "goods"}},
		ContactFields: []crm.CustomField{{ID: 700001, Name: "Телефон", Code: "PHONE"}},
	}
	p := planOrders(t, mapper{}, order(1, 1, "79001"))
	p.Fields = []*Field{{Source: SourceOrders, Entity: "lead", Spec: transform.FieldSpec{Name: "goods", Type: "textarea"}, ID: -3}}
	p.Deals[0].Lead.CustomFieldsValues = []crm.CustomFieldValues{{FieldID: -3, Values: []crm.FieldValue{{Value: "чай × 2"}}}}
	p.Contacts[0].Payload.CustomFieldsValues = []crm.CustomFieldValues{{FieldID: 700001, Values: []crm.FieldValue{{Value: "+79001"}}}}
	p.Simulate(func() func() int64 { n := int64(0); return func() int64 { n--; return n } }())

	var fields []string
	p.Meta = meta
	for _, e := range p.Entries(p.Writes()) {
		if e.AmoID < 0 {
			t.Errorf("%s shows a made-up id %d", e.Key, e.AmoID)
		}
		for _, c := range e.Changes {
			fields = append(fields, e.Kind+"."+c.Field+"="+c.New)
		}
	}
	for _, want := range []string{"lead.pipeline=Воронка", "lead.status=Новый", "lead.goods=чай × 2", "contact.Телефон=+79001", "field.type=textarea"} {
		if !slices.Contains(fields, want) {
			t.Errorf("entries lack %s: %v", want, fields)
		}
	}
}

func TestResolveFieldIDs(t *testing.T) {
	p := planOrders(t, mapper{}, order(1, 1, "79001"))
	p.Fields = []*Field{{Entity: "lead", ID: -7}}
	p.Deals[0].Lead.CustomFieldsValues = []crm.CustomFieldValues{{FieldID: -7}, {FieldID: 55}}
	p.ResolveFieldIDs(map[int64]int64{-7: 8001})
	if got := p.Deals[0].Lead.CustomFieldsValues; got[0].FieldID != 8001 || got[1].FieldID != 55 || p.Fields[0].ID != 8001 {
		t.Errorf("got %v and field id %d, want 8001 in place of -7", got, p.Fields[0].ID)
	}
}

func TestPipelineDecide(t *testing.T) {
	site := crm.Pipeline{ID: 5, Name: "Магазин", Embedded: &crm.PipelineEmbedded{Statuses: []crm.Status{{ID: 51, Name: "Новый"}}}}
	tests := []struct {
		name       string
		step       Pipeline
		autoUpdate bool
		action     Action
		add        []string
		reason     string
	}{
		{"none: create", Pipeline{Statuses: []string{"Новый"}}, false, Create, nil, ""},
		{"ours", Pipeline{ID: 5, Known: true, Statuses: []string{"Новый"}}, false, Unchanged, nil, ""},
		{"found by name: adopted", Pipeline{ID: 5, Statuses: []string{"новый"}}, false, Unchanged, nil, "adopted: the account already has a pipeline of this name"},
		{"ours, a status missing", Pipeline{ID: 5, Known: true, Statuses: []string{"Новый", "Оплачен"}}, true, Update, []string{"Оплачен"}, ""},
		{"ours, missing, no auto update", Pipeline{ID: 5, Known: true, Statuses: []string{"Оплачен"}}, false, Unchanged, nil,
			"statuses missing: Оплачен (orders.auto_update_pipelines adds them)"},
		{"ours, deleted: create", Pipeline{ID: 6, Known: true}, false, Create, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.step
			s.Decide([]crm.Pipeline{site}, tt.autoUpdate)
			if s.Action != tt.action || !slices.Equal(s.Add, tt.add) || s.Reason != tt.reason {
				t.Errorf("got %s %v %q, want %s %v %q", s.Action, s.Add, s.Reason, tt.action, tt.add, tt.reason)
			}
		})
	}
}

// TestRepairsAreReported: a documented repair (goods cut, invalid UTF-8
// replaced) shows in the report entry of what is written, never silent.
func TestRepairsAreReported(t *testing.T) {
	o := order(1, 1, "79001")
	o.Deal.Notes = []string{`field "goods": cut to 10000 characters`}
	o.Deal.Contact.Notes = []string{"name: invalid UTF-8 replaced"}
	p := planOrders(t, mapper{}, o)
	reasons := map[string]string{}
	for _, e := range p.Entries(p.Writes()) {
		reasons[e.Kind] = e.Reason
	}
	if got, want := reasons["lead"], `repaired: field "goods": cut to 10000 characters`; got != want {
		t.Errorf("lead reason: got %q, want %q", got, want)
	}
	if got, want := reasons["contact"], "repaired: name: invalid UTF-8 replaced"; got != want {
		t.Errorf("contact reason: got %q, want %q", got, want)
	}
}
