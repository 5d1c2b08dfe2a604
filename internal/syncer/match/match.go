// Package match finds what a pass's records already are in amoCRM: each
// customer's contact, through a local index of phones and e-mails kept up
// to date from the account (so a backfill spends no search request per
// customer), the live contacts a merge needs, the products list's elements
// of products our state does not know, and, after a create whose answer
// was lost, the deal, contact or element it may have stored (DESIGN rule 2).
package match

import (
	"context"
	"log/slog"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/crm"
	"github.com/modx-amocrm/modx-amocrm/internal/plan"
	"github.com/modx-amocrm/modx-amocrm/internal/state"
)

// CRM is what matching reads of amoCRM.
type CRM interface {
	ContactsByIDs(ctx context.Context, ids []int64) ([]crm.Contact, error)
	ContactsChangedSince(ctx context.Context, updatedFrom int64, fn func([]crm.Contact) error) error
	ContactsNewestFirst(ctx context.Context, downToID int64, fn func([]crm.Contact) error) error
	NewestContactID(ctx context.Context) (int64, error)
	SearchLeads(ctx context.Context, query string) ([]crm.Lead, error)
	LeadsNewestFirst(ctx context.Context, downToID int64, withContacts bool, fn func([]crm.Lead) error) error
	NewestLeadID(ctx context.Context) (int64, error)
	CatalogElements(ctx context.Context, catalogID int64, fn func([]crm.CatalogElement) error) error
}

// Ledger is what matching reads and keeps in the state.
type Ledger interface {
	Links(ctx context.Context, kind string, ids []int64) (map[int64]plan.Link, error)
	LookupContacts(ctx context.Context, keys []string) (map[string]int64, error)
	PutContactKeys(ctx context.Context, keys map[string]int64, origin string) error
	Meta(ctx context.Context, name string) (string, bool, error)
	SetMeta(ctx context.Context, name, value string) error
	MarkPendings(ctx context.Context, marks []state.PendingCreate, meta map[string]string) error
}

// Matcher matches the records of an engine's passes.
type Matcher struct {
	crm    CRM
	ledger Ledger
	log    *slog.Logger
	now    func() time.Time

	indexed bool  // the contact index was brought up to date in this pass
	list    *list // the products list as this pass read it (Elements)
	// Leads and Contacts bound what a create may have stored, for its
	// pending marker (see Bounds).
	Leads, Contacts *Bounds
}

// New returns a matcher.
func New(c CRM, l Ledger, log *slog.Logger, now func() time.Time) *Matcher {
	m := &Matcher{crm: c, ledger: l, log: log, now: now}
	m.Leads = &Bounds{meta: metaNewestLead, ask: c.NewestLeadID, ledger: l, now: now}
	m.Contacts = &Bounds{meta: metaNewestContact, ask: c.NewestContactID, ledger: l, now: now}
	return m
}

// Begin readies the matcher for a pass: the index is refreshed again when
// a customer needs it, and the bounds are read again from the state.
func (m *Matcher) Begin() {
	m.indexed, m.list = false, nil
	m.Leads.known, m.Contacts.known = false, false
}
