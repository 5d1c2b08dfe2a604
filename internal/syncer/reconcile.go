package syncer

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/amocrm"
	"github.com/modx-amocrm/modx-amocrm/internal/crm"
	"github.com/modx-amocrm/modx-amocrm/internal/plan"
	"github.com/modx-amocrm/modx-amocrm/internal/state"
)

// Lookups after a create whose outcome is unknown (DESIGN rule 2). An empty
// search is never taken for absence: `query` may not find what was written a
// moment ago, nor field values at all (reference §7 15). What a create stored
// has an id above every id known before it, so one scan of the list newest
// first (order[id]=desc, which every account has), down to the lowest bound
// of a batch's markers, settles all of them: found, or certainly not stored.

// newestID is the highest id of one amoCRM list (leads or contacts) known:
// amoCRM's answer, raised by every id a create returns. A create's marker
// records it. It is kept in the state with the markers, so amoCRM is asked
// at most once per newestTTL, by a pass that creates; a bound older than
// amoCRM's newest id is still a bound, it only makes a lookup page more.
type newestID struct {
	meta  string // the state meta entry keeping it between passes
	ask   func(context.Context) (int64, error)
	known bool
	kept  keptID
}

// keptID is a newestID as the state keeps it.
type keptID struct {
	ID      int64     `json:"id"`
	AskedAt time.Time `json:"asked_at"` // when amoCRM last said what its newest was
}

// The state meta entries keeping the bounds, and how long a kept bound is
// used before amoCRM is asked again.
const (
	metaNewestLead    = "newest_lead_id"
	metaNewestContact = "newest_contact_id"
	newestTTL         = time.Hour
)

// saw raises the bound to an id amoCRM gave.
func (n *newestID) saw(id int64) { n.kept.ID = max(n.kept.ID, id) }

// bound returns n, from the state while it is fresh, else from amoCRM.
func (s *Syncer) bound(ctx context.Context, p *pass, n *newestID) (int64, error) {
	if n.known {
		return n.kept.ID, nil
	}
	v, ok, err := s.store.Meta(ctx, n.meta)
	if err != nil {
		return 0, fmt.Errorf("read the newest id: %w", err)
	}
	var kept keptID
	if fresh := ok && json.Unmarshal([]byte(v), &kept) == nil && p.now().Sub(kept.AskedAt) < newestTTL; !fresh {
		if kept.ID, err = n.ask(ctx); err != nil {
			return 0, fmt.Errorf("read the newest id: %w", err)
		}
		kept.AskedAt = p.now().UTC()
	}
	n.kept = keptID{ID: max(n.kept.ID, kept.ID), AskedAt: kept.AskedAt}
	n.known = true
	return n.kept.ID, nil
}

// markPending commits the markers of a batch's creates, each with the
// bound of its list (see newestID), before the creates start; it returns
// that bound.
func (s *Syncer) markPending(ctx context.Context, p *pass, n *newestID, marks []state.PendingCreate) (int64, error) {
	above, err := s.bound(ctx, p, n)
	if err != nil {
		return 0, err
	}
	for i := range marks {
		marks[i].AboveID = above
	}
	kept, err := json.Marshal(n.kept)
	if err != nil {
		return 0, fmt.Errorf("keep the newest id: %w", err)
	}
	err = s.store.Commit(ctx, func(tx *state.Tx) error {
		if err := tx.MarkPendings(marks); err != nil {
			return err
		}
		return tx.SetMeta(n.meta, string(kept))
	})
	if err != nil {
		return 0, fmt.Errorf("mark %d creates pending: %w", len(marks), err)
	}
	return above, nil
}

// leadKey is a deal's key: a field (by code) and the value it holds.
type leadKey struct{ code, value string }

// findLeads finds the deal holding each wanted key exactly, among the deals
// above the key's bound (the AboveID of its marker). One scan serves every
// key. A key without a bound (state.NoBound: a marker from before bounds
// were recorded) is first searched for by `query`, which saves paging the
// whole list when it finds it and proves nothing when it does not. Keys
// missing from the result are not in amoCRM.
func (s *Syncer) findLeads(ctx context.Context, want map[leadKey]int64) (map[leadKey]*crm.Lead, error) {
	found := map[leadKey]*crm.Lead{}
	rest := maps.Clone(want)
	for _, k := range slices.SortedFunc(maps.Keys(rest), compareLeadKeys) {
		if rest[k] != state.NoBound {
			continue
		}
		leads, err := s.crm.SearchLeads(ctx, k.value)
		if err != nil {
			return nil, fmt.Errorf("search deals for %s: %w", k.value, err)
		}
		for i := range leads {
			if holds(&leads[i], k) {
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
	err := s.crm.LeadsNewestFirst(ctx, downTo, true, func(page []crm.Lead) error {
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

func compareLeadKeys(a, b leadKey) int {
	return cmp.Or(cmp.Compare(a.code, b.code), cmp.Compare(a.value, b.value))
}

// leadKeys are the values of a deal's coded fields, as keys.
func leadKeys(l *crm.Lead) []leadKey {
	var out []leadKey
	for _, f := range l.CustomFieldsValues {
		if f.FieldCode == "" {
			continue
		}
		for _, v := range f.Values {
			out = append(out, leadKey{f.FieldCode, fmt.Sprint(v.Value)})
		}
	}
	return out
}

// holds reports whether deal l holds key k exactly.
func holds(l *crm.Lead, k leadKey) bool { return slices.Contains(leadKeys(l), k) }

// findContacts finds the contacts of cs (created with an unknown outcome)
// among the contacts above the bound: a contact holding one of a contact's
// phone or e-mail keys is it. Those found get their id; the others are not
// in amoCRM.
func (s *Syncer) findContacts(ctx context.Context, cs []*plan.Contact, above int64) error {
	if len(cs) == 0 {
		return nil
	}
	rest := slices.Clone(cs)
	err := s.crm.ContactsNewestFirst(ctx, above, func(page []crm.Contact) error {
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
