package syncer

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

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
	started  time.Time
	meta     transform.Meta
	mapper   *transform.Mapper
	index    *contactIndex
	result   *Result
	now      func() time.Time

	done, total int // rows done and known backlog, for Progress

	marks       map[string]int64 // watermarks as this pass moved them
	retried     map[int64]bool   // parked orders already retried in this pass
	draftStatus int64
	fieldsSeen  map[string]bool
	// memLinks holds links a dry run knows but must not write (the old
	// extra's), by kind and source id.
	memLinks map[string]map[int64]state.Link
	// planned are the orders this pass has already handled, so a later step
	// (their status log) does not report them again; in a dry run, where
	// nothing is linked, it would even plan them twice.
	planned map[int64]bool
}

// Result is what a pass did, for the summary line, the report and exit codes.
type Result struct {
	DryRun   bool
	Started  time.Time
	Finished time.Time
	// Counts by entity kind ("lead", "contact", "field", "pipeline") and
	// action ("create", "update", "unchanged", "skip", "fail").
	Counts map[string]map[report.Action]int
	// Read counts rows read per source.
	Read map[string]int
	// Parked is the number of records parked by this pass.
	Parked int
	// ParkedTotal is every parked record in the state after the pass.
	ParkedTotal int
	// Requests is how many amoCRM requests the pass made, when known.
	Requests int
}

// Count returns the number of entities of kind with action.
func (r *Result) Count(kind string, action report.Action) int { return r.Counts[kind][action] }

// Summary is one line: created, updated, unchanged, parked, requests, time.
func (r *Result) Summary() string {
	total := func(a report.Action) int {
		n := 0
		for _, byAction := range r.Counts {
			n += byAction[a]
		}
		return n
	}
	verb, parked := "", r.Parked
	if r.DryRun {
		verb, parked = "would be ", total(report.Fail)
	}
	return fmt.Sprintf("%screated %d, updated %d, unchanged %d, skipped %d, parked %d; %d requests; %s",
		verb, total(report.Create), total(report.Update), total(report.Unchanged),
		total(report.Skip), parked, r.Requests, r.Finished.Sub(r.Started).Round(time.Millisecond))
}

func (s *Syncer) newPass(ctx context.Context, opts PassOptions) (*pass, error) {
	p := &pass{
		syncer:   s,
		requests: s.requests(),
		opts:     opts,
		started:  s.now(),
		now:      s.now,
		marks:    map[string]int64{},
		retried:  map[int64]bool{},
		memLinks: map[string]map[int64]state.Link{},
		planned:  map[int64]bool{},
		result: &Result{
			DryRun:  opts.DryRun,
			Started: s.now(),
			Counts:  map[string]map[report.Action]int{},
			Read:    map[string]int{},
		},
	}
	for _, o := range opts.Only {
		switch o {
		case SourceOrders, SourceForms, SourceUsers:
		default:
			return nil, fmt.Errorf("-only: unknown source %q: want orders, forms or users", o)
		}
	}
	s.src.ResetCategories() // the category tree may have changed since the last pass
	if err := s.loadMeta(ctx, p); err != nil {
		return nil, err
	}
	if err := s.importOldLinks(ctx, p); err != nil {
		return nil, err
	}
	idx, err := s.refreshIndex(ctx, p.opts.DryRun)
	if err != nil {
		return nil, err
	}
	p.index = idx
	return p, nil
}

func (p *pass) selected(source string) bool {
	return len(p.opts.Only) == 0 || slices.Contains(p.opts.Only, source)
}

// count counts an entity without listing it (the many unchanged users of a
// full comparison).
func (p *pass) count(kind string, action report.Action) {
	byAction := p.result.Counts[kind]
	if byAction == nil {
		byAction = map[report.Action]int{}
		p.result.Counts[kind] = byAction
	}
	byAction[action]++
}

// record counts one planned or applied entity and streams it to the report.
func (p *pass) record(e report.Entry) error {
	p.count(e.Kind, e.Action)
	if !p.opts.DryRun {
		p.syncer.metrics.Written(e.Kind, metricResult[e.Action], 1)
	}
	if e.Action == report.Fail && !p.opts.DryRun {
		p.result.Parked++
	}
	if p.opts.Report == nil {
		return nil
	}
	if err := p.opts.Report.Write(e); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
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

// metricResult names an action the way the written-entities metric does.
var metricResult = map[report.Action]string{
	report.Create: "created", report.Update: "updated", report.Unchanged: "unchanged",
	report.Skip: "skipped", report.Fail: "failed",
}

// sourceKey is "kind:id", the form `failed` and `retry` use.
func sourceKey(kind string, id int64) string { return fmt.Sprintf("%s:%d", kind, id) }

// oneLine flattens a reason for a report or log line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
