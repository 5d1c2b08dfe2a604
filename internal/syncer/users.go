package syncer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/config"
	"github.com/modx-amocrm/modx-amocrm/internal/plan"
	"github.com/modx-amocrm/modx-amocrm/internal/report"
	"github.com/modx-amocrm/modx-amocrm/internal/shop"
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
	base, err := s.pendingBaseline(ctx, p)
	if err != nil {
		return err
	}
	if base != nil {
		if err := s.drain(ctx, p, readerFunc(func(ctx context.Context, p *pass) (*page, error) { return s.baselinePage(ctx, p, base) })); err != nil {
			return err
		}
	}
	full, err := s.usersScanDue(ctx, p)
	if err != nil {
		return err
	}
	full = full && base == nil // the baseline has just read every user
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
	if full {
		return s.compared(ctx, p, metaUsersScanned)
	}
	return nil
}

// metaUsersBaseline holds the cursor of a users baseline in progress,
// "after/upto"; "" once it is done.
const metaUsersBaseline = "users_baseline"

// userBaseline is a baseline of the users an empty state finds when the
// start is not "all" ("now" or a date): each one's contact payload hash is
// recorded as a link to no contact, so comparisons send only the users
// added or changed since, instead of the first pass uploading every
// account (2,000 requests for 100k users, and the next re-reading the
// contacts it made). Its cursor is committed with each page, so an
// interrupted baseline goes on where it stopped.
type userBaseline struct{ after, upto int64 }

func (b *userBaseline) String() string { return fmt.Sprintf("%d/%d", b.after, b.upto) }

// pendingBaseline is the baseline to take in this pass: the one
// initWatermarks began, or one an earlier pass left unfinished.
func (s *Syncer) pendingBaseline(ctx context.Context, p *pass) (*userBaseline, error) {
	if p.baseline != nil {
		return p.baseline, nil
	}
	if s.baselined {
		return nil, nil
	}
	v, ok, err := s.store.Meta(ctx, metaUsersBaseline)
	if err != nil || !ok || v == "" {
		s.baselined = err == nil
		return nil, err
	}
	var b userBaseline
	if _, err := fmt.Sscanf(v, "%d/%d", &b.after, &b.upto); err != nil {
		return nil, fmt.Errorf("users baseline cursor %q: %w", v, err)
	}
	return &b, nil
}

// baselinePage records the payload hashes of a page of the baseline's
// users that have no link yet (the old extra's links and ours stay).
// Users that map to no contact are left to the comparison, as ever.
func (s *Syncer) baselinePage(ctx context.Context, p *pass, b *userBaseline) (*page, error) {
	users, err := s.src.Users(ctx, b.after, userPage)
	if err != nil {
		return nil, fmt.Errorf("read users after %d: %w", b.after, err)
	}
	more := len(users) == userPage
	for i, u := range users {
		if u.ID > b.upto {
			users, more = users[:i], false
			break
		}
	}
	next := b.upto
	if more {
		next = users[len(users)-1].ID
	}
	links, err := p.userLinks(ctx, users)
	if err != nil {
		return nil, err
	}
	var base []state.Link
	for i := range users {
		if _, ok := links[users[i].ID]; ok {
			continue
		}
		d, err := p.mapper.User(&users[i])
		var rerr *transform.RecordError
		switch {
		case errors.Is(err, transform.ErrNoContact), errors.As(err, &rerr):
			continue
		case err != nil:
			return nil, fmt.Errorf("map user %d: %w", users[i].ID, err)
		}
		hash, err := transform.Hash(d.Contact)
		if err != nil {
			return nil, fmt.Errorf("hash user %d: %w", users[i].ID, err)
		}
		base = append(base, state.Link{Kind: plan.LinkUser, SourceID: users[i].ID, Hash: hash})
	}
	cursor := (&userBaseline{after: next, upto: b.upto}).String()
	if !more {
		cursor = ""
		s.log.Info("took a baseline of the users", "source", SourceUsers, "upto_id", b.upto)
	}
	return &page{rows: len(users), more: more,
		commit: func(tx *state.Tx) error {
			if err := tx.PutLinks(base); err != nil {
				return err
			}
			if !more { // every user was just read: the next comparison is a cron away
				if err := tx.SetMeta(metaUsersScanned, p.now().UTC().Format(time.RFC3339)); err != nil {
					return err
				}
			}
			return tx.SetMeta(metaUsersBaseline, cursor)
		},
		done: func() {
			b.after = next
			if p.dry != nil {
				for _, l := range base {
					p.dry.putLink(l)
				}
			}
		},
	}, nil
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
	return s.comparisonDue(ctx, p, p.opts.FullUserScan, metaUsersScanned, "users.cron", s.cfg.Users.Cron)
}

// comparisonDue says whether a full comparison runs this pass: when forced,
// the first time, and when its cron (named key) has come round since the
// last one, recorded in meta name.
func (s *Syncer) comparisonDue(ctx context.Context, p *pass, forced bool, name, key, spec string) (bool, error) {
	if forced {
		return true, nil
	}
	v, ok, err := s.store.Meta(ctx, name)
	if err != nil {
		return false, fmt.Errorf("read when %s last ran: %w", key, err)
	}
	if !ok {
		return true, nil
	}
	last, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return true, nil
	}
	sched, err := config.ParseCron(spec)
	if err != nil {
		return false, fmt.Errorf("%s: %w", key, err)
	}
	return !sched.Next(last).After(p.now()), nil
}

// compared records that a full comparison ran (not in a dry run).
func (s *Syncer) compared(ctx context.Context, p *pass, name string) error {
	if p.dry != nil {
		return nil
	}
	return s.store.SetMeta(ctx, name, p.now().UTC().Format(time.RFC3339))
}

// userLinks are the links of a page of users.
func (p *pass) userLinks(ctx context.Context, users []shop.Customer) (map[int64]state.Link, error) {
	ids := make([]int64, len(users))
	for i, u := range users {
		ids[i] = u.ID
	}
	return p.links(ctx, plan.LinkUser, ids)
}

// planUsers maps a page of users, keeps those whose payload changed, and
// finds each one's contact: its link first (the user was sent before, by us
// or the old extra), then the contact index by phone and e-mail (a guest
// customer of an order is the same person). Users in skip are parked and
// wait for their retry. A user with nothing to match a contact by is
// skipped, with its reason in the report.
func (s *Syncer) planUsers(ctx context.Context, p *pass, users []shop.Customer, skip map[int64]bool) (*plan.Plan, error) {
	pl := plan.New(SourceUsers, plan.KindUser)
	links, err := p.userLinks(ctx, users)
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
		if link.Hash == hash { // a baseline's link has no contact, and stays so while the user is unchanged
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
