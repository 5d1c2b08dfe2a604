package transform

import "github.com/modx-amocrm/modx-amocrm/internal/shop"

// User maps a MODX user to the contact it should be, per [contacts] with
// user_attributes.extended.amoCRMFields overriding. Inactive and blocked
// users are synced like any other: a blocked login does not make someone
// less of a customer, and their orders already point at the same contact.
// A user with neither a phone nor a usable e-mail gives a *RecordError
// wrapping ErrNoContact: the syncer skips such users (there is nothing to
// match them by) rather than parking them. One whose e-mail is no address
// at all and who has no phone gives a plain *RecordError: bad input to fix
// in MODX, parked.
//
// A staff account's own e-mail at the shop's domain (admin@shop.test) is
// its mailbox, not one invented for a guest: such a user is not skipped.
func (m *Mapper) User(c *shop.Customer) (*ContactDraft, error) {
	var notes []string
	c = repairCustomer(c, &notes)
	p := m.customerPerson(c)
	p.staff = c.Manager
	ext, err := extendedOverrides(c)
	if err != nil {
		return nil, err
	}
	p.override(ext)
	d, err := m.draft(p, c.ID, m.defResponsible)
	if err != nil {
		return nil, err
	}
	d.Account = c.ID
	d.Notes = append(notes, d.Notes...)
	return d, nil
}
