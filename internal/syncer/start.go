package syncer

import (
	"context"
	"fmt"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/modx"
	"github.com/modx-amocrm/modx-amocrm/internal/plan"
	"github.com/modx-amocrm/modx-amocrm/internal/state"
)

const metaOldExtraImported = "old_extra_links_imported"

// initWatermarks loads the sources' watermarks; an empty state starts where
// sync.start (or -since for this run) says: "now" at the current end of
// every source, "all" at the beginning, a date at the first row created
// since. The start is committed at once so a later run does not move it,
// with, unless the start is "all", a baseline of the users before it to
// take (see userBaseline).
func (s *Syncer) initWatermarks(ctx context.Context, p *pass, sources ...string) error {
	var missing []string
	for _, src := range sources {
		v, ok, err := s.store.Watermark(ctx, src)
		if err != nil {
			return fmt.Errorf("read %s watermark: %w", src, err)
		}
		if ok {
			p.marks[src] = v
			continue
		}
		missing = append(missing, src)
	}
	if len(missing) == 0 {
		return nil
	}
	start := s.cfg.Sync.Start
	if p.opts.Since != "" {
		start = p.opts.Since
	}
	cur, err := s.startCursors(ctx, start)
	if err != nil {
		return err
	}
	var baseline *userBaseline
	for _, src := range missing {
		p.marks[src] = cur.Of(src)
		s.log.Info("starting source", "source", src, "start", start, "after_id", p.marks[src])
		if src == SourceUsers && start != "all" && p.marks[src] > 0 {
			baseline = &userBaseline{upto: p.marks[src]}
			p.baseline = baseline
		}
	}
	if p.opts.DryRun {
		return nil
	}
	return s.store.Commit(ctx, func(tx *state.Tx) error {
		for _, src := range missing {
			if err := tx.SetWatermark(src, p.marks[src]); err != nil {
				return err
			}
		}
		if baseline != nil {
			return tx.SetMeta(metaUsersBaseline, baseline.String())
		}
		return nil
	})
}

func (s *Syncer) startCursors(ctx context.Context, start string) (modx.Cursors, error) {
	switch start {
	case "all":
		return modx.Cursors{}, nil
	case "now", "":
		cur, err := s.src.MaxIDs(ctx)
		if err != nil {
			return cur, fmt.Errorf("read current ends of the sources: %w", err)
		}
		return cur, nil
	}
	day, err := time.ParseInLocation(time.DateOnly, start, time.UTC)
	if err != nil {
		return modx.Cursors{}, fmt.Errorf("sync.start: want \"now\", \"all\" or a date like 2024-01-01, got %q", start)
	}
	first, err := s.src.FirstIDsSince(ctx, day)
	if err != nil {
		return first, fmt.Errorf("find the first rows since %s: %w", start, err)
	}
	// FirstIDsSince gives the first id to send; the watermark is the one before.
	return modx.Cursors{Orders: max(first.Orders-1, 0), OrderLogs: max(first.OrderLogs-1, 0),
		Forms: max(first.Forms-1, 0), Users: max(first.Users-1, 0)}, nil
}

// importOldLinks takes over the old extra's links (amocrm_leads: order ->
// deal, amocrm_users: user -> contact) once, so nothing it sent is sent
// again. A dry run keeps them in memory.
func (s *Syncer) importOldLinks(ctx context.Context, p *pass) error {
	if _, done, err := s.store.Meta(ctx, metaOldExtraImported); err != nil {
		return fmt.Errorf("read old extra import flag: %w", err)
	} else if done {
		return nil
	}
	leads, err := s.src.OldLeads(ctx)
	if err != nil {
		return fmt.Errorf("read the old extra's amocrm_leads: %w", err)
	}
	users, err := s.src.OldUsers(ctx)
	if err != nil {
		return fmt.Errorf("read the old extra's amocrm_users: %w", err)
	}
	var links []state.Link
	for _, l := range leads {
		links = append(links, state.Link{Kind: plan.LinkOrder, SourceID: l.SourceID, AmoID: l.AmoID})
	}
	for _, u := range users {
		links = append(links, state.Link{Kind: plan.LinkUser, SourceID: u.SourceID, AmoID: u.AmoID})
	}
	if len(links) > 0 {
		s.log.Info("taking over the old extra's links", "orders", len(leads), "users", len(users))
	}
	if p.dry != nil {
		for _, l := range links {
			p.dry.putLink(l)
		}
		return nil
	}
	// Links we already have win: they carry a payload hash.
	return s.store.Commit(ctx, func(tx *state.Tx) error {
		for _, kind := range []string{plan.LinkOrder, plan.LinkUser} {
			var ids []int64
			for _, l := range links {
				if l.Kind == kind {
					ids = append(ids, l.SourceID)
				}
			}
			have, err := s.store.Links(ctx, kind, ids)
			if err != nil {
				return err
			}
			var add []state.Link
			for _, l := range links {
				if _, ok := have[l.SourceID]; l.Kind == kind && !ok {
					add = append(add, l)
				}
			}
			if err := tx.PutLinks(add); err != nil {
				return err
			}
		}
		return tx.SetMeta(metaOldExtraImported, time.Now().UTC().Format(time.RFC3339))
	})
}

// reportParked publishes how many records wait in the parked list.
func (s *Syncer) reportParked(ctx context.Context, p *pass) error {
	all, err := s.store.Failures(ctx)
	if err != nil {
		return fmt.Errorf("read parked records: %w", err)
	}
	p.result.ParkedTotal = len(all)
	bySource := map[string]int{SourceOrders: 0, SourceForms: 0, SourceUsers: 0}
	for _, f := range all {
		switch f.Kind {
		case plan.KindOrder:
			bySource[SourceOrders]++
		case plan.KindForm:
			bySource[SourceForms]++
		case plan.KindUser:
			bySource[SourceUsers]++
		}
	}
	for src, n := range bySource {
		s.metrics.SetParked(src, n)
	}
	return nil
}

// pageSize is how many rows a batch reads and plans at once. The client
// cuts writes into requests of sync.batch_size, so a page worth several
// requests fills each of them: new customers' deals go through
// leads/complex and known customers' through leads, 50 a request each,
// instead of two half-empty requests for every 50 orders.
const pageSize = 250
