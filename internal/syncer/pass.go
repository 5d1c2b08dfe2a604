package syncer

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/plan"
	"github.com/modx-amocrm/modx-amocrm/internal/report"
	"github.com/modx-amocrm/modx-amocrm/internal/state"
	"github.com/modx-amocrm/modx-amocrm/internal/transform"
)

// pass is the state of one pass: options, account metadata, the mapper and
// the counters that end up in the Result.
type pass struct {
	syncer   *Syncer
	requests int // the client's request count when the pass began
	opts     PassOptions
	meta     transform.Meta
	mapper   *transform.Mapper
	result   *Result
	now      func() time.Time

	done, total int // rows done and known backlog, for Progress

	marks       map[string]int64 // watermarks as this pass moved them
	retried     map[int64]bool   // parked orders already retried in this pass
	draftStatus int64
	shop        string // modx.ShopMiniShop2 or modx.ShopMiniShop3
	fieldSeq    int64  // the last made-up id of a field still to be created
	// waitingSince are the waiting rows as the waiting list had them.
	waitingSince map[state.Key]state.Waiting
	// baseline is the users baseline this pass's start began, if any.
	baseline *userBaseline
	// unsettled are orders seen in this pass that are not settled yet (see
	// settling): their status logs leave them to the waiting list.
	unsettled map[int64]bool
	// planned are orders this pass has already handled outside the new
	// orders' range (pending, waiting, parked), so a later step (their
	// status log) does not plan them again; newFrom is the orders watermark
	// the pass began at: everything above it up to the moving watermark was
	// planned as a new order. The set stays as small as those lists.
	planned map[int64]bool
	newFrom int64
	// metaCached: the account metadata came from the state's cache.
	metaCached bool
	// indexed: the contact index was brought up to date in this pass.
	indexed bool
	// newestLead and newestContact bound what a create of the pass may
	// have stored, for its pending marker (see newestID).
	newestLead, newestContact newestID
	// parkedKinds are the record kinds with parked failures: only they need
	// their failures settled at commit.
	parkedKinds map[string]bool
	// dry holds, in a dry run, what the run would have committed, so later
	// batches plan against it as the real run plans against the state.
	dry *overlay
}

// Result is what a pass did, for the summary line, the report and exit codes.
type Result struct {
	DryRun   bool
	Started  time.Time
	Finished time.Time
	// Counts by entity kind ("lead", "contact", "field", "pipeline") and
	// action ("create", "update", "unchanged", "skip", "fail").
	Counts map[string]map[report.Action]int
	// Unlisted are the counts of entities counted but not listed in the
	// report (unchanged users), by kind and action; Counts includes them.
	Unlisted map[string]map[report.Action]int
	// Read counts rows read per source.
	Read map[string]int
	// Parked is the number of records parked (or, in a dry run, that would
	// be) by this pass.
	Parked int
	// ParkedTotal is every parked record in the state after the pass.
	ParkedTotal int
	// Requests is how many amoCRM requests the pass made, when known.
	Requests int
}

// Count returns the number of entities of kind with action.
func (r *Result) Count(kind string, action report.Action) int { return r.Counts[kind][action] }

// ReportSummary is the pass as a report's summary: the report's counts then
// agree with the summary line.
func (r *Result) ReportSummary(sources []string) report.Summary {
	return report.Summary{DryRun: r.DryRun, Sources: sources, Started: r.Started, Finished: r.Finished,
		Requests: r.Requests, Unlisted: r.Unlisted}
}

// Summary is one line: created, updated, unchanged, parked, requests, time.
// A dry run says what it would do.
func (r *Result) Summary() string {
	total := func(a report.Action) int {
		n := 0
		for _, byAction := range r.Counts {
			n += byAction[a]
		}
		return n
	}
	format := "created %d, updated %d, unchanged %d, skipped %d, parked %d; %d requests; %s"
	if r.DryRun {
		format = "would create %d, update %d, leave %d unchanged, skip %d, park %d; %d requests; %s"
	}
	return fmt.Sprintf(format, total(report.Create), total(report.Update), total(report.Unchanged),
		total(report.Skip), r.Parked, r.Requests, r.Finished.Sub(r.Started).Round(time.Millisecond))
}

func (s *Syncer) newPass(ctx context.Context, opts PassOptions) (*pass, error) {
	for _, o := range opts.Only {
		switch o {
		case SourceOrders, SourceForms, SourceUsers, SourceShopStatus:
		default:
			return nil, fmt.Errorf("-only: unknown source %q: want orders, forms, users or shop_status", o)
		}
	}
	p := &pass{
		syncer:        s,
		requests:      s.requests(),
		opts:          opts,
		now:           s.now,
		marks:         map[string]int64{},
		retried:       map[int64]bool{},
		planned:       map[int64]bool{},
		unsettled:     map[int64]bool{},
		waitingSince:  map[state.Key]state.Waiting{},
		parkedKinds:   map[string]bool{},
		newestLead:    newestID{meta: metaNewestLead, ask: s.crm.NewestLeadID},
		newestContact: newestID{meta: metaNewestContact, ask: s.crm.NewestContactID},
		result: &Result{
			DryRun:   opts.DryRun,
			Started:  s.now(),
			Counts:   map[string]map[report.Action]int{},
			Unlisted: map[string]map[report.Action]int{},
			Read:     map[string]int{},
		},
	}
	if opts.DryRun {
		p.dry = newOverlay()
	}
	s.src.ResetCaches() // the category tree and accounts may have changed since the last pass
	if err := s.loadMeta(ctx, p); err != nil {
		return nil, err
	}
	if err := s.importOldLinks(ctx, p); err != nil {
		return nil, err
	}
	parked, err := s.store.Failures(ctx)
	if err != nil {
		return nil, fmt.Errorf("read parked records: %w", err)
	}
	for _, f := range parked {
		p.parkedKinds[f.Kind] = true
	}
	return p, nil
}

