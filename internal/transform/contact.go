package transform

import (
	"fmt"
	"slices"
	"strings"

	"github.com/modx-amocrm/modx-amocrm/internal/crm"
	"github.com/modx-amocrm/modx-amocrm/internal/shop"
)

// Match keys of a customer and of a live contact: "phone:<digits>" and
// "email:<address>". The contact index, links and pending markers hold them.
const (
	PhoneKeyPrefix = "phone:"
	EmailKeyPrefix = "email:"
)

// ContactDraft is the contact a record wants, before it is matched to a
// live one. Keys are its match keys ("phone:79991234567", "email:a@b.ru"):
// normalised, synthetic and ignored e-mails left out.
type ContactDraft struct {
	Keys   []string
	UserID int64 // the MODX user whose profile it used; 0 for a form, or an account not the customer's
	// Account is the MODX user whose contact this is: the user itself, or
	// for an order, the account that placed it when the receiver is its
	// holder (see orderContact). The deal then belongs to the account's
	// linked contact, ours or the old extra's (amocrm_users), which gets
	// the record's new phones and e-mails (MergeContact), whatever its keys
	// match. 0: the contact is found by its keys alone.
	Account       int64
	Contact       crm.Contact
	MissingFields []FieldSpec // contact fields to create (contacts.auto_create_fields)
	Notes         []string    // documented repairs and skipped values
}

// Profile columns contacts.fields may select besides the name, phones and
// e-mail. Each goes to the contact field of that name or code.
var profileKeys = []string{"fax", "address", "country", "city", "state", "zip", "website", "comment"}

func profileValue(c *shop.Customer, key string) string {
	if c == nil {
		return ""
	}
	switch key {
	case "fax":
		return c.Fax
	case "address":
		return c.Address
	case "country":
		return c.Country
	case "city":
		return c.City
	case "state":
		return c.State
	case "zip":
		return c.Zip
	case "website":
		return c.Website
	case "comment":
		return c.Comment
	}
	return ""
}

// contactPlan is [contacts] resolved against the account's contact fields.
type contactPlan struct {
	selected map[string]bool // contacts.fields
	extras   []string        // selected profile keys, in config order
	phone    *crm.CustomField
	email    *crm.CustomField
	enums    map[string]string // phone, mobilephone, email -> enum code
}

func (m *Mapper) resolveContacts() error {
	cp := contactPlan{
		selected: make(map[string]bool),
		phone:    m.contSet.predefined("phone"),
		email:    m.contSet.predefined("email"),
		enums:    make(map[string]string),
	}
	for _, k := range m.cfg.Contacts.Fields {
		k = foldKey(k)
		switch {
		case k == "fullname" || k == "email" || k == "phone" || k == "mobilephone":
		case slices.Contains(profileKeys, k):
			cp.extras = append(cp.extras, k)
		default:
			return fmt.Errorf("contacts.fields: unknown field %q (known: fullname, email, phone, mobilephone, %s)", k, strings.Join(profileKeys, ", "))
		}
		cp.selected[k] = true
	}
	for k, code := range m.cfg.Contacts.EnumTypes {
		f := cp.phone
		switch foldKey(k) {
		case "phone", "mobilephone":
		case "email":
			f = cp.email
		default:
			return fmt.Errorf("contacts.enum_types: unknown key %q (phone, mobilephone or email)", k)
		}
		if f != nil && len(f.Enums) > 0 && !hasEnum(f, code) {
			return fmt.Errorf("contacts.enum_types.%s: field %q has no enum %q", k, f.Name, code)
		}
		cp.enums[foldKey(k)] = code
	}
	if _, ok := cp.enums["mobilephone"]; !ok {
		cp.enums["mobilephone"] = cp.enums["phone"]
	}
	m.contactPlan = cp
	m.readonly = m.resolveReadonly()
	return nil
}

func hasEnum(f *crm.CustomField, value string) bool {
	for _, e := range f.Enums {
		if strings.EqualFold(e.Value, value) {
			return true
		}
	}
	return false
}

// person is what a record says about a customer, before [contacts] decides
// what is sent.
type person struct {
	name   string
	phones []phoneValue
	emails []string
	extras []kv // selected profile columns
	custom []kv // overrides naming other contact fields
	// staff: the e-mails are a staff account's own, whose mailbox at the
	// shop's own domain is real (see usableEmail).
	staff bool
}

type phoneValue struct{ kind, value string } // kind: "phone" or "mobilephone"

func (m *Mapper) customerPerson(c *shop.Customer) *person {
	p := &person{}
	if c == nil {
		return p
	}
	p.name = c.FullName
	p.phones = []phoneValue{{"phone", c.Phone}, {"mobilephone", c.MobilePhone}}
	p.emails = []string{c.Email}
	for _, k := range m.contactPlan.extras {
		p.extras = append(p.extras, kv{k, strings.TrimSpace(profileValue(c, k))})
	}
	return p
}

