// Package users is the source of MODX users: a new or changed user becomes
// a created or updated contact (the old extra's save_user_in_mgr and
// save_user_by_profile).
package users

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/plan"
	"github.com/modx-amocrm/modx-amocrm/internal/shop"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer/source"
	"github.com/modx-amocrm/modx-amocrm/internal/transform"
)

// Shop is the shop as the users source reads it (*modx.DB).
type Shop interface {
	source.Ends
	Users(ctx context.Context, afterID int64, limit int) ([]shop.Customer, error)
	UsersByIDs(ctx context.Context, ids []int64) ([]shop.Customer, error)
}

const (
	// metaScanned records when every user was last compared.
	metaScanned = "users_full_scan_at"
	// metaBaseline holds the cursor of a users baseline in progress,
	// "after/upto"; "" once it is done.
	metaBaseline = "users_baseline"
)

// userPage is how many users a comparison reads at a time: most are
// unchanged and cost no request, so pages are larger than write batches
// (the client still writes 50 contacts a request).
const userPage = 500

// Memory is what the users sources of an engine's passes remember between
// passes.
type Memory struct {
	baselined bool // no users baseline is left to take
}

// Source is the users of one pass. MODX records no modification time, so
// a changed user is one whose contact payload hash differs from its link's:
// new users (after the watermark) are read every pass, every user when
// users.cron is due (or on -once). Login counters and other unmapped
// columns are not in the payload, so they change nothing. It reads, in
// this order: the baseline an empty state began (or one left unfinished),
// the users after the watermark (or all of them), the users that waited,
// then parked users that are due (parked users are left to their backoff,
// not retried by every comparison).
type Source struct {
	env  *source.Env
	shop Shop
	mem  *Memory
	full bool // compare every user whatever users.cron says (run -once)

	started bool
	start   *source.Start
	// rewound: -since moved the users back, so a baseline's users are
	// sent. Kept apart from start, whose first batch clears what moved.
	rewound bool
	base    *baseline
	mark    int64 // the users watermark, moved as pages are planned
	parked  map[int64]bool
	readers source.Drain
	// planned are the users planned in this pass: one whose write waits
	// (its contact's create had no answer) waits for the next pass, where
	// the contact is looked up first, not for this pass's waiting list.
	planned map[int64]bool
}

// New returns the users source of one pass.
func New(env *source.Env, s Shop, mem *Memory, full bool) *Source {
	return &Source{env: env, shop: s, mem: mem, full: full, planned: map[int64]bool{}}
}

// Name is the source's name.
func (s *Source) Name() string { return syncer.SourceUsers }

// Next is the next batch of the first reader not drained.
func (s *Source) Next(ctx context.Context) (*syncer.Batch, error) {
	if err := s.begin(ctx); err != nil {
		return nil, err
	}
	return s.readers.Next(ctx)
}

func (s *Source) begin(ctx context.Context) error {
	if s.started {
		return nil
	}
	start, err := s.env.Begin(ctx, s.shop, syncer.SourceUsers)
	if err != nil {
		return err
	}
	s.started, s.start, s.mark = true, start, start.Marks[syncer.SourceUsers]
	s.rewound = slices.Contains(start.Rewound, syncer.SourceUsers)
	if err := s.baseline(ctx); err != nil {
		return err
	}
	full, err := s.env.ComparisonDue(ctx, s.full, metaScanned, "users.cron", s.env.Config.Users.Cron)
	if err != nil {
		return err
	}
	full = full && s.base == nil // the baseline reads every user
	if s.parked, err = s.parkedUsers(ctx); err != nil {
		return err
	}
	r := &reader{s: s, full: full}
	if full {
		r.after = 0
	} else {
		r.after = s.mark
	}
	s.readers.Then(source.ReaderFunc(func(context.Context) (*syncer.Batch, error) { return s.start.Batch(), nil }))
	if s.base != nil {
		s.readers.Then(source.ReaderFunc(s.baselinePage))
	}
	s.readers.Then(r,
		&source.Queue{Load: s.env.Waiting(plan.KindUser, map[int64]time.Time{}), Plan: s.waiting},
		&source.Queue{Load: s.env.DueIDs(plan.KindUser), Plan: s.byID},
	)
	return nil
}