func (p *pass) selected(source string) bool {
	return len(p.opts.Only) == 0 || slices.Contains(p.opts.Only, source)
}

// record counts the plan's entries, streams them to the report and adds the
// entities it counts without listing.
func (p *pass) record(pl *plan.Plan, w plan.Writes) error {
	p.result.Parked += len(w.Parked)
	if err := p.entries(pl.Entries(&p.meta, w)); err != nil {
		return err
	}
	for kind, byAction := range pl.Counted {
		for a, n := range byAction {
			p.counted(kind, a, n)
		}
	}
	return nil
}

// entries counts entries and streams them to the report.
func (p *pass) entries(es []report.Entry) error {
	for _, e := range es {
		p.count(p.result.Counts, e.Kind, e.Action, 1)
		if !p.opts.DryRun {
			p.syncer.metrics.Written(e.Kind, metricResult[e.Action], 1)
		}
		if p.opts.Report != nil {
			if err := p.opts.Report.Write(e); err != nil {
				return fmt.Errorf("write report: %w", err)
			}
		}
	}
	return nil
}

// counted adds n entities of kind with action that are not listed.
func (p *pass) counted(kind string, a report.Action, n int) {
	p.count(p.result.Counts, kind, a, n)
	p.count(p.result.Unlisted, kind, a, n)
	if !p.opts.DryRun {
		p.syncer.metrics.Written(kind, metricResult[a], n)
	}
}

func (p *pass) count(into map[string]map[report.Action]int, kind string, a report.Action, n int) {
	if into[kind] == nil {
		into[kind] = map[report.Action]int{}
	}
	into[kind][a] += n
}

// stopping reports whether the pass must end before its next batch.
func (p *pass) stopping(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case <-p.opts.Stop:
		return ErrStopped
	default:
		return nil
	}
}

// progress tells the caller n more rows are done.
func (p *pass) progress(n int) {
	p.done += n
	if p.opts.Progress != nil && n > 0 {
		p.opts.Progress(p.done, p.total)
	}
}

func (p *pass) finish() *Result {
	p.result.Finished = p.now()
	p.result.Requests = p.syncer.requests() - p.requests
	return p.result
}

// links returns the links of kind for ids: the state's, under what a dry
// run would have written.
func (p *pass) links(ctx context.Context, kind string, ids []int64) (map[int64]state.Link, error) {
	links, err := p.syncer.store.Links(ctx, kind, ids)
	if err != nil {
		return nil, fmt.Errorf("read %s links: %w", kind, err)
	}
	if p.dry != nil {
		p.dry.links(kind, ids, links)
	}
	return links, nil
}

// pending returns the pending create markers of kind by record id.
func (p *pass) pending(ctx context.Context, kind string) (map[int64]state.PendingCreate, error) {
	marks, err := p.syncer.store.Pending(ctx, kind)
	if err != nil {
		return nil, fmt.Errorf("read pending %s creates: %w", kind, err)
	}
	out := make(map[int64]state.PendingCreate, len(marks))
	for _, m := range marks {
		if p.dry == nil || !p.dry.cleared[kind][m.SourceID] {
			out[m.SourceID] = m
		}
	}
	return out, nil
}

// waitingIDs loads the waiting rows of kind, remembering when each began
// to wait.
func (p *pass) waitingIDs(ctx context.Context, kind string) ([]int64, error) {
	waiting, err := p.syncer.store.Waiting(ctx, kind)
	if err != nil {
		return nil, fmt.Errorf("read waiting %s rows: %w", kind, err)
	}
	ids := make([]int64, 0, len(waiting))
	for _, w := range waiting {
		ids = append(ids, w.SourceID)
		p.waitingSince[state.Key{Kind: kind, SourceID: w.SourceID}] = w
	}
	return ids, nil
}

// metricResult names an action the way the written-entities metric does.
var metricResult = map[report.Action]string{
	report.Create: "created", report.Update: "updated", report.Unchanged: "unchanged",
	report.Skip: "skipped", report.Fail: "failed",
}

// planLink turns a state link into the plan's.
func planLink(l state.Link) plan.Link {
	return plan.Link{Kind: l.Kind, SourceID: l.SourceID, AmoID: l.AmoID, Hash: l.Hash}
}
