package syncer

import (
	"context"
	"fmt"
	"strconv"

	"github.com/modx-amocrm/modx-amocrm/internal/crm"
	"github.com/modx-amocrm/modx-amocrm/internal/plan"
	"github.com/modx-amocrm/modx-amocrm/internal/transform"
)

const metaIndexCursor = "contact_index_updated_from"

// refreshIndex pages the contacts changed in amoCRM since the last refresh
// (all of them the first time) into the contact index, so matching a
// customer costs no search request. The newest change comes first and the
// paging stops below the cursor, so it reads only what changed whether or
// not the account honours filter[updated_at]. It runs once a pass, and only
// when there is a customer to match: an idle pass asks amoCRM nothing. A
// dry run keeps what it reads in its overlay.
func (s *Syncer) refreshIndex(ctx context.Context, p *pass) error {
	if p.indexed {
		return nil
	}
	p.indexed = true
	var from int64
	if v, ok, err := s.store.Meta(ctx, metaIndexCursor); err != nil {
		return fmt.Errorf("read contact index cursor: %w", err)
	} else if ok {
		from, _ = strconv.ParseInt(v, 10, 64)
	}
	newest := from
	err := s.crm.ContactsChangedSince(ctx, from, func(page []crm.Contact) error {
		keys := map[string]int64{}
		for _, c := range page {
			for _, k := range plan.ContactKeys(c) {
				keys[k] = c.ID
			}
			newest = max(newest, c.UpdatedAt)
		}
		if p.dry != nil {
			for k, id := range keys {
				p.dry.keys[k] = id
			}
			return nil
		}
		return s.store.PutContactKeys(ctx, keys, "account")
	})
	if err != nil {
		return fmt.Errorf("index account contacts: %w", err)
	}
	if p.dry == nil && newest != from {
		// Contacts updated in the same second as the newest are read again
		// next time: the filter is "from", inclusive, and cheap to repeat.
		if err := s.store.SetMeta(ctx, metaIndexCursor, strconv.FormatInt(newest, 10)); err != nil {
			return fmt.Errorf("save contact index cursor: %w", err)
		}
	}
	return nil
}

// lookupContacts returns the contact ids the index knows for keys.
func (s *Syncer) lookupContacts(ctx context.Context, p *pass, keys []string) (map[string]int64, error) {
	found, err := s.store.LookupContacts(ctx, keys)
	if err != nil {
		return nil, fmt.Errorf("look up contacts: %w", err)
	}
	if p.dry != nil {
		for _, k := range keys {
			if id, ok := p.dry.keys[k]; ok {
				found[k] = id
			}
		}
	}
	return found, nil
}

// matchCustomers prepares the customers' payloads and finds each one's
// contact through the index, by phones first, then e-mails. A contact
// already holding the very payload is neither read nor written (repeat
// customers cost nothing); the others are read live for the merge.
func (s *Syncer) matchCustomers(ctx context.Context, p *pass, cs []*plan.Customer) error {
	var all []string
	for _, c := range cs {
		if err := c.Prepare(p.mapper); err != nil {
			return err
		}
		all = append(all, c.Keys...)
	}
	if len(all) == 0 {
		return nil
	}
	if err := s.refreshIndex(ctx, p); err != nil {
		return err
	}
	found, err := s.lookupContacts(ctx, p, all)
	if err != nil {
		return err
	}
	var matched []int64
	for _, c := range cs {
		for _, k := range c.Keys {
			if id := found[k]; id != 0 {
				c.ContactID = id
				matched = append(matched, id)
				break
			}
		}
	}
	if len(matched) == 0 {
		return nil
	}
	sent, err := p.links(ctx, plan.LinkContact, matched)
	if err != nil {
		return err
	}
	var read []*plan.Customer
	for _, c := range cs {
		if c.ContactID == 0 {
			continue
		}
		if l, ok := sent[c.ContactID]; ok && l.Hash == c.Hash {
			c.Sent = true
			continue
		}
		read = append(read, c)
	}
	return s.readContacts(ctx, p, read)
}

// readContacts fills in the live contact of each customer; one amoCRM no
// longer has is made again (ContactID 0).
func (s *Syncer) readContacts(ctx context.Context, p *pass, cs []*plan.Customer) error {
	if len(cs) == 0 {
		return nil
	}
	ids := make([]int64, 0, len(cs))
	for _, c := range cs {
		ids = append(ids, c.ContactID)
	}
	known, read := map[int64]*crm.Contact{}, ids
	if p.dry != nil {
		known, read = p.dry.liveContacts(ids)
	}
	if len(read) > 0 {
		live, err := s.crm.ContactsByIDs(ctx, read)
		if err != nil {
			return fmt.Errorf("read contacts: %w", err)
		}
		for i := range live {
			known[live[i].ID] = &live[i]
		}
	}
	for _, c := range cs {
		if c.Live = known[c.ContactID]; c.Live == nil {
			c.ContactID = 0
		}
	}
	return nil
}

// customersOf groups the drafts into customers and matches them.
func (s *Syncer) customersOf(ctx context.Context, p *pass, drafts []*transform.ContactDraft) ([]*plan.Customer, map[*transform.ContactDraft]*plan.Customer, error) {
	customers, of := plan.Group(drafts)
	if err := s.matchCustomers(ctx, p, customers); err != nil {
		return nil, nil, err
	}
	return customers, of, nil
}
