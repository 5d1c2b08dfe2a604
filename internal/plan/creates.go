package plan

import (
	"slices"

	"github.com/modx-amocrm/modx-amocrm/internal/crm"
)

// The writer creates deals in rounds: the complex creates carrying new
// contacts, then the plain ones with their contact's id. What a round's
// outcomes change for the next is decided here, not by the writer, and
// reported: a deal amoCRM merged into another record's is made again, a
// deal whose contact's carrier was refused carries the contact itself, and
// one whose contact's outcome is unknown waits for the next pass.

// Creates are the plan's deal creates, complex ones first; deals whose
// contact could not be written are left out (their records are parked or
// wait with the contact).
func (p *Plan) Creates() (complex, plain []*Deal) {
	for _, d := range p.Deals {
		if !d.Creates() || d.Contact != nil && d.Contact.Failed() {
			continue
		}
		if d.Mode == CreateComplex {
			complex = append(complex, d)
		} else {
			plain = append(plain, d)
		}
	}
	return complex, plain
}

// Unmerge decides about the complex deals amoCRM's duplicate control
// answered with an existing deal (merged: true, or one deal for several of
// ours), given those deals as amoCRM has them: a deal holding the record's
// key is the record's; the others are made again through leads, on the
// contact amoCRM merged theirs into, and returned. Merged contacts kept
// their own values, so their payload is not taken as sent.
func Unmerge(merged []*Deal, live map[int64]*crm.Lead, holds func(*crm.Lead, *Deal) bool) []*Deal {
	var again []*Deal
	for _, d := range merged {
		d.Contact.Merged = true
		if l := live[d.ID]; l != nil && holds(l, d) {
			continue
		}
		d.ID, d.Mode = 0, CreatePlain
		d.Reason = joinReason(d.Reason, "made again through leads: amoCRM merged it into another record's deal")
		again = append(again, d)
	}
	return again
}

// Reroute settles the plain creates after a round of complex ones: a deal
// whose contact has an id is ready; the first deal of a contact whose
// carrier amoCRM refused carries the contact itself (returned in carry, to
// be created through leads/complex); the others keep waiting in rest (the
// next round, or Defer).
func (p *Plan) Reroute(plain []*Deal) (carry, rest []*Deal) {
	carried := map[*Contact]bool{}
	for _, d := range plain {
		c := d.Contact
		if c.ID != 0 || c.Action != Create || carried[c] || !p.carrierRefused(c) {
			rest = append(rest, d)
			continue
		}
		carried[c] = true
		d.Mode = CreateComplex
		d.Reason = joinReason(d.Reason, "carries its new contact: the deal that was to carry it was refused")
		carry = append(carry, d)
	}
	return carry, rest
}

// carrierRefused reports whether every complex create carrying c was
// refused: no deal can bring its id any more.
func (p *Plan) carrierRefused(c *Contact) bool {
	refused := false
	for _, d := range p.Deals {
		if d.Contact == c && d.Mode == CreateComplex {
			if d.Refused == "" {
				return false
			}
			refused = true
		}
	}
	return refused
}

// Defer returns the plain creates whose contact has an id; the others wait:
// their contact's create had no answer and was not found (it is looked up
// before anything is created again), which is nothing wrong with them, so
// they are neither sent nor parked but tried again next pass.
func Defer(plain []*Deal) []*Deal {
	return slices.DeleteFunc(plain, func(d *Deal) bool {
		if d.Contact.ID != 0 {
			return false
		}
		d.Deferred = "waits for its new contact, whose create had no answer: sent on the next pass, after the contact is looked up"
		return true
	})
}

// joinReason joins two parts of a reason, either of which may be empty.
func joinReason(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "; " + b
}

// HoldPlain takes out of the plan the plain creates of known customers
// that would leave the last request of batch deals half empty, and returns
// their records: they are planned again with the next batch's, so repeat
// customers' deals of several pages share requests. Only a deal whose
// contact the batch leaves as it is, and no other deal of the batch shares,
// is held: planned again alone, its customer is the same payload, still
// nothing to read or write.
func (p *Plan) HoldPlain(batch int) []Record {
	var plain []int
	for i, d := range p.Deals {
		if d.Mode == CreatePlain && d.Contact != nil && d.Contact.Action == Unchanged && len(d.Contact.Records) == 1 {
			plain = append(plain, i)
		}
	}
	n := len(plain) % max(batch, 1)
	if n == 0 {
		return nil
	}
	held := map[int]bool{}
	var out []Record
	for _, i := range plain[len(plain)-n:] {
		held[i] = true
		out = append(out, p.Deals[i].Record)
	}
	kept := p.Deals[:0]
	for i, d := range p.Deals {
		if !held[i] {
			kept = append(kept, d)
		}
	}
	p.Deals = kept
	return out
}
