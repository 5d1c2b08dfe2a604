package plan

import (
	"slices"
	"strconv"
	"strings"

	"github.com/modx-amocrm/modx-amocrm/internal/crm"
	"github.com/modx-amocrm/modx-amocrm/internal/transform"
)

// phoneKey and emailKey build match keys from a live contact's raw values;
// "" when the value does not normalise to anything usable.
func phoneKey(raw string) string {
	if n := transform.NormalizePhone(raw); n != "" {
		return transform.PhoneKeyPrefix + n
	}
	return ""
}

func emailKey(raw string) string {
	if n := transform.NormalizeEmail(raw); n != "" {
		return transform.EmailKeyPrefix + n
	}
	return ""
}

func isPhoneKey(k string) bool { return strings.HasPrefix(k, transform.PhoneKeyPrefix) }

// ContactKeys are the match keys of a live contact: its phones and e-mails.
func ContactKeys(c crm.Contact) []string {
	var keys []string
	for _, f := range c.CustomFieldsValues {
		for _, v := range f.Values {
			s, ok := v.Value.(string)
			if !ok {
				continue
			}
			var k string
			switch f.FieldCode {
			case "PHONE":
				k = phoneKey(s)
			case "EMAIL":
				k = emailKey(s)
			}
			if k != "" {
				keys = append(keys, k)
			}
		}
	}
	return keys
}

// Customer is one person of a batch: every draft whose keys connect them,
// or that name one MODX account as theirs, so several records of one new
// customer make one contact.
type Customer struct {
	Drafts []*transform.ContactDraft
	Keys   []string // union of the drafts' usable keys, phones first
	// Account is the MODX user whose own records these are (a draft's
	// Account): its linked contact is the customer's, whatever the keys.
	Account int64
	// What was read for the customer before planning:
	ContactID int64 // matched contact; 0 new, negative: planned by this dry run
	// Linked says ContactID is the account's linked contact, not a key's.
	Linked bool
	Live   *crm.Contact // the matched contact as amoCRM has it; nil when Sent
	Sent   bool         // the contact already holds exactly this payload
	Hash   string       // of the merged payload (Prepare)
	want   *transform.ContactDraft
	// placeholders are the batch's shared keys the drafts carry and the
	// customer does not stand on: their values are not sent.
	placeholders map[string]bool
}

// Group joins drafts that share a phone or an e-mail, except the batch's
// placeholders (SharedKeys): a placeholder e-mail on many orders must not
// merge unrelated buyers; and drafts of one account's holder (Account),
// whose orders go to one contact whatever phone they carry. Customers keep
// the order of first appearance.
func Group(drafts []*transform.ContactDraft) ([]*Customer, map[*transform.ContactDraft]*Customer) {
	shared := SharedKeys(drafts)
	usable := func(d *transform.ContactDraft) []string {
		var ks []string
		for _, k := range d.Keys {
			if !shared[k] {
				ks = append(ks, k)
			}
		}
		if len(ks) == 0 {
			ks = d.Keys // only placeholders: still one key to stand on
		}
		return ks
	}
	var sets disjointSets
	for _, d := range drafts {
		ks := usable(d)
		sets.add(ks[0])
		for _, k := range ks[1:] {
			sets.union(ks[0], k)
		}
		if d.Account != 0 {
			sets.union(ks[0], accountKey(d.Account)) // a key of the sets only, never matched
		}
	}
	byRoot := map[string]*Customer{}
	of := map[*transform.ContactDraft]*Customer{}
	var out []*Customer
	for _, d := range drafts {
		ks := usable(d)
		root := sets.find(ks[0])
		c := byRoot[root]
		if c == nil {
			c = &Customer{}
			byRoot[root] = c
			out = append(out, c)
		}
		c.Drafts = append(c.Drafts, d)
		if c.Account == 0 {
			c.Account = d.Account
		}
		for _, k := range ks {
			if !slices.Contains(c.Keys, k) {
				c.Keys = append(c.Keys, k)
			}
		}
		of[d] = c
	}
	for _, c := range out {
		sortPhonesFirst(c.Keys)
		for _, d := range c.Drafts {
			for _, k := range d.Keys {
				if shared[k] && !slices.Contains(c.Keys, k) {
					if c.placeholders == nil {
						c.placeholders = map[string]bool{}
					}
					c.placeholders[k] = true
				}
			}
		}
	}
	return out, of
}

func accountKey(id int64) string { return "account:" + strconv.FormatInt(id, 10) }

