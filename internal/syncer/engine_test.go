package syncer

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/modx-amocrm/modx-amocrm/internal/plan"
	"github.com/modx-amocrm/modx-amocrm/internal/state"
)

// fakeSource yields its batches, then nothing.
type fakeSource struct {
	name    string
	batches []*Batch
	log     *[]string
}

func (s *fakeSource) Name() string { return s.name }
func (s *fakeSource) Next(context.Context) (*Batch, error) {
	if len(s.batches) == 0 {
		return nil, nil
	}
	b := s.batches[0]
	s.batches = s.batches[1:]
	*s.log = append(*s.log, s.name+" next")
	return b, nil
}

// fakePlan is a plan that parks its record when refused.
type fakePlan struct {
	record  plan.Record
	written bool
	refused bool
}

func (p *fakePlan) Simulate(func() int64) {}
func (p *fakePlan) Report(plan.Writes) ([]plan.Entry, map[string]map[plan.Action]int) {
	a := plan.Create
	if p.refused {
		a = plan.Fail
	}
	return []plan.Entry{{Kind: "lead", Key: p.record.Key(), Action: a}}, map[string]map[plan.Action]int{"contact": {plan.Unchanged: 2}}
}
func (p *fakePlan) Writes() plan.Writes {
	if p.refused {
		return plan.Writes{Parked: []*plan.Parked{{Record: p.record, Reason: "refused"}}}
	}
	return plan.Writes{Links: []plan.Link{{Kind: plan.LinkOrder, SourceID: p.record.ID, AmoID: 1}}}
}

type fakeWriter struct{ log *[]string }

func (w fakeWriter) Write(_ context.Context, p Plan) error {
	fp := p.(*fakePlan)
	fp.written = true
	*w.log = append(*w.log, "write "+fp.record.Key())
	return nil
}

// fakeLedger records commits; the rest of the ledger is not read here.
type fakeLedger struct {
	Ledger
	log *[]string
}

func (l fakeLedger) Commit(_ context.Context, w plan.Writes, c Cursor) error {
	*l.log = append(*l.log, "commit")
	return nil
}
func (l fakeLedger) Failures(context.Context) ([]state.Failure, error) { return nil, nil }

func batch(id int64, refused bool) *Batch {
	return &Batch{Plan: &fakePlan{record: plan.Record{Kind: plan.KindOrder, ID: id}, refused: refused}, Rows: 1, Span: 1}
}

// TestPass: every source is drained in order, each batch written, reported
// and committed before the next is read, and the result counts what the
// plans report.
func TestPass(t *testing.T) {
	var log []string
	sources := []Source{
		&fakeSource{name: "orders", batches: []*Batch{batch(1, false), batch(2, true)}, log: &log},
		&fakeSource{name: "forms", batches: []*Batch{batch(3, false)}, log: &log},
	}
	e := New(Options{Sources: func(context.Context) ([]Source, error) { return sources, nil },
		Writer: fakeWriter{&log}, Ledger: fakeLedger{log: &log}})
	res, err := e.Pass(context.Background(), PassOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"orders next", "write order:1", "commit", "orders next", "write order:2", "commit", "forms next", "write order:3", "commit"}
	if !slices.Equal(log, want) {
		t.Errorf("got %v\nwant %v", log, want)
	}
	if res.Count("lead", plan.Create) != 2 || res.Count("lead", plan.Fail) != 1 || res.Parked != 1 || res.Unlisted["contact"][plan.Unchanged] != 6 {
		t.Errorf("result %+v", res)
	}
	if res.Read["orders"] != 2 || res.Read["forms"] != 1 {
		t.Errorf("read %v, want 2 orders and 1 form", res.Read)
	}
}

// TestPassStops: a closed Stop ends the pass before the next batch, with
// ErrStopped; what was committed stays.
func TestPassStops(t *testing.T) {
	var log []string
	stop := make(chan struct{})
	src := &fakeSource{name: "orders", batches: []*Batch{batch(1, false), batch(2, false)}, log: &log}
	e := New(Options{Sources: func(context.Context) ([]Source, error) { return []Source{src}, nil },
		Writer: fakeWriter{&log}, Ledger: fakeLedger{log: &log}})
	progress := func(done, total int) { close(stop) }
	_, err := e.Pass(context.Background(), PassOptions{Stop: stop, Progress: progress})
	if !errors.Is(err, ErrStopped) {
		t.Fatalf("got %v, want ErrStopped", err)
	}
	if want := []string{"orders next", "write order:1", "commit"}; !slices.Equal(log, want) {
		t.Errorf("got %v, want %v", log, want)
	}
}
