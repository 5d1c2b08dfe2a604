// Package syncer is the engine of a pass: it drains the sources it is given,
// in order, one batch at a time. A batch is a plan (package plan, or
// shopstatus for the way back) and a cursor; the writer carries the plan
// out, the report gets its entries, and the ledger commits its outcome and
// the cursor in one transaction:
//
//	for each source: next batch -> writer -> report -> ledger commit
//
// The engine does not know what a source reads, what a writer writes or
// where the ledger keeps things. internal/site builds it from the config:
// the sources (listed there once, in the order they must run), and the one
// choice between a real run (amoCRM and shop writes, the state) and a dry
// run (made-up ids, a ledger in memory over the state), made there and
// nowhere else.
package syncer

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/plan"
	"github.com/modx-amocrm/modx-amocrm/internal/state"
)

// Sources, as -only, reports and metrics name them.
const (
	SourceOrders     = plan.SourceOrders
	SourceOrderLogs  = plan.SourceOrderLogs
	SourceForms      = plan.SourceForms
	SourceUsers      = plan.SourceUsers
	SourceShopStatus = plan.SourceShopStatus
)

// Source reads one stream of the shop (or of amoCRM, for [shop_status]) and
// plans it a batch at a time.
type Source interface {
	// Name is the source as -only and the metrics name it.
	Name() string
	// Next reads and plans the next batch; nil when the source is drained.
	Next(ctx context.Context) (*Batch, error)
}

// Backlogger is a Source that can say how many rows it has left, for the
// progress total and the backlog gauges.
type Backlogger interface {
	Backlog(ctx context.Context) (map[string]int, error)
}

// Batch is one planned batch of a source.
type Batch struct {
	Plan   Plan
	Cursor Cursor
	// Stream and Rows count the rows read for the batch (the result's
	// Read and the rows-read metric); Stream defaults to the source's name.
	Stream string
	Rows   int
	// Span is how far the batch moved its stream, in ids: the progress
	// made against the backlog (Backlogger), which is counted the same way.
	Span int
}

// Plan is a batch's decisions. The writer carries it out, writing the
// outcomes onto it; then it says what the report gets and what the ledger
// commits. *plan.Plan and *shopstatus.Plan are the two kinds.
type Plan interface {
	// Simulate gives what the plan creates made-up ids from next: the dry
	// run's stand-in for writing it.
	Simulate(next func() int64)
	// Report returns the plan's entries and the entities it counts
	// without listing them, with its outcomes; w is its Writes.
	Report(w plan.Writes) ([]plan.Entry, map[string]map[plan.Action]int)
	// Writes is what the plan and its outcomes leave in the state.
	Writes() plan.Writes
}

// Cursor is where a batch leaves its source, as data the ledger commits
// with the batch's writes: watermarks, rows that wait, waiting rows done,
// state meta, and links that are the source's own (a baseline, links taken
// over from the old extra).
type Cursor struct {
	Watermarks map[string]int64
	Waiting    []state.Waiting
	Done       map[string][]int64 // waiting rows settled, by kind
	Meta       map[string]string
	Links      []plan.Link
	// Gone are records MODX no longer has, by kind: their parked failure
	// and their pending marker are dropped, nothing is left to send.
	Gone map[string][]int64
}

// Writer carries plans out: to amoCRM and the shop in a real run, made-up
// ids in a dry run.
type Writer interface {
	Write(ctx context.Context, p Plan) error
}

