package match

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/state"
)

// An empty search is never taken for absence: `query` may not find what was
// written a moment ago, nor field values at all (reference §7 15). What a
// create stored has an id above every id known before it, so one scan of
// the list newest first (order[id]=desc, which every account has), down to
// the lowest bound of a batch's markers, settles all of them: found, or
// certainly not stored.

// Bounds is the highest id of one amoCRM list (deals or contacts) known:
// amoCRM's answer, raised by every id a create returns. A create's marker
// records it. It is kept in the state with the markers, so amoCRM is asked
// at most once per newestTTL, by a pass that creates; a bound older than
// amoCRM's newest id is still a bound, it only makes a lookup page more.
type Bounds struct {
	meta   string // the state meta entry keeping it between passes
	ask    func(context.Context) (int64, error)
	ledger Ledger
	now    func() time.Time
	known  bool
	kept   keptID
}

// keptID is a bound as the state keeps it.
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

// Saw raises the bound to an id amoCRM gave.
func (b *Bounds) Saw(id int64) { b.kept.ID = max(b.kept.ID, id) }

// bound returns the bound, from the state while it is fresh, else from amoCRM.
func (b *Bounds) bound(ctx context.Context) (int64, error) {
	if b.known {
		return b.kept.ID, nil
	}
	v, ok, err := b.ledger.Meta(ctx, b.meta)
	if err != nil {
		return 0, fmt.Errorf("read the newest id: %w", err)
	}
	var kept keptID
	if fresh := ok && json.Unmarshal([]byte(v), &kept) == nil && b.now().Sub(kept.AskedAt) < newestTTL; !fresh {
		if kept.ID, err = b.ask(ctx); err != nil {
			return 0, fmt.Errorf("read the newest id: %w", err)
		}
		kept.AskedAt = b.now().UTC()
	}
	b.kept = keptID{ID: max(b.kept.ID, kept.ID), AskedAt: kept.AskedAt}
	b.known = true
	return b.kept.ID, nil
}

// Mark commits the markers of a batch's creates, each with the bound of
// its list, before the creates start; it returns that bound.
func (b *Bounds) Mark(ctx context.Context, marks []state.PendingCreate) (int64, error) {
	above, err := b.bound(ctx)
	if err != nil {
		return 0, err
	}
	for i := range marks {
		marks[i].AboveID = above
	}
	kept, err := json.Marshal(b.kept)
	if err != nil {
		return 0, fmt.Errorf("keep the newest id: %w", err)
	}
	if err := b.ledger.MarkPendings(ctx, marks, map[string]string{b.meta: string(kept)}); err != nil {
		return 0, fmt.Errorf("mark %d creates pending: %w", len(marks), err)
	}
	return above, nil
}
