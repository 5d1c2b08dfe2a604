package users

import (
	"context"
	"errors"
	"fmt"

	"github.com/modx-amocrm/modx-amocrm/internal/plan"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer"
	"github.com/modx-amocrm/modx-amocrm/internal/transform"
)

// baseline is a baseline of the users an empty state finds when the start
// is not "all" ("now" or a date): each one's contact payload hash is
// recorded as a link to no contact, so comparisons send only the users
// added or changed since, instead of the first pass uploading every account
// (2,000 requests for 100k users, and the next re-reading the contacts it
// made). Its cursor is committed with each page, so an interrupted
// baseline goes on where it stopped.
type baseline struct{ after, upto int64 }

func (b *baseline) String() string { return fmt.Sprintf("%d/%d", b.after, b.upto) }

// baseline finds the baseline to take in this pass: the one the empty
// state's start begins (committed with the start), or one an earlier pass
// left unfinished.
func (s *Source) baseline(ctx context.Context) error {
	mark := s.start.Marks[syncer.SourceUsers]
	if len(s.start.Begun) > 0 && s.env.Start != "all" && mark > 0 {
		s.base = &baseline{upto: mark}
		s.start.Cursor.Meta = map[string]string{metaBaseline: s.base.String()}
		return nil
	}
	if s.mem.baselined {
		return nil
	}
	v, ok, err := s.env.Ledger.Meta(ctx, metaBaseline)
	if err != nil || !ok || v == "" {
		s.mem.baselined = err == nil
		return err
	}
	var b baseline
	if _, err := fmt.Sscanf(v, "%d/%d", &b.after, &b.upto); err != nil {
		return fmt.Errorf("users baseline cursor %q: %w", v, err)
	}
	s.base = &b
	return nil
}

// baselinePage records the payload hashes of a page of the baseline's
// users that have no link yet (the old extra's links and ours stay). Users
// that map to no contact are left to the comparison, as ever.
func (s *Source) baselinePage(ctx context.Context) (*syncer.Batch, error) {
	b := s.base
	if b == nil {
		return nil, nil
	}
	users, err := s.shop.Users(ctx, b.after, userPage)
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
	links, err := s.userLinks(ctx, users)
	if err != nil {
		return nil, err
	}
	mapper, err := s.env.Mapper(ctx)
	if err != nil {
		return nil, err
	}
	var base []plan.Link
	for i := range users {
		if _, ok := links[users[i].ID]; ok {
			continue
		}
		d, err := mapper.User(&users[i])
		var rerr *transform.RecordError
		switch {
		case errors.As(err, &rerr):
			continue
		case err != nil:
			return nil, fmt.Errorf("map user %d: %w", users[i].ID, err)
		}
		hash, err := transform.Hash(d.Contact)
		if err != nil {
			return nil, fmt.Errorf("hash user %d: %w", users[i].ID, err)
		}
		base = append(base, plan.Link{Kind: plan.LinkUser, SourceID: users[i].ID, Hash: hash})
	}
	cursor := syncer.Cursor{Links: base, Meta: map[string]string{}}
	if more {
		b.after = next
		cursor.Meta[metaBaseline] = b.String()
	} else {
		s.base = nil
		cursor.Meta = s.env.Compared(metaScanned) // every user was just read: the next comparison is a cron away
		cursor.Meta[metaBaseline] = ""
		s.env.Log.Info("took a baseline of the users", "source", syncer.SourceUsers, "upto_id", b.upto)
	}
	return &syncer.Batch{Plan: s.env.Plan(syncer.SourceUsers, plan.KindUser), Cursor: cursor, Rows: len(users)}, nil
}
