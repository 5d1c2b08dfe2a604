package match

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/crm"
	"github.com/modx-amocrm/modx-amocrm/internal/plan"
	"github.com/modx-amocrm/modx-amocrm/internal/transform"
)

const metaIndexCursor = "contact_index_updated_from"

// indexTTL is how long the contact index is taken as up to date for a
// customer it does not know. A contact made or given a phone in amoCRM by
// hand is matched by the orders placed a minute later, and a shop taking an
// order every few seconds spends a request on the index a minute, not one
// an order.
const indexTTL = time.Minute

// refreshIndex pages the contacts changed in amoCRM since the last refresh
// (all of them the first time) into the contact index, so matching a
// customer costs no search request. The newest change comes first and the
// paging stops below the cursor, so it reads only what changed whether or
// not the account honours filter[updated_at]. It runs only for a customer
// the index does not know, at most once a pass and once an indexTTL: an
// idle pass, or one whose customers are all known, asks amoCRM nothing.
func (m *Matcher) refreshIndex(ctx context.Context) (bool, error) {
	if m.indexed || !m.refreshed.IsZero() && m.now().Sub(m.refreshed) < indexTTL {
		return false, nil
	}
	m.indexed, m.refreshed = true, m.now()
	if err := m.askFilters(ctx); err != nil {
		return false, err
	}
	var from int64
	if v, ok, err := m.ledger.Meta(ctx, metaIndexCursor); err != nil {
		return false, fmt.Errorf("read contact index cursor: %w", err)
	} else if ok {
		from, _ = strconv.ParseInt(v, 10, 64)
	}
	newest := from
	err := m.crm.ContactsChangedSince(ctx, from, func(page []crm.Contact) error {
		keys := map[string]int64{}
		for _, c := range page {
			for _, k := range plan.ContactKeys(c) {
				keys[k] = c.ID
			}
			newest = max(newest, c.UpdatedAt)
		}
		return m.ledger.PutContactKeys(ctx, keys, "account")
	})
	if err != nil {
		return false, fmt.Errorf("index account contacts: %w", err)
	}
	if newest != from {
		// Contacts updated in the same second as the newest are read again
		// next time: the filter is "from", inclusive, and cheap to repeat.
		if err := m.ledger.SetMeta(ctx, metaIndexCursor, strconv.FormatInt(newest, 10)); err != nil {
			return false, fmt.Errorf("save contact index cursor: %w", err)
		}
	}
	return true, nil
}

// Customers groups the drafts into customers (plan.Group) and matches them.
func (m *Matcher) Customers(ctx context.Context, mapper plan.Mapper, drafts []*transform.ContactDraft) ([]*plan.Customer, map[*transform.ContactDraft]*plan.Customer, error) {
	customers, of := plan.Group(drafts)
	if err := m.match(ctx, mapper, customers); err != nil {
		return nil, nil, err
	}
	return customers, of, nil
}

// match prepares the customers' payloads and finds each one's contact: an
// account holder's by the account's link (ours, or the old extra's
// amocrm_users taken over), whatever phone or e-mail they typed this time;
// the others', and one whose linked contact amoCRM no longer has, through
// the index, by phones first, then e-mails. The index is brought up to date
// first only when it knows neither a customer nor their account. A contact
// already holding the very payload is neither read nor written (repeat
// customers cost nothing); the others are read live for the merge.
func (m *Matcher) match(ctx context.Context, mapper plan.Mapper, cs []*plan.Customer) error {
	for _, c := range cs {
		if err := c.Prepare(mapper); err != nil {
			return err
		}
	}
	linked, err := m.accountContacts(ctx, cs)
	if err != nil {
		return err
	}
	found, err := m.lookup(ctx, cs)
	if err != nil {
		return err
	}
	byKey := func(c *plan.Customer) int64 {
		for _, k := range c.Keys {
			if id := found[k]; id != 0 {
				return id
			}
		}
		return 0
	}
	if slices.ContainsFunc(cs, func(c *plan.Customer) bool { return len(c.Keys) > 0 && linked[c] == 0 && byKey(c) == 0 }) {
		// Someone may have made their contact in amoCRM since the index
		// was last brought up to date.
		refreshed, err := m.refreshIndex(ctx)
		if err != nil {
			return err
		}
		if refreshed {
			if found, err = m.lookup(ctx, cs); err != nil {
				return err
			}
		}
	}
	for _, c := range cs {
		c.ContactID = byKey(c)
		if id := linked[c]; id != 0 {
			c.ContactID, c.Linked = id, true
		}
	}
	if err := m.readMatched(ctx, cs); err != nil {
		return err
	}
	var again []*plan.Customer
	for _, c := range cs {
		if c.Linked && c.ContactID == 0 { // the linked contact is gone from amoCRM
			c.Linked, c.ContactID = false, byKey(c)
			again = append(again, c)
		}
	}
	return m.readMatched(ctx, again)
}

