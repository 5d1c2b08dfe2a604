package plan

import (
	"slices"
	"testing"

	"github.com/modx-amocrm/modx-amocrm/internal/crm"
)

func orderLead(id int64, order string) *crm.Lead {
	return &crm.Lead{ID: id, CustomFieldsValues: []crm.CustomFieldValues{{FieldCode: "MODX_ORDER", Values: []crm.FieldValue{{Value: order}}}}}
}

// holdsOrder reports whether a deal holds d's order key.
func holdsOrder(l *crm.Lead, d *Deal) bool {
	for _, f := range l.CustomFieldsValues {
		if f.FieldCode == d.KeyField && len(f.Values) > 0 && f.Values[0].Value == d.LookupKey {
			return true
		}
	}
	return false
}

// TestUnmerge: leads/complex answered two of our deals with one deal (or
// merged: true): the one whose key the deal holds keeps it, the others are
// made again through leads on the merged contact, with a reason, and no
// merged contact's payload counts as sent.
func TestUnmerge(t *testing.T) {
	deal := func(order string, leadID int64) *Deal {
		return &Deal{Record: Record{Kind: KindOrder, ID: 1}, Mode: CreateComplex, ID: leadID,
			KeyField: "MODX_ORDER", LookupKey: order, Contact: &Contact{ID: 601, Hash: "h"}}
	}
	a, b, c := deal("1", 501), deal("2", 501), deal("3", 502) // 502: another order's deal, merged into
	live := map[int64]*crm.Lead{501: orderLead(501, "1"), 502: orderLead(502, "9")}
	again := Unmerge([]*Deal{a, b, c}, live, holdsOrder)
	if !slices.Equal(again, []*Deal{b, c}) {
		t.Fatalf("made again: %v, want the deals of orders 2 and 3", again)
	}
	if a.ID != 501 || a.Mode != CreateComplex {
		t.Errorf("order 1's deal: %d %s, want 501 kept", a.ID, a.Mode)
	}
	for _, d := range again {
		if d.ID != 0 || d.Mode != CreatePlain || d.Contact.ID != 601 || d.Reason == "" {
			t.Errorf("order %s: id %d, mode %s, contact %d, reason %q; want a plain create on contact 601, with why",
				d.LookupKey, d.ID, d.Mode, d.Contact.ID, d.Reason)
		}
	}
	for _, d := range []*Deal{a, b, c} {
		if !d.Contact.Merged {
			t.Errorf("order %s: contact not marked merged", d.LookupKey)
		}
	}
}

// TestRerouteAndDefer: after the complex creates, a plain deal whose
// contact came is ready; the first deal of a contact whose carrier was
// refused carries the contact itself; one whose carrier's outcome is
// unknown waits for the next pass, neither sent nor parked.
func TestRerouteAndDefer(t *testing.T) {
	newContact := func() *Contact { return &Contact{Action: Create, Keys: []string{"p:1"}} }
	came, refused, unknown := newContact(), newContact(), newContact()
	came.ID = 700
	carrier := func(id int64, c *Contact, refusal string) *Deal {
		return &Deal{Record: Record{Kind: KindOrder, ID: id}, Mode: CreateComplex, Action: Create, Contact: c, Refused: refusal}
	}
	follower := func(id int64, c *Contact) *Deal {
		return &Deal{Record: Record{Kind: KindOrder, ID: id}, Mode: CreatePlain, Action: Create, Contact: c}
	}
	ready, first, second, waits := follower(11, came), follower(12, refused), follower(13, refused), follower(14, unknown)
	p := &Plan{Kind: KindOrder, Deals: []*Deal{carrier(1, came, ""), carrier(2, refused, "bad"), carrier(3, unknown, ""),
		ready, first, second, waits}}
	carry, rest := p.Reroute([]*Deal{ready, first, second, waits})
	if !slices.Equal(carry, []*Deal{first}) || first.Mode != CreateComplex {
		t.Fatalf("carry %v, want order 12's deal made complex", carry)
	}
	if !slices.Equal(rest, []*Deal{ready, second, waits}) {
		t.Fatalf("rest %v, want orders 11, 13 and 14", rest)
	}
	refused.ID = 800 // order 12's deal brought the contact
	sent := Defer(rest)
	if !slices.Equal(sent, []*Deal{ready, second}) {
		t.Fatalf("sent %v, want orders 11 and 13", sent)
	}
	w := p.Writes()
	if len(w.Parked) != 1 || w.Parked[0].Record.ID != 2 {
		t.Errorf("parked %v, want only order 2, which amoCRM refused", w.Parked)
	}
	if len(w.Waits) != 1 || w.Waits[0].Record.ID != 14 || !slices.Contains(w.Cleared[KindOrder], 14) {
		t.Errorf("waits %v, cleared %v; want order 14 waiting, its marker cleared", w.Waits, w.Cleared)
	}
}

// TestHoldPlain: the plain creates of known customers beyond the last full
// request wait for the next batch; complex creates, full requests, and
// deals whose contact the batch writes or shares stay.
func TestHoldPlain(t *testing.T) {
	var p Plan
	for i := range 9 {
		rec := Record{Kind: KindOrder, ID: int64(i + 1)}
		d := &Deal{Record: rec, Mode: CreatePlain, Action: Create, Contact: &Contact{ID: int64(100 + i), Action: Unchanged, Records: []Record{rec}}}
		switch i {
		case 0, 3, 6:
			d.Mode, d.Contact.Action = CreateComplex, Create
		case 7: // its contact gains a phone in this batch
			d.Contact.Action = Update
		case 8: // its contact is another deal's too
			d.Contact.Records = append(d.Contact.Records, Record{Kind: KindOrder, ID: 1})
		}
		p.Deals = append(p.Deals, d)
	}
	// Plain and held-able: orders 2, 3, 5, 6.
	held := p.HoldPlain(3)
	if len(held) != 1 || held[0].ID != 6 {
		t.Fatalf("held %v, want order 6: 3 of the 4 plain deals fill a request", held)
	}
	var left []int64
	for _, d := range p.Deals {
		left = append(left, d.Record.ID)
	}
	if !slices.Equal(left, []int64{1, 2, 3, 4, 5, 7, 8, 9}) {
		t.Errorf("left %v", left)
	}
	if held := p.HoldPlain(3); held != nil {
		t.Errorf("held again %v, want nothing: the plain deals fill requests", held)
	}
}
