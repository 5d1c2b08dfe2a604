package match

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/modx-amocrm/modx-amocrm/internal/amocrm"
	"github.com/modx-amocrm/modx-amocrm/internal/crm"
	"github.com/modx-amocrm/modx-amocrm/internal/plan"
	"github.com/modx-amocrm/modx-amocrm/internal/state"
)

// LeadKey is a deal's key: a field (by code) and the value it holds.
type LeadKey struct{ Code, Value string }

// FindLeads finds the deal holding each wanted key exactly, among the deals
// above the key's bound (the AboveID of its marker). One scan serves every
// key. A key without a bound (state.NoBound: a marker from before bounds
// were recorded) is first searched for by `query`, which saves paging the
// whole list when it finds it and proves nothing when it does not. Keys
// missing from the result are not in amoCRM.
func (m *Matcher) FindLeads(ctx context.Context, want map[LeadKey]int64) (map[LeadKey]*crm.Lead, error) {
	found := map[LeadKey]*crm.Lead{}
	rest := maps.Clone(want)
	for _, k := range slices.SortedFunc(maps.Keys(rest), compareLeadKeys) {
		if rest[k] != state.NoBound {
			continue
		}
		leads, err := m.crm.SearchLeads(ctx, k.Value)
		if err != nil {
			return nil, fmt.Errorf("search deals for %s: %w", k.Value, err)
		}
		for i := range leads {
			if Holds(&leads[i], k) {
				found[k] = &leads[i]
				delete(rest, k)
				break
			}
		}
	}
	if len(rest) == 0 {
		return found, nil
	}
	downTo := slices.Min(slices.Collect(maps.Values(rest)))
	err := m.crm.LeadsNewestFirst(ctx, downTo, true, func(page []crm.Lead) error {
		for i := range page {
			for _, k := range leadKeys(&page[i]) {
				if above, ok := rest[k]; ok && page[i].ID > above {
					found[k] = &page[i]
					delete(rest, k)
				}
			}
		}
		if len(rest) == 0 {
			return amocrm.ErrStopPaging
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("page deals newest first down to %d: %w", downTo, err)
	}
	return found, nil
}

// FindLost looks up deals created with an unknown outcome above one bound.
// A lookup that fails for a reason that does not stop the run finds
// nothing: the deals stay pending and are looked up again next pass.
func (m *Matcher) FindLost(ctx context.Context, keys []LeadKey, above int64) (map[LeadKey]*crm.Lead, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	want := make(map[LeadKey]int64, len(keys))
	for _, k := range keys {
		want[k] = above
	}
	found, err := m.FindLeads(ctx, want)
	switch {
	case err != nil && amocrm.IsFatal(err):
		return nil, err
	case err != nil:
		m.log.Warn("lookup after an unknown outcome failed; looked up again next pass", "deals", len(keys), "err", err)
		return nil, nil
	}
	for _, l := range found {
		m.Leads.Saw(l.ID)
	}
	return found, nil
}

func compareLeadKeys(a, b LeadKey) int {
	return cmp.Or(cmp.Compare(a.Code, b.Code), cmp.Compare(a.Value, b.Value))
}

// leadKeys are the values of a deal's coded fields, as keys.
func leadKeys(l *crm.Lead) []LeadKey {
	var out []LeadKey
	for _, f := range l.CustomFieldsValues {
		if f.FieldCode == "" {
			continue
		}
		for _, v := range f.Values {
			out = append(out, LeadKey{f.FieldCode, fmt.Sprint(v.Value)})
		}
	}
	return out
}

// Holds reports whether deal l holds key k exactly.
func Holds(l *crm.Lead, k LeadKey) bool { return slices.Contains(leadKeys(l), k) }

// FindContacts finds the contacts of cs (created with an unknown outcome)
// among the contacts above the bound: a contact holding one of a contact's
// phone or e-mail keys is it. Those found get their id; the others are not
// in amoCRM.
func (m *Matcher) FindContacts(ctx context.Context, cs []*plan.Contact, above int64) error {
	if len(cs) == 0 {
		return nil
	}
	rest := slices.Clone(cs)
	err := m.crm.ContactsNewestFirst(ctx, above, func(page []crm.Contact) error {
		for _, ct := range page {
			keys := plan.ContactKeys(ct)
			rest = slices.DeleteFunc(rest, func(c *plan.Contact) bool {
				if !slices.ContainsFunc(c.Keys, func(k string) bool { return slices.Contains(keys, k) }) {
					return false
				}
				c.ID = ct.ID
				return true
			})
		}
		if len(rest) == 0 {
			return amocrm.ErrStopPaging
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("page contacts newest first down to %d: %w", above, err)
	}
	return nil
}