// override applies contactFields / extended.amoCRMFields. Empty values are
// skipped: an override never blanks what the record has.
func (p *person) override(kvs []kv) {
	for _, o := range kvs {
		if o.value == "" {
			continue
		}
		switch k := foldKey(o.key); k {
		case "name", "fullname":
			p.name = o.value
		case "phone", "телефон", "mobilephone":
			kind := "phone"
			if k == "mobilephone" {
				kind = k
			}
			kept := p.phones[:0:0]
			for _, ph := range p.phones {
				if ph.kind != kind {
					kept = append(kept, ph)
				}
			}
			p.phones = append(kept, phoneValue{kind, o.value})
		case "email":
			p.emails = []string{o.value}
		default:
			p.setExtra(k, o.value)
		}
	}
}

func (p *person) setExtra(key, value string) {
	for i := range p.extras {
		if p.extras[i].key == key {
			p.extras[i].value = value
			return
		}
	}
	p.custom = append(p.custom, kv{key, value})
}

// draft turns a person into the contact payload and its match keys.
// Phones too short or obviously made up, and e-mails that are not
// addresses or that the shop invents, are neither sent nor matched.
func (m *Mapper) draft(p *person, userID, responsible int64) (*ContactDraft, error) {
	d := &ContactDraft{UserID: userID}
	cp := &m.contactPlan
	fv := fieldValues{skipEmpty: m.cfg.Contacts.SkipEmpty, autoCreate: m.cfg.Contacts.AutoCreateFields, notes: &d.Notes}

	var phoneVals, emailVals []crm.FieldValue
	// bad are values given but unusable, noted; placeholders are the
	// shop's inventions, named only when nothing else is left.
	var bad, placeholders []string
	seen := make(map[string]bool)
	for _, ph := range p.phones {
		n, ok := usablePhone(ph.value)
		if !ok {
			if len(n) >= minPhoneDigits {
				bad = append(bad, fmt.Sprintf("phone %q looks made up", strings.TrimSpace(ph.value)))
			}
			continue
		}
		if seen[PhoneKeyPrefix+n] {
			continue
		}
		seen[PhoneKeyPrefix+n] = true
		d.Keys = append(d.Keys, PhoneKeyPrefix+n)
		if cp.selected[ph.kind] {
			phoneVals = append(phoneVals, crm.FieldValue{Value: phoneText(ph.value, n), EnumCode: cp.enums[ph.kind]})
		}
	}
	var malformed string
	for _, e := range p.emails {
		n := NormalizeEmail(e)
		if !m.usableEmail(n, p.staff) {
			switch {
			case n == "":
			case !emailShape(n):
				malformed = strings.TrimSpace(e)
				bad = append(bad, fmt.Sprintf("e-mail %q is not an address", malformed))
			default:
				placeholders = append(placeholders, fmt.Sprintf("e-mail %q is invented for guests or ignored", n))
			}
			continue
		}
		if seen[EmailKeyPrefix+n] {
			continue
		}
		seen[EmailKeyPrefix+n] = true
		d.Keys = append(d.Keys, EmailKeyPrefix+n)
		if cp.selected["email"] {
			emailVals = append(emailVals, crm.FieldValue{Value: n, EnumCode: cp.enums["email"]})
		}
	}
	switch {
	case len(d.Keys) == 0 && malformed != "":
		// Bad input to fix in MODX, not a record with nothing to say.
		return nil, recordErr("email", "%q is not an e-mail address, and there is no phone", malformed)
	case len(d.Keys) == 0 && len(bad)+len(placeholders) > 0:
		return nil, &RecordError{Field: "contact", Err: fmt.Errorf("%w (%s)", ErrNoContact, strings.Join(append(bad, placeholders...), "; "))}
	case len(d.Keys) == 0:
		return nil, &RecordError{Field: "contact", Err: ErrNoContact}
	}
	for _, why := range bad {
		fv.note("%s: not sent", why)
	}
	if cp.selected["fullname"] {
		d.Contact.Name = cut(strings.TrimSpace(p.name), TextLimit)
	}
	d.Contact.ResponsibleUserID = responsible
	m.putMultitext(&fv, cp.phone, "PHONE", phoneVals)
	m.putMultitext(&fv, cp.email, "EMAIL", emailVals)
	for _, e := range p.extras {
		fv.set(m.contSet.find(e.key), FieldSpec{Name: e.key, Type: "text"}, e.value)
	}
	for _, c := range p.custom {
		f := m.contSet.find(c.key)
		if f == nil {
			fv.note("contact field %q is not in the account: not sent", c.key)
			continue
		}
		fv.set(f, FieldSpec{}, c.value)
	}
	d.Contact.CustomFieldsValues = fv.out
	d.MissingFields = fv.missing
	return d, nil
}

