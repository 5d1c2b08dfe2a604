package plan

import (
	"fmt"
	"slices"
	"strings"

	"github.com/modx-amocrm/modx-amocrm/internal/amocrm"
	"github.com/modx-amocrm/modx-amocrm/internal/transform"
)

// PhoneKey and EmailKey build match keys from raw values; "" when the value
// does not normalise to anything usable.
func PhoneKey(raw string) string {
	if n := transform.NormalizePhone(raw); n != "" {
		return transform.PhoneKeyPrefix + n
	}
	return ""
}

func EmailKey(raw string) string {
	if n := transform.NormalizeEmail(raw); n != "" {
		return transform.EmailKeyPrefix + n
	}
	return ""
}

// KeyValue is the part of a key after its prefix: what a search is asked for.
func KeyValue(key string) string {
	_, v, _ := strings.Cut(key, ":")
	return v
}

func isPhoneKey(k string) bool { return strings.HasPrefix(k, transform.PhoneKeyPrefix) }

// ContactKeys are the match keys of a live contact: its phones and e-mails.
func ContactKeys(c amocrm.Contact) []string {
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
				k = PhoneKey(s)
			case "EMAIL":
				k = EmailKey(s)
			}
			if k != "" {
				keys = append(keys, k)
			}
		}
	}
	return keys
}

// Customer is one person of a batch: every draft whose keys connect them, so
// several records of one new customer make one contact.
type Customer struct {
	Drafts []*transform.ContactDraft
	Keys   []string // union of the drafts' usable keys, phones first
	// What was read for the customer before planning:
	ContactID int64           // matched contact; 0 new, negative: planned by this dry run
	Live      *amocrm.Contact // the matched contact as amoCRM has it; nil when Sent
	Sent      bool            // the contact already holds exactly this payload
	Hash      string          // of the merged payload (Prepare)
	want      *transform.ContactDraft
}

// Group joins drafts that share a phone, or an e-mail that different phones
// in the batch do not share (a placeholder e-mail on many orders must not
// merge unrelated buyers). Customers keep the order of first appearance.
func Group(drafts []*transform.ContactDraft) ([]*Customer, map[*transform.ContactDraft]*Customer) {
	shared := SharedEmails(drafts)
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
	var sets disjointSets
	for _, d := range drafts {
		ks := usable(d)
		sets.add(ks[0])
		for _, k := range ks[1:] {
			sets.union(ks[0], k)
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
		for _, k := range ks {
			if !slices.Contains(c.Keys, k) {
				c.Keys = append(c.Keys, k)
			}
		}
		of[d] = c
	}
	for _, c := range out {
		sortPhonesFirst(c.Keys)
	}
	return out, of
}

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

// SharedEmails are the e-mail keys that drafts with different phones carry.
func SharedEmails(drafts []*transform.ContactDraft) map[string]bool {
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
// values of the others' multitext fields (phones, e-mails) added. multitext
// tells those fields apart by id, the only thing the transform sets.
func (c *Customer) Merged(multitext func(fieldID int64) bool) *transform.ContactDraft {
	if len(c.Drafts) == 1 {
		return c.Drafts[0]
	}
	d := *c.Drafts[0]
	d.Contact.CustomFieldsValues = slices.Clone(d.Contact.CustomFieldsValues)
	for _, other := range c.Drafts[1:] {
		d.Contact.CustomFieldsValues = MergeFieldValues(d.Contact.CustomFieldsValues, other.Contact.CustomFieldsValues, multitext)
	}
	d.Keys = c.Keys
	return &d
}

// MergeFieldValues adds b's values of multitext fields that a lacks; other
// fields keep a's value, and fields only b has are added.
func MergeFieldValues(a, b []amocrm.CustomFieldValues, multitext func(fieldID int64) bool) []amocrm.CustomFieldValues {
	for _, fb := range b {
		i := slices.IndexFunc(a, func(fa amocrm.CustomFieldValues) bool { return sameField(fa, fb) })
		switch {
		case i < 0:
			a = append(a, fb)
		case multitext(fb.FieldID) || fb.FieldCode == "PHONE" || fb.FieldCode == "EMAIL":
			fa := &a[i]
			fa.Values = slices.Clone(fa.Values)
			for _, v := range fb.Values {
				if !slices.ContainsFunc(fa.Values, func(x amocrm.FieldValue) bool { return fmt.Sprint(x.Value) == fmt.Sprint(v.Value) }) {
					fa.Values = append(fa.Values, v)
				}
			}
		}
	}
	return a
}

func sameField(x, y amocrm.CustomFieldValues) bool {
	return (y.FieldID != 0 && x.FieldID == y.FieldID) || (y.FieldCode != "" && x.FieldCode == y.FieldCode)
}
