package syncer

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/modx-amocrm/modx-amocrm/internal/amocrm"
	"github.com/modx-amocrm/modx-amocrm/internal/transform"
)

const metaIndexCursor = "contact_index_updated_from"

// contactIndex answers "which contact has this phone or e-mail" from the
// state's index (filled by paging the account's contacts, so a backfill
// spends no search request per customer). A dry run keeps what it learns in
// memory instead of writing it.
type contactIndex struct {
	s       *Syncer
	dryRun  bool
	overlay map[string]int64
	planned int64 // the last made-up id of a contact a dry run would create
}

// plan gives a contact a dry run would create a made-up negative id in the
// overlay, so the next record of the same person matches it (one customer,
// one contact) instead of planning a second create.
func (x *contactIndex) plan(keys []string) {
	x.planned--
	for _, k := range keys {
		x.overlay[k] = x.planned
	}
}

// refreshIndex pages the contacts changed in amoCRM since the last pass
// (all of them the first time) into the index.
func (s *Syncer) refreshIndex(ctx context.Context, dryRun bool) (*contactIndex, error) {
	idx := &contactIndex{s: s, dryRun: dryRun, overlay: map[string]int64{}}
	var from int64
	if v, ok, err := s.store.Meta(ctx, metaIndexCursor); err != nil {
		return nil, fmt.Errorf("read contact index cursor: %w", err)
	} else if ok {
		from, _ = strconv.ParseInt(v, 10, 64)
	}
	newest := from
	err := s.crm.ListContacts(ctx, from, func(page []amocrm.Contact) error {
		keys := map[string]int64{}
		for _, c := range page {
			for _, k := range contactKeys(c) {
				keys[k] = c.ID
			}
			newest = max(newest, c.UpdatedAt)
		}
		return idx.put(ctx, keys, "account")
	})
	if err != nil {
		return nil, fmt.Errorf("index account contacts: %w", err)
	}
	if !dryRun && newest != from {
		// Contacts updated in the same second as the newest are read again
		// next time: the filter is "from", inclusive, and cheap to repeat.
		if err := s.store.SetMeta(ctx, metaIndexCursor, strconv.FormatInt(newest, 10)); err != nil {
			return nil, fmt.Errorf("save contact index cursor: %w", err)
		}
	}
	return idx, nil
}

// put records keys -> contact id.
func (x *contactIndex) put(ctx context.Context, keys map[string]int64, source string) error {
	if len(keys) == 0 {
		return nil
	}
	if x.dryRun {
		for k, id := range keys {
			x.overlay[k] = id
		}
		return nil
	}
	if err := x.s.store.PutContactKeys(ctx, keys, source); err != nil {
		return fmt.Errorf("index contacts: %w", err)
	}
	return nil
}

// lookup returns the contact ids known for keys.
func (x *contactIndex) lookup(ctx context.Context, keys []string) (map[string]int64, error) {
	found, err := x.s.store.LookupContacts(ctx, keys)
	if err != nil {
		return nil, fmt.Errorf("look up contacts: %w", err)
	}
	for _, k := range keys {
		if id, ok := x.overlay[k]; ok {
			found[k] = id
		}
	}
	return found, nil
}

// contactKeys are the match keys of a live contact: its phones and e-mails,
// normalised the way the transform normalises a customer's.
func contactKeys(c amocrm.Contact) []string {
	var keys []string
	for _, f := range c.CustomFieldsValues {
		for _, v := range f.Values {
			s, ok := v.Value.(string)
			if !ok {
				continue
			}
			switch f.FieldCode {
			case "PHONE":
				if n := transform.NormalizePhone(s); n != "" {
					keys = append(keys, "phone:"+n)
				}
			case "EMAIL":
				if n := transform.NormalizeEmail(s); n != "" {
					keys = append(keys, "email:"+n)
				}
			}
		}
	}
	return keys
}

// customer is one person of a batch: every draft whose keys connect them,
// so several orders of one new customer make one contact.
type customer struct {
	drafts    []*transform.ContactDraft
	keys      []string // union of the drafts' keys, phones first
	contactID int64    // 0: new
	live      *amocrm.Contact
	sourceID  int64  // the first record's id: the contact's pending marker
	hash      string // hash of the merged draft's contact payload
	sent      bool   // hash is what we last wrote to (or found on) the contact
	// plannedEarlier: a dry run already planned this contact's create.
	plannedEarlier bool
	want           *transform.ContactDraft // a new contact's payload
	patch          *amocrm.Contact         // an existing contact's update
}

// groupCustomers joins drafts that share a phone, or an e-mail that is not
// shared by different phones in this batch (rule 8: a placeholder e-mail on
// many orders must not merge unrelated buyers). Order of first appearance
// is kept.
func groupCustomers(drafts []*transform.ContactDraft) ([]*customer, map[*transform.ContactDraft]*customer) {
	shared := sharedEmails(drafts)
	parent := map[string]string{}
	var find func(string) string
	find = func(k string) string {
		if p, ok := parent[k]; ok && p != k {
			r := find(p)
			parent[k] = r
			return r
		}
		parent[k] = k
		return k
	}
	union := func(a, b string) { parent[find(a)] = find(b) }
	usable := func(d *transform.ContactDraft) []string {
		var ks []string
		for _, k := range d.Keys {
			if !shared[k] {
				ks = append(ks, k)
			}
		}
		if len(ks) == 0 {
			ks = d.Keys // only a shared e-mail: still one key to stand on
		}
		return ks
	}
	for _, d := range drafts {
		ks := usable(d)
		for _, k := range ks[1:] {
			union(ks[0], k)
		}
		find(ks[0])
	}
	byRoot := map[string]*customer{}
	of := map[*transform.ContactDraft]*customer{}
	var out []*customer
	for _, d := range drafts {
		root := find(usable(d)[0])
		c := byRoot[root]
		if c == nil {
			c = &customer{}
			byRoot[root] = c
			out = append(out, c)
		}
		c.drafts = append(c.drafts, d)
		for _, k := range usable(d) {
			if !slices.Contains(c.keys, k) {
				c.keys = append(c.keys, k)
			}
		}
		of[d] = c
	}
	for _, c := range out {
		sortPhonesFirst(c.keys)
	}
	return out, of
}