// lookup looks the customers' keys up in the index.
func (m *Matcher) lookup(ctx context.Context, cs []*plan.Customer) (map[string]int64, error) {
	var keys []string
	for _, c := range cs {
		keys = append(keys, c.Keys...)
	}
	if len(keys) == 0 {
		return map[string]int64{}, nil
	}
	found, err := m.ledger.LookupContacts(ctx, keys)
	if err != nil {
		return nil, fmt.Errorf("look up contacts: %w", err)
	}
	return found, nil
}

// accountContacts are the contacts the customers' accounts are linked to
// (user links). A baseline's link names no contact.
func (m *Matcher) accountContacts(ctx context.Context, cs []*plan.Customer) (map[*plan.Customer]int64, error) {
	var accounts []int64
	for _, c := range cs {
		if c.Account != 0 {
			accounts = append(accounts, c.Account)
		}
	}
	if len(accounts) == 0 {
		return nil, nil
	}
	links, err := m.ledger.Links(ctx, plan.LinkUser, accounts)
	if err != nil {
		return nil, fmt.Errorf("read the links of %d accounts: %w", len(accounts), err)
	}
	out := map[*plan.Customer]int64{}
	for _, c := range cs {
		if l, ok := links[c.Account]; ok && c.Account != 0 && l.AmoID != 0 {
			out[c] = l.AmoID
		}
	}
	return out, nil
}

// readMatched reads the live contacts of the matched customers for their
// merge, except those the contact already holds the payload of (Sent).
func (m *Matcher) readMatched(ctx context.Context, cs []*plan.Customer) error {
	var matched []int64
	for _, c := range cs {
		if c.ContactID != 0 {
			matched = append(matched, c.ContactID)
		}
	}
	if len(matched) == 0 {
		return nil
	}
	sent, err := m.ledger.Links(ctx, plan.LinkContact, matched)
	if err != nil {
		return fmt.Errorf("read contact links: %w", err)
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
	return m.ReadContacts(ctx, read)
}

// Linked prepares customers whose contact is known by a link (a user's)
// and reads their contacts live for the merge.
func (m *Matcher) Linked(ctx context.Context, mapper plan.Mapper, cs []*plan.Customer) error {
	for _, c := range cs {
		if err := c.Prepare(mapper); err != nil {
			return err
		}
	}
	return m.ReadContacts(ctx, cs)
}

// ReadContacts fills in the live contact of each customer; one amoCRM no
// longer has is made again (ContactID 0).
func (m *Matcher) ReadContacts(ctx context.Context, cs []*plan.Customer) error {
	if len(cs) == 0 {
		return nil
	}
	if err := m.askFilters(ctx); err != nil {
		return err
	}
	ids := make([]int64, 0, len(cs))
	for _, c := range cs {
		ids = append(ids, c.ContactID)
	}
	live, err := m.crm.ContactsByIDs(ctx, ids)
	if err != nil {
		return fmt.Errorf("read contacts: %w", err)
	}
	byID := make(map[int64]*crm.Contact, len(live))
	for i := range live {
		byID[live[i].ID] = &live[i]
	}
	for _, c := range cs {
		if c.Live = byID[c.ContactID]; c.Live == nil {
			c.ContactID = 0
		}
	}
	return nil
}
