package syncer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/config"
	"github.com/modx-amocrm/modx-amocrm/internal/modx"
	"github.com/modx-amocrm/modx-amocrm/internal/plan"
	"github.com/modx-amocrm/modx-amocrm/internal/report"
	"github.com/modx-amocrm/modx-amocrm/internal/state"
	"github.com/modx-amocrm/modx-amocrm/internal/transform"
)

const metaUsersScanned = "users_full_scan_at"

// userPage is how many users a comparison reads at a time: most are
// unchanged and cost no request, so pages are larger than write batches
// (the client still writes 50 contacts a request).
const userPage = 500

// syncUsers sends new users (by id, after the users watermark) every pass,
// and compares every user with what was last sent when users.cron is due
// (or -once): MODX records no modification time, so a changed user is one
// whose contact payload hash differs from its link's. Login counters and
// other unmapped columns are not in the payload, so they change nothing.
// Parked users are left to their backoff: they are retried when due, as
// parked orders and forms are, not on every comparison.
func (s *Syncer) syncUsers(ctx context.Context, p *pass) error {
	if err := s.initWatermarks(ctx, p, SourceUsers); err != nil {
		return err
	}
	full, err := s.usersScanDue(ctx, p)
	if err != nil {
		return err
	}
	r := &userReader{after: p.marks[SourceUsers]}
	if full {
		r.after = 0
	}
	if r.parked, err = s.parkedUsers(ctx, p); err != nil {
		return err
	}
	readers := []reader{
		readerFunc(func(ctx context.Context, p *pass) (*page, error) { return s.nextUsers(ctx, p, r) }),
		&queue{load: s.dueIDs(plan.KindUser), plan: s.usersByID},
	}
	for _, rd := range readers {
		if err := s.drain(ctx, p, rd); err != nil {
			return err
		}
	}
	if full && p.dry == nil {
		return s.store.SetMeta(ctx, metaUsersScanned, p.now().UTC().Format(time.RFC3339))
	}
	return nil
}

// userReader is the cursor of one pass over users; parked are the users
// with a parked failure when the pass began, which it leaves alone.
type userReader struct {
	after  int64
	parked map[int64]bool
}

// parkedUsers are the ids of the parked users.
func (s *Syncer) parkedUsers(ctx context.Context, p *pass) (map[int64]bool, error) {
	if !p.parkedKinds[plan.KindUser] {
		return nil, nil
	}
	all, err := s.store.Failures(ctx)
	if err != nil {
		return nil, fmt.Errorf("read parked users: %w", err)
	}
	ids := map[int64]bool{}
	for _, f := range all {
		if f.Kind == plan.KindUser {
			ids[f.SourceID] = true
		}
	}
	return ids, nil
}

// usersByID reads parked users again and plans them; one MODX no longer
// has is settled.
func (s *Syncer) usersByID(ctx context.Context, p *pass, ids []int64) (*page, error) {
	users, err := s.src.UsersByIDs(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("read parked users: %w", err)
	}
	present := map[int64]bool{}
	for _, u := range users {
		present[u.ID] = true
	}
	var gone []int64
	for _, id := range ids {
		if !present[id] {
			gone = append(gone, id)
		}
	}
	if err := s.settleMissing(ctx, p, plan.KindUser, gone); err != nil {
		return nil, err
	}
	pl, err := s.planUsers(ctx, p, users, nil)
	return &page{plan: pl}, err
}

func (s *Syncer) nextUsers(ctx context.Context, p *pass, r *userReader) (*page, error) {
	users, err := s.src.Users(ctx, r.after, userPage)
	if err != nil {
		return nil, fmt.Errorf("read users after %d: %w", r.after, err)
	}
	if len(users) == 0 {
		return nil, nil
	}
	p.result.Read[SourceUsers] += len(users)
	s.metrics.RowsRead(SourceUsers, len(users))
	last := users[len(users)-1].ID
	mark := max(last, p.marks[SourceUsers])
	pl, err := s.planUsers(ctx, p, users, r.parked)
	if err != nil {
		return nil, err
	}
	pg := &page{plan: pl, rows: len(users), more: len(users) == userPage,
		done: func() { p.marks[SourceUsers], r.after = mark, last }}
	if mark != p.marks[SourceUsers] {
		// A full comparison below the watermark moves nothing: no commit
		// for its pages of unchanged users.
		pg.commit = func(tx *state.Tx) error { return tx.SetWatermark(SourceUsers, mark) }
	}
	return pg, nil
}

