// Package source holds what the sources of a pass share: what they read
// with (Env), the two readers every stream is made of (Keyset: rows after a
// watermark, settled; Queue: ids read once, planned a page at a time), the
// lookup of creates whose outcome was unknown, and the one rule for what
// mapping a record gave. The sources themselves are its sub-packages.
package source

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/config"
	"github.com/modx-amocrm/modx-amocrm/internal/crm"
	"github.com/modx-amocrm/modx-amocrm/internal/plan"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer/account"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer/match"
	"github.com/modx-amocrm/modx-amocrm/internal/transform"
)

// PageSize is how many rows a batch reads and plans at once. The client
// cuts writes into requests of sync.batch_size, so a page worth several
// requests fills each of them: new customers' deals go through
// leads/complex and known customers' through leads, 50 a request each,
// instead of two half-empty requests for every 50 orders.
const PageSize = 250

// Env is what the sources of an engine read with.
type Env struct {
	Config  *config.Config
	Ledger  syncer.Ledger
	Account *account.Account
	Match   *match.Matcher
	Log     *slog.Logger
	Now     func() time.Time
	// DBNow is the database server's clock: rows are settled by it.
	DBNow func(ctx context.Context) (time.Time, error)
	// Start is where a source with an empty state begins: sync.start, or
	// -since for this run.
	Start string
	// Rewind is -since for a state that has positions already: the first
	// pass moves them back to it (rows since then not sent are sent; links
	// keep what was sent from being sent twice). Never forward: that would
	// skip rows not sent yet.
	Rewind string
}

// Clock settles rows by the database server's clock (the shop's PHP writes
// rows' times by it; ours may be elsewhere). A row is ready when it is
// older than sync.settle by its own time, or when settle has passed since
// the connector first saw it, whichever comes first. So a row dated in the
// future (a wrong clock or zone, an import) is sent one settle after it
// appeared, and the rows behind it do not wait for its date.
type Clock struct {
	Now    time.Time // the database server's clock
	Settle time.Duration
}

// Clock reads the database server's clock.
func (e *Env) Clock(ctx context.Context) (Clock, error) {
	now, err := e.DBNow(ctx)
	if err != nil {
		return Clock{}, fmt.Errorf("settle: %w", err)
	}
	return Clock{Now: now, Settle: e.Config.Sync.Settle.Duration}, nil
}

// Ahead reports a row dated after now: it waits, first seen now, and the
// reader goes on past it.
func (c Clock) Ahead(own time.Time) bool { return own.After(c.Now) }

// Young reports a row dated within the last settle: it is ready by its own
// time before a settle from now, so the reader stops at it (the rows after
// it were written later still).
func (c Clock) Young(own time.Time) bool {
	return !own.IsZero() && own.After(c.Now.Add(-c.Settle)) && !c.Ahead(own)
}

// Ready reports whether a waiting row first seen at since is ready.
func (c Clock) Ready(own, since time.Time) bool {
	cut := c.Now.Add(-c.Settle)
	return !own.After(cut) || !since.After(cut)
}

// Since is when the waiting clock of a row not placed yet starts: its own
// time (a historical row is not new), else now.
func (c Clock) Since(own time.Time) time.Time {
	if own.IsZero() || own.After(c.Now) {
		return c.Now
	}
	return own
}

// Mapper returns the pass's mapper: the account's, read again where it
// must be.
func (e *Env) Mapper(ctx context.Context) (*transform.Mapper, error) { return e.Account.Mapper(ctx) }

// Plan is a new plan of kind for source, named by the account's metadata.
func (e *Env) Plan(source, kind string) *plan.Plan { return plan.New(source, kind, e.Account.Meta()) }

// MapErr applies the one rule for what mapping a record gave: bad data (a
// *transform.RecordError) parks the record with its reason; anything else
// is a bug in our mapping and stops the pass, naming the record. It
// reports whether the record was mapped.
func MapErr(pl *plan.Plan, rec plan.Record, entity string, err error) (bool, error) {
	var rerr *transform.RecordError
	switch {
	case err == nil:
		return true, nil
	case errors.As(err, &rerr):
		pl.Park(pl.Source, rec, entity, err.Error())
		return false, nil
	}
	return false, fmt.Errorf("map %s: %w", rec.Key(), err)
}

// FindPending looks up, by their key, the deals of records whose create had
// an unknown outcome (a pending marker of kind), all in one scan of the
// deals above their markers' bounds (DESIGN rule 2). keys holds the records
// that would create a deal; pending says which have a marker, found the
// deals found: adopted instead of made again. The others are certainly not
// in amoCRM.
func (e *Env) FindPending(ctx context.Context, kind string, keys map[int64]match.LeadKey) (pending map[int64]bool, found map[int64]*crm.Lead, err error) {
	if len(keys) == 0 {
		return nil, nil, nil
	}
	marks, err := e.Ledger.Pending(ctx, kind)
	if err != nil {
		return nil, nil, fmt.Errorf("read pending %s creates: %w", kind, err)
	}
	pending = map[int64]bool{}
	want := map[match.LeadKey]int64{}
	for _, m := range marks {
		if k, ok := keys[m.SourceID]; ok {
			pending[m.SourceID] = true
			want[k] = m.AboveID
		}
	}
	if len(want) == 0 {
		return pending, nil, nil
	}
	leads, err := e.Match.FindLeads(ctx, want)
	if err != nil {
		return nil, nil, fmt.Errorf("look up the deals of %d pending %ss: %w", len(want), kind, err)
	}
	found = map[int64]*crm.Lead{}
	for id := range pending {
		if l := leads[keys[id]]; l != nil {
			found[id] = l
			e.Log.Info("deal found after an unknown outcome", "source", kind, "record", kind+":"+fmt.Sprint(id), "lead_id", l.ID)
		}
	}
	return pending, found, nil
}

// ComparisonDue says whether a full comparison runs this pass: when forced
// (run -once), the first time, and when its cron (config key key) has come
// round since the last one, recorded in the state meta entry name.
func (e *Env) ComparisonDue(ctx context.Context, forced bool, name, key, spec string) (bool, error) {
	if forced {
		return true, nil
	}
	v, ok, err := e.Ledger.Meta(ctx, name)
	if err != nil {
		return false, fmt.Errorf("read when %s last ran: %w", key, err)
	}
	if !ok {
		return true, nil
	}
	last, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return true, nil
	}
	return e.CronDue(key, spec, last)
}

// CronDue says whether the cron spec (config key key) has come round
// since last.
func (e *Env) CronDue(key, spec string, last time.Time) (bool, error) {
	sched, err := config.ParseCron(spec)
	if err != nil {
		return false, fmt.Errorf("%s: %w", key, err)
	}
	return !sched.Next(last).After(e.Now()), nil
}

// Compared is the cursor meta recording that a full comparison ran.
func (e *Env) Compared(name string) map[string]string {
	return map[string]string{name: e.Now().UTC().Format(time.RFC3339)}
}