func (m *Mapper) putMultitext(fv *fieldValues, f *crm.CustomField, code string, vals []crm.FieldValue) {
	if len(vals) == 0 {
		return
	}
	if f == nil {
		fv.note("the account has no %s contact field: not sent", code)
		return
	}
	fv.put(crm.CustomFieldValues{FieldID: f.ID, Values: vals})
}

// minPhoneDigits: anything shorter is a typo or a placeholder, not a phone
// to match customers by.
const minPhoneDigits = 5

// NormalizePhone reduces a phone to its digits, with Russian numbers in one
// form, 7XXXXXXXXXX: 8XXXXXXXXXX (the trunk prefix) and a bare 9XXXXXXXXX
// (a mobile without its country code) become it, with or without a "+".
// "+8 (916) …" and "+916…" are slips for 8 916 and +7 916: no country code
// is a lone 8 or 9, and keys must compare equal however a customer typed
// them, so the result is its own normal form. (A Vietnamese +84 number of
// eleven digits reads as Russian: a price a Russian shop can pay.)
func NormalizePhone(s string) string {
	d := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			d = append(d, s[i])
		}
	}
	switch {
	case len(d) == 11 && d[0] == '8':
		d[0] = '7'
	case len(d) == 10 && d[0] == '9':
		return "7" + string(d)
	}
	return string(d)
}

// usablePhone normalises a phone and says whether it may be sent and
// matched: long enough and not a placeholder.
func usablePhone(raw string) (string, bool) {
	n := NormalizePhone(raw)
	return n, len(n) >= minPhoneDigits && !placeholderPhone(n)
}

// placeholderPhone reports a number nobody has, typed where a phone is
// required: one digit repeated (0000000, +7 (000) 000-00-00, +7 999
// 999-99-99) or a run (+7 (123) 456-78-90, 9876543210), in the whole
// number or in a Russian number's ten digits after the 7.
func placeholderPhone(n string) bool {
	national := n
	if len(n) == 11 && n[0] == '7' {
		national = n[1:]
	}
	return repeated(n) || repeated(national) || run(national)
}

func repeated(d string) bool { return d != "" && strings.Count(d, d[:1]) == len(d) }

// run reports digits that each step up, or each step down, by one (9 to 0
// counts as a step up: 1234567890).
func run(d string) bool {
	up, down := true, true
	for i := 1; i < len(d); i++ {
		step := (int(d[i]) - int(d[i-1]) + 10) % 10
		up, down = up && step == 1, down && step == 9
	}
	return up || down
}

// phoneText is the phone as sent: +7XXXXXXXXXX for Russian numbers, so one
// customer's phone reads the same in every contact; others as entered.
func phoneText(raw, normalized string) string {
	if len(normalized) == 11 && normalized[0] == '7' {
		return "+" + normalized
	}
	return strings.TrimSpace(raw)
}

// NormalizeEmail lower-cases and trims an e-mail.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// UsableEmail reports whether an e-mail may be sent and matched: it looks
// like an address, is not one miniShop2 or the old extra invented for a
// guest (…@host, …@emails.host) and is not in contacts.ignore_emails.
func (m *Mapper) UsableEmail(e string) bool { return m.usableEmail(e, false) }

// usableEmail is UsableEmail for a staff account's own address too:
// miniShop2 invents {receiver}@{http_host} only for a guest's account
// (miniShop2::getCustomerId, 2.5-4.4.1) and the old extra
// {phone}@emails.{http_host} only for users it made from amoCRM contacts
// (Contacts::updateUserInMODX), so a manager's admin@shop.test is a real
// mailbox; one at emails.{host} is still the extra's.
func (m *Mapper) usableEmail(e string, staff bool) bool {
	n := NormalizeEmail(e)
	if !emailShape(n) || m.ignored[n] {
		return false
	}
	domain := n[strings.LastIndexByte(n, '@')+1:]
	if staff && !strings.HasPrefix(domain, "emails.") {
		return true
	}
	return !slices.Contains(m.synth, domain)
}

// emailShape reports whether a normalised e-mail looks like an address:
// something before the @, a dot in the domain, no spaces or separators.
func emailShape(n string) bool {
	at := strings.LastIndexByte(n, '@')
	return at > 0 && !strings.ContainsAny(n, " \t,;") && strings.Contains(n[at+1:], ".")
}

// syntheticDomains are the domains of e-mails invented for guests.
func syntheticDomains(host string) []string {
	h := strings.ToLower(strings.TrimSpace(host))
	h = strings.TrimPrefix(strings.TrimPrefix(h, "https://"), "http://")
	h, _, _ = strings.Cut(h, "/")
	h, _, _ = strings.Cut(h, ":")
	if h == "" {
		return nil
	}
	bare := strings.TrimPrefix(h, "www.")
	out := []string{h, "emails." + h}
	if bare != h {
		out = append(out, bare, "emails."+bare)
	}
	return out
}