// usersScanDue says whether this pass compares every user: on -once, the
// first time, and when users.cron has come round since the last comparison.
func (s *Syncer) usersScanDue(ctx context.Context, p *pass) (bool, error) {
	if p.opts.FullUserScan {
		return true, nil
	}
	v, ok, err := s.store.Meta(ctx, metaUsersScanned)
	if err != nil {
		return false, fmt.Errorf("read last user comparison: %w", err)
	}
	if !ok {
		return true, nil
	}
	last, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return true, nil
	}
	sched, err := config.ParseCron(s.cfg.Users.Cron)
	if err != nil {
		return false, fmt.Errorf("users.cron: %w", err)
	}
	return !sched.Next(last).After(p.now()), nil
}

// planUsers maps a page of users, keeps those whose payload changed, and
// finds each one's contact: its link first (the user was sent before, by us
// or the old extra), then the contact index by phone and e-mail (a guest
// customer of an order is the same person). Users in skip are parked and
// wait for their retry. A user with nothing to match a contact by is
// skipped, with its reason in the report.
func (s *Syncer) planUsers(ctx context.Context, p *pass, users []modx.Customer, skip map[int64]bool) (*plan.Plan, error) {
	pl := plan.New(SourceUsers, plan.KindUser)
	ids := make([]int64, len(users))
	for i, u := range users {
		ids[i] = u.ID
	}
	links, err := p.links(ctx, plan.LinkUser, ids)
	if err != nil {
		return nil, err
	}
	var changed []*plan.User
	var unlinked []*transform.ContactDraft
	var linked []*plan.Customer
	of := map[*transform.ContactDraft]*plan.Customer{}
	for i := range users {
		u := &users[i]
		if skip[u.ID] {
			continue
		}
		rec := plan.Record{Kind: plan.KindUser, ID: u.ID, Title: u.Username}
		d, err := p.mapper.User(u)
		var rerr *transform.RecordError
		switch {
		case errors.Is(err, transform.ErrNoContact):
			pl.Skip(SourceUsers, rec, "contact", err.Error())
			continue
		case errors.As(err, &rerr):
			pl.Park(SourceUsers, rec, "contact", err.Error())
			continue
		case err != nil:
			return nil, fmt.Errorf("map user %d: %w", u.ID, err)
		}
		hash, err := transform.Hash(d.Contact)
		if err != nil {
			return nil, fmt.Errorf("hash user %d: %w", u.ID, err)
		}
		link := links[u.ID]
		if link.AmoID != 0 && link.Hash == hash {
			pl.Count("contact", report.Unchanged) // the common case: counted, not listed
			continue
		}
		changed = append(changed, &plan.User{Record: rec, Draft: d, Hash: hash, Link: planLink(link)})
		if link.AmoID == 0 {
			unlinked = append(unlinked, d)
			continue
		}
		c := &plan.Customer{Drafts: []*transform.ContactDraft{d}, Keys: d.Keys, ContactID: link.AmoID}
		if len(c.Keys) == 0 {
			c.Keys = []string{fmt.Sprintf("user:%d", u.ID)}
		}
		linked = append(linked, c)
		of[d] = c
	}
	customers, grouped, err := s.customersOf(ctx, p, unlinked)
	if err != nil {
		return nil, err
	}
	for d, c := range grouped {
		of[d] = c
	}
	for _, c := range linked {
		if err := c.Prepare(p.mapper); err != nil {
			return nil, err
		}
	}
	if err := s.readContacts(ctx, p, linked); err != nil {
		return nil, err
	}
	pl.AddUsers(p.mapper, changed, append(customers, linked...), of)
	return pl, nil
}