// disjointSets is a union-find over keys.
type disjointSets map[string]string

func (s *disjointSets) add(k string) {
	if *s == nil {
		*s = disjointSets{}
	}
	if _, ok := (*s)[k]; !ok {
		(*s)[k] = k
	}
}

func (s *disjointSets) find(k string) string {
	s.add(k)
	p := (*s)[k]
	if p == k {
		return k
	}
	r := s.find(p)
	(*s)[k] = r
	return r
}

func (s *disjointSets) union(a, b string) { (*s)[s.find(a)] = s.find(b) }

// placeholderSpread is how many different phones one e-mail of a batch
// must come with (or different e-mails one phone) to be a placeholder, not
// a person's: one customer with two phones and one e-mail is one customer.
const placeholderSpread = 3

// SharedKeys are a batch's placeholders: the e-mails that drafts with
// placeholderSpread or more different phones carry (one fixed e-mail on
// every order), and the phones that drafts with as many different e-mails
// carry (the shop's own number typed in for customers). They are neither
// matched nor sent.
func SharedKeys(drafts []*transform.ContactDraft) map[string]bool {
	beside := map[string]map[string]bool{} // key -> keys of the other kind in the same drafts
	for _, d := range drafts {
		for _, k := range d.Keys {
			for _, o := range d.Keys {
				if isPhoneKey(k) == isPhoneKey(o) {
					continue
				}
				if beside[k] == nil {
					beside[k] = map[string]bool{}
				}
				beside[k][o] = true
			}
		}
	}
	shared := map[string]bool{}
	for k, others := range beside {
		if len(others) >= placeholderSpread {
			shared[k] = true
		}
	}
	return shared
}

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

// Merged is the customer's desired contact: the first draft, with the
// values of the others' multitext fields (phones, e-mails) added and the
// batch's placeholders taken out. multitext tells those fields apart by
// id, the only thing the transform sets.
func (c *Customer) Merged(multitext func(fieldID int64) bool) *transform.ContactDraft {
	if len(c.Drafts) == 1 && len(c.placeholders) == 0 {
		return c.Drafts[0]
	}
	d := *c.Drafts[0]
	d.Contact.CustomFieldsValues = slices.Clone(d.Contact.CustomFieldsValues)
	for _, other := range c.Drafts[1:] {
		d.Contact.CustomFieldsValues = MergeFieldValues(d.Contact.CustomFieldsValues, other.Contact.CustomFieldsValues, multitext)
	}
	if len(c.placeholders) > 0 {
		d.Contact.CustomFieldsValues = c.withoutPlaceholders(d.Contact.CustomFieldsValues, multitext)
	}
	d.Keys = c.Keys
	return &d
}

// withoutPlaceholders drops the placeholders' values from the multitext
// fields, and a field left with none.
func (c *Customer) withoutPlaceholders(fs []crm.CustomFieldValues, multitext func(fieldID int64) bool) []crm.CustomFieldValues {
	out := make([]crm.CustomFieldValues, 0, len(fs))
	for _, f := range fs {
		if multitext(f.FieldID) {
			f.Values = slices.DeleteFunc(slices.Clone(f.Values), func(v crm.FieldValue) bool {
				return c.placeholders[transform.ValueKey(v.Value)]
			})
			if len(f.Values) == 0 {
				continue
			}
		}
		out = append(out, f)
	}
	return out
}

// MergeFieldValues adds b's values of multitext fields that a lacks; other
// fields keep a's value, and fields only b has are added.
func MergeFieldValues(a, b []crm.CustomFieldValues, multitext func(fieldID int64) bool) []crm.CustomFieldValues {
	for _, fb := range b {
		i := slices.IndexFunc(a, func(fa crm.CustomFieldValues) bool { return sameField(fa, fb) })
		switch {
		case i < 0:
			a = append(a, fb)
		case multitext(fb.FieldID) || fb.FieldCode == "PHONE" || fb.FieldCode == "EMAIL":
			fa := &a[i]
			fa.Values = slices.Clone(fa.Values)
			for _, v := range fb.Values {
				k := transform.ValueKey(v.Value)
				if !slices.ContainsFunc(fa.Values, func(x crm.FieldValue) bool { return transform.ValueKey(x.Value) == k }) {
					fa.Values = append(fa.Values, v)
				}
			}
		}
	}
	return a
}

func sameField(x, y crm.CustomFieldValues) bool {
	return (y.FieldID != 0 && x.FieldID == y.FieldID) || (y.FieldCode != "" && x.FieldCode == y.FieldCode)
}
