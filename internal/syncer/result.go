package syncer

import (
	"context"
	"fmt"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/plan"
	"github.com/modx-amocrm/modx-amocrm/internal/report"
)

// Result is what a pass did, for the summary line, the report and exit codes.
type Result struct {
	DryRun   bool
	Started  time.Time
	Finished time.Time
	// Counts by entity kind ("lead", "contact", "field", "pipeline") and
	// action ("create", "update", "unchanged", "skip", "fail").
	Counts map[string]map[plan.Action]int
	// Unlisted are the counts of entities counted but not listed in the
	// report (unchanged users), by kind and action; Counts includes them.
	Unlisted map[string]map[plan.Action]int
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
func (r *Result) Count(kind string, action plan.Action) int { return r.Counts[kind][action] }

// ReportSummary is the pass as a report's summary: the report's counts then
// agree with the summary line.
func (r *Result) ReportSummary(sources []string) report.Summary {
	return report.Summary{DryRun: r.DryRun, Sources: sources, Started: r.Started, Finished: r.Finished,
		Requests: r.Requests, Unlisted: r.Unlisted}
}

// Summary is one line: created, updated, unchanged, parked, requests, time.
// A dry run says what it would do.
func (r *Result) Summary() string {
	total := func(a plan.Action) int {
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
	return fmt.Sprintf(format, total(plan.Create), total(plan.Update), total(plan.Unchanged),
		total(plan.Skip), r.Parked, r.Requests, r.Finished.Sub(r.Started).Round(time.Millisecond))
}

// sourceOfKind is the source whose records are of a kind.
var sourceOfKind = map[string]string{plan.KindOrder: SourceOrders, plan.KindForm: SourceForms, plan.KindUser: SourceUsers}

// metricResult names an action the way the written-entities metric does.
var metricResult = map[plan.Action]string{
	plan.Create: "created", plan.Update: "updated", plan.Unchanged: "unchanged",
	plan.Skip: "skipped", plan.Fail: "failed",
}

// pass is one pass's bookkeeping: what the caller follows, and the result.
type pass struct {
	e        *Engine
	opts     PassOptions
	requests int // the client's request count when the pass began
	result   *Result

	done, total int // rows done and known backlog, for Progress
}

func (e *Engine) newPass(opts PassOptions) *pass {
	return &pass{e: e, opts: opts, requests: e.opts.Requests(), result: &Result{
		DryRun:   e.opts.DryRun,
		Started:  e.opts.Now(),
		Counts:   map[string]map[plan.Action]int{},
		Unlisted: map[string]map[plan.Action]int{},
		Read:     map[string]int{},
	}}
}

// record counts a batch's rows and its plan's entries, streams the entries
// to the report and adds the entities counted without listing.
func (p *pass) record(b *Batch, source string, w plan.Writes) error {
	stream := b.Stream
	if stream == "" {
		stream = source
	}
	if b.Rows > 0 {
		p.result.Read[stream] += b.Rows
		p.e.opts.Metrics.RowsRead(stream, b.Rows)
	}
	p.result.Parked += len(w.Parked)
	entries, counted := b.Plan.Report(w)
	for _, e := range entries {
		p.count(p.result.Counts, e.Kind, e.Action, 1)
		p.e.opts.Metrics.Written(e.Kind, metricResult[e.Action], 1)
		if p.opts.Report != nil {
			if err := p.opts.Report.Write(e); err != nil {
				return fmt.Errorf("write report: %w", err)
			}
		}
	}
	for kind, byAction := range counted {
		for a, n := range byAction {
			p.count(p.result.Counts, kind, a, n)
			p.count(p.result.Unlisted, kind, a, n)
			p.e.opts.Metrics.Written(kind, metricResult[a], n)
		}
	}
	return nil
}

// count adds n entities of kind with action.
func (p *pass) count(into map[string]map[plan.Action]int, kind string, a plan.Action, n int) {
	if into[kind] == nil {
		into[kind] = map[plan.Action]int{}
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
	p.result.Finished = p.e.opts.Now()
	p.result.Requests = p.e.opts.Requests() - p.requests
	return p.result
}