// Ledger is our state as a pass reads and commits it: the state store in a
// real run (StoreLedger), memory over it in a dry run (package dryrun). The
// engine commits batches; the sources, the matcher and the writers read it
// and keep their own bookkeeping in it.
type Ledger interface {
	// Commit writes a batch's outcome and its cursor in one transaction.
	Commit(ctx context.Context, w plan.Writes, c Cursor) error

	Watermark(ctx context.Context, source string) (int64, bool, error)
	Links(ctx context.Context, kind string, ids []int64) (map[int64]plan.Link, error)
	LinksByAmoIDs(ctx context.Context, kind string, amoIDs []int64) (map[int64][]plan.Link, error)
	Pending(ctx context.Context, kind string) ([]state.PendingCreate, error)
	Waiting(ctx context.Context, kind string) ([]state.Waiting, error)
	Failures(ctx context.Context) ([]state.Failure, error)
	DueFailures(ctx context.Context, kind string, now time.Time, limit int) ([]state.Failure, error)
	LookupContacts(ctx context.Context, keys []string) (map[string]int64, error)
	Meta(ctx context.Context, name string) (string, bool, error)
	// Elements are the products list's elements the shop's products became.
	Elements(ctx context.Context, catalogID int64, productIDs []int64) (map[int64]state.Element, error)
	// OrderSignatures, SentOrders and LinkedWithoutSignature are what the
	// comparison of edited orders reads: a keyset page of the signatures
	// recorded, what the deals of some orders last got (encoded
	// transform.Sent), and a page of linked orders recorded before edits
	// were followed.
	OrderSignatures(ctx context.Context, afterID int64, limit int) (map[int64]int64, int64, error)
	SentOrders(ctx context.Context, ids []int64) (map[int64][]byte, error)
	LinkedWithoutSignature(ctx context.Context, kind string, afterID int64, limit int) ([]int64, error)

	// SetMeta, PutContactKeys and MarkPendings write at once, outside a
	// batch: caches, the contact index, and markers that must be durable
	// before the creates they mark start.
	SetMeta(ctx context.Context, name, value string) error
	PutContactKeys(ctx context.Context, keys map[string]int64, origin string) error
	MarkPendings(ctx context.Context, marks []state.PendingCreate, meta map[string]string) error
}

// Metrics receives what a pass did; *metrics.Metrics satisfies it.
type Metrics interface {
	RowsRead(source string, n int)
	Written(kind, result string, n int)
	PassDone(source string, ok bool, at time.Time)
	SetBacklog(source string, n int)
	SetParked(source string, n int)
}

// Engine runs passes. It is not safe for concurrent passes: the scheduler
// never overlaps them, and across processes the leader lock keeps one.
type Engine struct {
	opts Options
}

// Options are what the engine is built of.
type Options struct {
	// Sources returns the sources of one pass, in the order they run
	// (each pass starts them afresh: a source's state is its own and lasts
	// a pass).
	Sources func(ctx context.Context) ([]Source, error)
	Writer  Writer
	Ledger  Ledger
	// DryRun only words the result: "would create" (the choice itself is
	// the writer and the ledger).
	DryRun bool

	Logger  *slog.Logger
	Metrics Metrics          // nil records nothing
	Now     func() time.Time // nil: time.Now
	// Requests returns how many amoCRM requests were made so far, for the
	// pass summary; nil leaves it 0.
	Requests func() int
}

// New returns an engine. internal/site is its one builder.
func New(opts Options) *Engine {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Metrics == nil {
		opts.Metrics = noMetrics{}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Requests == nil {
		opts.Requests = func() int { return 0 }
	}
	return &Engine{opts: opts}
}

type noMetrics struct{}

func (noMetrics) RowsRead(string, int)             {}
func (noMetrics) Written(string, string, int)      {}
func (noMetrics) PassDone(string, bool, time.Time) {}
func (noMetrics) SetBacklog(string, int)           {}
func (noMetrics) SetParked(string, int)            {}

// PassOptions are what a caller follows of one pass.
type PassOptions struct {
	// Report receives one entry per planned change; may be nil.
	Report Reporter
	// Progress is told how many rows are done and how many are known; may be nil.
	Progress func(done, total int)
	// Stop, when closed, ends the pass after the batch in flight: a graceful
	// shutdown that leaves nothing half-written.
	Stop <-chan struct{}
}

// Reporter receives the plans' entries as they are decided.
type Reporter interface {
	Write(plan.Entry) error
}

// ErrStopped means the pass was interrupted (context cancelled or Stop
// closed) after the last complete batch: everything before it is committed.
var ErrStopped = errors.New("pass stopped")
