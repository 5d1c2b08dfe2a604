package syncer

import (
	"context"
	"errors"
	"fmt"
)

// Pass runs one pass: every source drained in order, then the parked
// records counted for the metrics.
func (e *Engine) Pass(ctx context.Context, opts PassOptions) (*Result, error) {
	p := e.newPass(opts)
	if b, ok := e.opts.Ledger.(interface{ BeginPass() }); ok {
		b.BeginPass() // what the ledger read in the last pass is read again
	}
	sources, err := e.opts.Sources(ctx)
	if err != nil {
		return p.finish(), err
	}
	for _, src := range sources {
		err := e.drain(ctx, p, src)
		e.opts.Metrics.PassDone(src.Name(), err == nil, e.opts.Now())
		if err != nil {
			return p.finish(), stopped(ctx, src.Name(), err)
		}
	}
	return p.finish(), e.publishParked(ctx, p)
}

// drain runs a source to its end: next batch -> writer -> report -> ledger
// commit, one stop condition for every source.
func (e *Engine) drain(ctx context.Context, p *pass, src Source) error {
	if err := e.backlog(ctx, p, src); err != nil {
		return err
	}
	for {
		if err := p.stopping(ctx); err != nil {
			return err
		}
		b, err := src.Next(ctx)
		if err != nil || b == nil {
			return err
		}
		if err := e.opts.Writer.Write(ctx, b.Plan); err != nil {
			return err
		}
		w := b.Plan.Writes()
		if err := p.record(b, src.Name(), w); err != nil {
			return err
		}
		if err := e.opts.Ledger.Commit(ctx, w, b.Cursor); err != nil {
			return err
		}
		p.progress(b.Span)
	}
}

// backlog adds what a source has left to the progress total and the
// backlog gauges.
func (e *Engine) backlog(ctx context.Context, p *pass, src Source) error {
	b, ok := src.(Backlogger)
	if !ok {
		return nil
	}
	left, err := b.Backlog(ctx)
	if err != nil {
		return fmt.Errorf("estimate the backlog: %w", err)
	}
	for stream, n := range left {
		p.total += n
		e.opts.Metrics.SetBacklog(stream, n)
	}
	return nil
}

// stopped names the source of an error, and words an interrupted pass as
// ErrStopped: everything before the batch in flight is committed.
func stopped(ctx context.Context, source string, err error) error {
	switch {
	case errors.Is(err, ErrStopped):
		return err
	case ctx.Err() != nil:
		return fmt.Errorf("%w: %s: %w", ErrStopped, source, context.Cause(ctx))
	}
	return fmt.Errorf("%s: %w", source, err)
}

// publishParked sets the parked gauges from the ledger after the pass.
func (e *Engine) publishParked(ctx context.Context, p *pass) error {
	all, err := e.opts.Ledger.Failures(ctx)
	if err != nil {
		return fmt.Errorf("read parked records: %w", err)
	}
	p.result.ParkedTotal = len(all)
	bySource := map[string]int{SourceOrders: 0, SourceForms: 0, SourceUsers: 0}
	for _, f := range all {
		bySource[sourceOfKind[f.Kind]]++
	}
	for src, n := range bySource {
		if src != "" {
			e.opts.Metrics.SetParked(src, n)
		}
	}
	return nil
}
