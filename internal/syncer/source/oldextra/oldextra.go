// Package oldextra is the source that takes over what the old PHP "amoCRM"
// extra sent: its links (amocrm_leads: order -> deal, amocrm_users: user ->
// contact), once, before any other source reads links, so nothing it sent
// is sent again.
package oldextra

import (
	"context"
	"fmt"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/plan"
	"github.com/modx-amocrm/modx-amocrm/internal/shop"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer/source"
)

// Shop is the shop as this source reads it (*modx.DB).
type Shop interface {
	OldLeads(ctx context.Context) ([]shop.OldLink, error)
	OldUsers(ctx context.Context) ([]shop.OldLink, error)
}

const metaImported = "old_extra_links_imported"

// Source takes the old extra's links over, once a state.
type Source struct {
	env  *source.Env
	shop Shop
	done bool
}

// New returns the source.
func New(env *source.Env, s Shop) *Source { return &Source{env: env, shop: s} }

// Name is the source's name.
func (s *Source) Name() string { return "old_extra" }

// Next is the one batch of the old extra's links, the first time. Links we
// already have win: they carry a payload hash.
func (s *Source) Next(ctx context.Context) (*syncer.Batch, error) {
	if s.done {
		return nil, nil
	}
	s.done = true
	if _, done, err := s.env.Ledger.Meta(ctx, metaImported); err != nil {
		return nil, fmt.Errorf("read old extra import flag: %w", err)
	} else if done {
		return nil, nil
	}
	leads, err := s.shop.OldLeads(ctx)
	if err != nil {
		return nil, fmt.Errorf("read the old extra's amocrm_leads: %w", err)
	}
	users, err := s.shop.OldUsers(ctx)
	if err != nil {
		return nil, fmt.Errorf("read the old extra's amocrm_users: %w", err)
	}
	var links []plan.Link
	for _, set := range []struct {
		kind string
		old  []shop.OldLink
	}{{plan.LinkOrder, leads}, {plan.LinkUser, users}} {
		ids := make([]int64, len(set.old))
		for i, l := range set.old {
			ids[i] = l.SourceID
		}
		have, err := s.env.Ledger.Links(ctx, set.kind, ids)
		if err != nil {
			return nil, fmt.Errorf("read %s links: %w", set.kind, err)
		}
		for _, l := range set.old {
			if _, ok := have[l.SourceID]; !ok {
				links = append(links, plan.Link{Kind: set.kind, SourceID: l.SourceID, AmoID: l.AmoID})
			}
		}
	}
	if len(leads)+len(users) > 0 {
		s.env.Log.Info("taking over the old extra's links", "orders", len(leads), "users", len(users))
	}
	return &syncer.Batch{Plan: plan.New("", "", nil), Cursor: syncer.Cursor{Links: links,
		Meta: map[string]string{metaImported: s.env.Now().UTC().Format(time.RFC3339)}}}, nil
}
