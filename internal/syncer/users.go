package syncer

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/amocrm"
	"github.com/modx-amocrm/modx-amocrm/internal/config"
	"github.com/modx-amocrm/modx-amocrm/internal/modx"
	"github.com/modx-amocrm/modx-amocrm/internal/report"
	"github.com/modx-amocrm/modx-amocrm/internal/state"
	"github.com/modx-amocrm/modx-amocrm/internal/transform"
)

const metaUsersScanned = "users_full_scan_at"

// userPage is how many users a comparison reads at a time: most are
// unchanged and cost no request, so pages are larger than write batches
// (the client still writes 50 contacts a request).
const userPage = 500

// userJob is one user whose contact is new or changed.
type userJob struct {
	user  *modx.Customer
	draft *transform.ContactDraft
	link  state.Link
	hash  string
}

// syncUsers sends new users (by id, after the users watermark) every pass,
// and compares every user with what was last sent when users.cron is due
// (or -once): MODX records no modification time, so a changed user is one
// whose contact payload hash differs from its link's. Login counters and
// other unmapped columns are not in the payload, so they change nothing.
func (s *Syncer) syncUsers(ctx context.Context, p *pass) error {
	if err := s.initWatermarks(ctx, p, SourceUsers); err != nil {
		return err
	}
	full, err := s.usersScanDue(ctx, p)
	if err != nil {
		return err
	}
	from := p.marks[SourceUsers]
	if full {
		from = 0
	}
	for after := from; ; {
		if err := p.stopping(ctx); err != nil {
			return err
		}
		users, err := s.src.Users(ctx, after, userPage)
		if err != nil {
			return fmt.Errorf("read users after %d: %w", after, err)
		}
		if len(users) == 0 {
			break
		}
		p.result.Read[SourceUsers] += len(users)
		s.metrics.RowsRead(SourceUsers, len(users))
		last := users[len(users)-1].ID
		mark := max(last, p.marks[SourceUsers])
		if err := s.sendUsers(ctx, p, users, func(tx *state.Tx) error { return tx.SetWatermark(SourceUsers, mark) }); err != nil {
			return err
		}
		p.marks[SourceUsers] = mark
		p.progress(len(users))
		after = last
		if len(users) < userPage {
			break
		}
	}
	if full && !p.opts.DryRun {
		return s.store.SetMeta(ctx, metaUsersScanned, p.now().UTC().Format(time.RFC3339))
	}
	return nil
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

// sendUsers maps a page of users, keeps those whose payload changed, and
// creates or updates their contacts.
func (s *Syncer) sendUsers(ctx context.Context, p *pass, users []modx.Customer, commit func(*state.Tx) error) error {
	b := &batch{pass: p, kind: kindUser, source: SourceUsers}
	ids := make([]int64, len(users))
	for i, u := range users {
		ids[i] = u.ID
	}
	links, err := p.links(ctx, s.store, linkUser, ids)
	if err != nil {
		return err
	}
	var jobs []*userJob
	for i := range users {
		u := &users[i]
		d, err := p.mapper.User(u)
		var rerr *transform.RecordError
		switch {
		case errors.Is(err, transform.ErrNoContact):
			p.count("contact", report.Skip)
			continue
		case errors.As(err, &rerr):
			b.fail(SourceUsers, kindUser, u.ID, "contact", u.Username, err.Error(), "")
			continue
		case err != nil:
			return fmt.Errorf("map user %d: %w", u.ID, err)
		}
		hash, err := transform.Hash(d.Contact)
		if err != nil {
			return fmt.Errorf("hash user %d: %w", u.ID, err)
		}
		link := links[u.ID]
		if link.AmoID != 0 && link.Hash == hash {
			p.count("contact", report.Unchanged) // the common case: counted, not listed
			continue
		}
		jobs = append(jobs, &userJob{user: u, draft: d, link: link, hash: hash})
	}
	b.draftFailed = func(d *transform.ContactDraft, reason string) {
		for _, j := range jobs {
			if j.draft == d {
				b.fail(SourceUsers, kindUser, j.user.ID, "contact", j.user.Username, reason, "")
			}
		}
	}
	if err := s.planUsers(ctx, p, b, jobs); err != nil {
		return err
	}
	if !p.opts.DryRun {
		if err := s.applyContactUpdates(ctx, b); err != nil {
			return err
		}
		if err := s.preCreateContacts(ctx, b); err != nil {
			return err
		}
	}
	for _, j := range jobs {
		c := b.userCustomer[j]
		if b.parkedIDs[j.user.ID] || c.contactID == 0 {
			continue
		}
		b.resolved = append(b.resolved, j.user.ID)
		b.clearPending = append(b.clearPending, j.user.ID)
		b.links = append(b.links, state.Link{Kind: linkUser, SourceID: j.user.ID, AmoID: c.contactID, Hash: j.hash})
	}
	return s.finish(ctx, b, commit)
}

// planUsers finds each changed user's contact: its link first (the user was
// sent before, by us or the old extra), then the contact index by phone and
// e-mail (a guest customer of an order is the same person).
func (s *Syncer) planUsers(ctx context.Context, p *pass, b *batch, jobs []*userJob) error {
	b.userCustomer = map[*userJob]*customer{}
	var unlinked []*transform.ContactDraft
	for _, j := range jobs {
		if j.link.AmoID == 0 {
			unlinked = append(unlinked, j.draft)
		}
	}
	customers, of := groupCustomers(unlinked)
	if err := s.resolveCustomers(ctx, p, customers); err != nil {
		return err
	}
	var linked []*customer
	for _, j := range jobs {
		if j.link.AmoID != 0 {
			c := &customer{drafts: []*transform.ContactDraft{j.draft}, keys: j.draft.Keys, contactID: j.link.AmoID, sourceID: j.user.ID}
			if len(c.keys) == 0 {
				c.keys = []string{fmt.Sprintf("user:%d", j.user.ID)}
			}
			linked = append(linked, c)
			b.userCustomer[j] = c
			continue
		}
		c := of[j.draft]
		if c.sourceID == 0 {
			c.sourceID = j.user.ID
		}
		b.userCustomer[j] = c
	}
	if err := s.fetchLinkedContacts(ctx, linked); err != nil {
		return err
	}
	for _, c := range append(customers, linked...) {
		b.planContact(p, SourceUsers, c)
		if c.contactID == 0 && !slices.Contains(b.preCreate, c) {
			b.preCreate = append(b.preCreate, c)
		}
	}
	return nil
}

// fetchLinkedContacts reads the live contacts of linked users; a contact
// deleted in amoCRM is made again.
func (s *Syncer) fetchLinkedContacts(ctx context.Context, cs []*customer) error {
	if len(cs) == 0 {
		return nil
	}
	ids := make([]int64, len(cs))
	for i, c := range cs {
		ids[i] = c.contactID
	}
	live, err := s.crm.ContactsByIDs(ctx, ids)
	if err != nil {
		return fmt.Errorf("read linked contacts: %w", err)
	}
	byID := make(map[int64]*amocrm.Contact, len(live))
	for i := range live {
		byID[live[i].ID] = &live[i]
	}
	for _, c := range cs {
		if c.live = byID[c.contactID]; c.live == nil {
			c.contactID = 0
		}
	}
	return nil
}