// sharedEmails are e-mail keys that drafts with different phones carry.
func sharedEmails(drafts []*transform.ContactDraft) map[string]bool {
	phonesOf := map[string]map[string]bool{}
	for _, d := range drafts {
		var phones, emails []string
		for _, k := range d.Keys {
			if isPhoneKey(k) {
				phones = append(phones, k)
			} else {
				emails = append(emails, k)
			}
		}
		for _, e := range emails {
			if phonesOf[e] == nil {
				phonesOf[e] = map[string]bool{}
			}
			for _, p := range phones {
				phonesOf[e][p] = true
			}
		}
	}
	shared := map[string]bool{}
	for e, phones := range phonesOf {
		if len(phones) > 1 {
			shared[e] = true
		}
	}
	return shared
}

func isPhoneKey(k string) bool { return strings.HasPrefix(k, "phone:") }

// sortPhonesFirst puts phone keys before the others, keeping each group's order.
func sortPhonesFirst(keys []string) {
	slices.SortStableFunc(keys, func(a, b string) int {
		switch pa, pb := isPhoneKey(a), isPhoneKey(b); {
		case pa == pb:
			return 0
		case pa:
			return -1
		}
		return 1
	})
}

// resolveCustomers finds each customer's existing contact: by its phones
// first, then e-mails, through the index. An e-mail whose contact differs
// from the one its phone found is ignored (a shared placeholder e-mail).
// Matched contacts are fetched live, batched, for the merge.
func (s *Syncer) resolveCustomers(ctx context.Context, p *pass, cs []*customer) error {
	var all []string
	for _, c := range cs {
		all = append(all, c.keys...)
	}
	found, err := p.index.lookup(ctx, all)
	if err != nil {
		return err
	}
	var matched []int64
	for _, c := range cs {
		for _, k := range c.keys {
			if id := found[k]; id != 0 {
				c.contactID = id
				break
			}
		}
		c.hash, _ = transform.Hash(c.merged().Contact)
		switch {
		case c.contactID < 0:
			c.plannedEarlier = true // a dry run's contact from an earlier batch or source
		case c.contactID != 0:
			matched = append(matched, c.contactID)
		}
	}
	if len(matched) == 0 {
		return nil
	}
	// A contact we already brought up to this very payload needs no read and
	// no write: repeat customers cost nothing.
	sent, err := p.links(ctx, s.store, linkContact, matched)
	if err != nil {
		return err
	}
	var ids []int64
	for _, c := range cs {
		if c.contactID <= 0 {
			continue
		}
		if l, ok := sent[c.contactID]; ok && c.hash != "" && l.Hash == c.hash {
			c.sent = true
			continue
		}
		ids = append(ids, c.contactID)
	}
	if len(ids) == 0 {
		return nil
	}
	live, err := s.crm.ContactsByIDs(ctx, ids)
	if err != nil {
		return fmt.Errorf("read contacts: %w", err)
	}
	byID := make(map[int64]*amocrm.Contact, len(live))
	for i := range live {
		byID[live[i].ID] = &live[i]
	}
	for _, c := range cs {
		if c.contactID <= 0 || c.sent {
			continue
		}
		if c.live = byID[c.contactID]; c.live == nil {
			// Deleted in amoCRM since it was indexed: make a new one.
			c.contactID = 0
		}
	}
	return nil
}

// merged is the customer's desired contact: the first draft, with the phones
// and e-mails of the others added.
func (c *customer) merged() *transform.ContactDraft {
	if len(c.drafts) == 1 {
		return c.drafts[0]
	}
	d := *c.drafts[0]
	d.Contact.CustomFieldsValues = append([]amocrm.CustomFieldValues(nil), d.Contact.CustomFieldsValues...)
	for _, other := range c.drafts[1:] {
		d.Contact.CustomFieldsValues = mergeFieldValues(d.Contact.CustomFieldsValues, other.Contact.CustomFieldsValues)
	}
	d.Keys = c.keys
	return &d
}

// mergeFieldValues adds the values of b's multitext fields (phones,
// e-mails) that a lacks; other fields keep a's value.
func mergeFieldValues(a, b []amocrm.CustomFieldValues) []amocrm.CustomFieldValues {
	for _, fb := range b {
		i := fieldIndex(a, fb)
		if i < 0 {
			a = append(a, fb)
			continue
		}
		if fb.FieldCode != "PHONE" && fb.FieldCode != "EMAIL" {
			continue
		}
		fa := &a[i]
		fa.Values = append([]amocrm.FieldValue(nil), fa.Values...)
		for _, v := range fb.Values {
			if !hasValue(fa.Values, v) {
				fa.Values = append(fa.Values, v)
			}
		}
	}
	return a
}

func fieldIndex(fs []amocrm.CustomFieldValues, f amocrm.CustomFieldValues) int {
	for i, x := range fs {
		if (f.FieldID != 0 && x.FieldID == f.FieldID) || (f.FieldCode != "" && x.FieldCode == f.FieldCode) {
			return i
		}
	}
	return -1
}

func hasValue(vs []amocrm.FieldValue, v amocrm.FieldValue) bool {
	for _, x := range vs {
		if fmt.Sprint(x.Value) == fmt.Sprint(v.Value) {
			return true
		}
	}
	return false
}
