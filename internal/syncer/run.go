package syncer

import (
	"context"
	"fmt"

	"github.com/modx-amocrm/modx-amocrm/internal/plan"
	"github.com/modx-amocrm/modx-amocrm/internal/state"
)

// reader is one stream of MODX rows a pass drains: orders after their
// watermark, waiting or parked orders, status logs, forms, users. Each call
// reads the next page and plans it.
type reader interface {
	// next returns the next planned page, or nil when the stream is drained.
	next(ctx context.Context, p *pass) (*page, error)
}

// page is one batch of a reader: its plan, and what the commit adds.
type page struct {
	plan *plan.Plan // nil: nothing to write (the rows only move the watermark)
	rows int        // rows read, for progress
	more bool       // the reader may have more
	// commit adds the page's own state writes (its watermark, waiting rows)
	// to the batch's transaction; done then moves the pass's cursors.
	commit func(*state.Tx) error
	done   func()
}

// drain runs r to its end: read and plan a page, apply it (or, in a dry
// run, simulate it), report it, commit it; one stop condition for every
// source.
func (s *Syncer) drain(ctx context.Context, p *pass, r reader) error {
	for {
		if err := p.stopping(ctx); err != nil {
			return err
		}
		pg, err := r.next(ctx, p)
		if err != nil || pg == nil {
			return err
		}
		if err := s.runPage(ctx, p, pg); err != nil {
			return err
		}
		if !pg.more {
			return nil
		}
	}
}

// finish moves the pass's cursors past the page.
func (pg *page) finish() {
	if pg.done != nil {
		pg.done()
	}
}

// runPage is the one-way walk of a batch: plan (done by the reader) ->
// apply -> report -> commit.
func (s *Syncer) runPage(ctx context.Context, p *pass, pg *page) error {
	pl := pg.plan
	if pl == nil {
		pl = &plan.Plan{}
	}
	if p.dry != nil {
		pl.Simulate(p.dry.nextID)
	} else if err := s.apply(ctx, p, pl); err != nil {
		return err
	}
	w := pl.Writes()
	if err := p.record(pl, w); err != nil {
		return err
	}
	if p.dry != nil {
		pg.finish()
		p.dry.absorb(pl, w, p.plannedBefore)
	} else {
		if err := s.commit(ctx, p, pl.Kind, w, pg.commit); err != nil {
			return err
		}
		pg.finish()
		if pl.Refusals() > 0 {
			if err := s.refreshAccount(ctx, p); err != nil {
				return err
			}
		}
	}
	p.progress(pg.rows)
	return nil
}

// commit writes a batch's outcome and the page's own writes in one
// transaction, a statement per table where the rows allow it, and nothing
// where there is nothing to write.
func (s *Syncer) commit(ctx context.Context, p *pass, kind string, w plan.Writes, extra func(*state.Tx) error) error {
	if !p.parkedKinds[kind] {
		delete(w.Resolved, kind) // nothing of the kind is parked: nothing to settle
	}
	if len(w.Parked) > 0 {
		p.parkedKinds[kind] = true
	}
	if extra == nil && len(w.Links)+len(w.ContactKeys)+len(w.Cleared)+len(w.Resolved)+len(w.Parked) == 0 {
		return nil
	}
	return s.store.Commit(ctx, func(tx *state.Tx) error {
		links := make([]state.Link, len(w.Links))
		for i, l := range w.Links {
			links[i] = state.Link{Kind: l.Kind, SourceID: l.SourceID, AmoID: l.AmoID, Hash: l.Hash}
		}
		if err := tx.PutLinks(links); err != nil {
			return err
		}
		if err := tx.PutContactKeys(w.ContactKeys, "sync"); err != nil {
			return err
		}
		for kind, ids := range w.Cleared {
			if err := tx.ClearPendings(kind, ids); err != nil {
				return err
			}
		}
		for kind, ids := range w.Resolved {
			if err := tx.ResolveAll(kind, ids); err != nil {
				return err
			}
		}
		for _, pk := range w.Parked {
			if err := tx.Park(state.Failure{Kind: pk.Record.Kind, SourceID: pk.Record.ID, Reason: pk.Reason}); err != nil {
				return err
			}
		}
		if extra != nil {
			return extra(tx)
		}
		return nil
	})
}

// settleMissing drops the failure and marker of records of kind that MODX
// no longer has: nothing is left to send.
func (s *Syncer) settleMissing(ctx context.Context, p *pass, kind string, ids []int64) error {
	if len(ids) == 0 || p.dry != nil {
		return nil
	}
	if err := s.store.Commit(ctx, func(tx *state.Tx) error {
		if err := tx.ResolveAll(kind, ids); err != nil {
			return err
		}
		return tx.ClearPendings(kind, ids)
	}); err != nil {
		return fmt.Errorf("settle %s records gone from MODX: %w", kind, err)
	}
	return nil
}