// parkedUsers are the ids of the parked users.
func (s *Source) parkedUsers(ctx context.Context) (map[int64]bool, error) {
	all, err := s.env.Ledger.Failures(ctx)
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

// reader reads users after its cursor: new ones, or every one.
type reader struct {
	s     *Source
	after int64
	full  bool
	done  bool
}

func (r *reader) Next(ctx context.Context) (*syncer.Batch, error) {
	s := r.s
	if r.done {
		return nil, nil
	}
	users, err := s.shop.Users(ctx, r.after, userPage)
	if err != nil {
		return nil, fmt.Errorf("read users after %d: %w", r.after, err)
	}
	r.done = len(users) < userPage
	if len(users) == 0 {
		if r.full {
			return &syncer.Batch{Plan: s.env.Plan(syncer.SourceUsers, plan.KindUser), Cursor: syncer.Cursor{Meta: s.env.Compared(metaScanned)}}, nil
		}
		return nil, nil
	}
	r.after = users[len(users)-1].ID
	pl, err := s.plan(ctx, users, s.parked)
	if err != nil {
		return nil, err
	}
	b := &syncer.Batch{Plan: pl, Rows: len(users)}
	if mark := max(r.after, s.mark); mark != s.mark {
		// A full comparison below the watermark moves nothing: no commit
		// for its pages of unchanged users.
		s.mark = mark
		b.Cursor.Watermarks = map[string]int64{syncer.SourceUsers: mark}
	}
	if r.done && r.full {
		b.Cursor.Meta = s.env.Compared(metaScanned)
	}
	return b, nil
}

// byID reads parked users again and plans them; one MODX no longer has is
// settled.
func (s *Source) byID(ctx context.Context, ids []int64) (*syncer.Batch, error) {
	users, gone, err := s.read(ctx, ids)
	if err != nil {
		return nil, err
	}
	pl, err := s.plan(ctx, users, nil)
	return &syncer.Batch{Plan: pl, Cursor: syncer.Cursor{Gone: map[string][]int64{plan.KindUser: gone}}}, err
}

// waiting plans the users whose write waited for something outside them.
// Users gone from MODX are done too; users planned in this pass wait on.
func (s *Source) waiting(ctx context.Context, ids []int64) (*syncer.Batch, error) {
	ids = slices.DeleteFunc(slices.Clone(ids), func(id int64) bool { return s.planned[id] })
	users, _, err := s.read(ctx, ids)
	if err != nil {
		return nil, err
	}
	pl, err := s.plan(ctx, users, nil)
	return &syncer.Batch{Plan: pl, Cursor: syncer.Cursor{Done: map[string][]int64{plan.KindUser: ids}}}, err
}

// read reads users by id; gone are the ids MODX no longer has.
func (s *Source) read(ctx context.Context, ids []int64) ([]shop.Customer, []int64, error) {
	users, err := s.shop.UsersByIDs(ctx, ids)
	if err != nil {
		return nil, nil, fmt.Errorf("read users by id: %w", err)
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
	return users, gone, nil
}

// userLinks are the links of a page of users.
func (s *Source) userLinks(ctx context.Context, users []shop.Customer) (map[int64]plan.Link, error) {
	ids := make([]int64, len(users))
	for i, u := range users {
		ids[i] = u.ID
	}
	links, err := s.env.Ledger.Links(ctx, plan.LinkUser, ids)
	if err != nil {
		return nil, fmt.Errorf("read user links: %w", err)
	}
	return links, nil
}

// plan maps a page of users, keeps those whose payload changed, and finds
// each one's contact: its link first (the user was sent before, by us or
// the old extra), then the contact index by phone and e-mail (a guest
// customer of an order is the same person). Users in skip are parked and
// wait for their retry. A user with nothing to match a contact by is
// skipped, with its reason in the report.
func (s *Source) plan(ctx context.Context, users []shop.Customer, skip map[int64]bool) (*plan.Plan, error) {
	pl := s.env.Plan(syncer.SourceUsers, plan.KindUser)
	if len(users) == 0 {
		return pl, nil
	}
	links, err := s.userLinks(ctx, users)
	if err != nil {
		return nil, err
	}
	mapper, err := s.env.Mapper(ctx)
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
		s.planned[u.ID] = true
		rec := plan.Record{Kind: plan.KindUser, ID: u.ID, Title: u.Username}
		d, err := mapper.User(u)
		if errors.Is(err, transform.ErrNoContact) {
			pl.Skip(syncer.SourceUsers, rec, "contact", err.Error())
			continue
		}
		if ok, err := source.MapErr(pl, rec, "contact", err); !ok {
			if err != nil {
				return nil, err
			}
			continue
		}
		hash, err := transform.Hash(d.Contact)
		if err != nil {
			return nil, fmt.Errorf("hash user %d: %w", u.ID, err)
		}
		link := links[u.ID]
		// A baseline's link has no contact, and stays so while the user is
		// unchanged, unless -since moved the users back to send them.
		if link.Hash == hash && (link.AmoID != 0 || !s.rewound) {
			pl.Count("contact", plan.Unchanged) // the common case: counted, not listed
			continue
		}
		changed = append(changed, &plan.User{Record: rec, Draft: d, Hash: hash, Link: link})
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
	customers, grouped, err := s.env.Match.Customers(ctx, mapper, unlinked)
	if err != nil {
		return nil, err
	}
	for d, c := range grouped {
		of[d] = c
	}
	if err := s.env.Match.Linked(ctx, mapper, linked); err != nil {
		return nil, err
	}
	pl.AddUsers(mapper, changed, append(customers, linked...), of)
	return pl, nil
}
