package apply

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"

	"github.com/modx-amocrm/modx-amocrm/internal/amocrm"
	"github.com/modx-amocrm/modx-amocrm/internal/crm"
	"github.com/modx-amocrm/modx-amocrm/internal/plan"
	"github.com/modx-amocrm/modx-amocrm/internal/state"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer/match"
)

func never[T any](T) bool { return false }

// contactUpdater PATCHes contacts.
type contactUpdater interface {
	UpdateContacts(ctx context.Context, contacts []crm.Contact) error
}

// contactUpdates PATCH the contacts that gain phones, e-mails or fields.
type contactUpdates struct {
	crm contactUpdater
}

func (u contactUpdates) write(ctx context.Context, pl *plan.Plan) error {
	var todo []*plan.Contact
	for _, c := range pl.Contacts {
		if c.Action == plan.Update {
			todo = append(todo, c)
		}
	}
	err := sendRefusable(ctx, todo, func(ctx context.Context, cs []*plan.Contact) error {
		patches := make([]crm.Contact, len(cs))
		for i, c := range cs {
			patches[i] = c.Payload
			patches[i].RequestID = strconv.Itoa(i)
		}
		return u.crm.UpdateContacts(ctx, patches)
	}, never, func(c *plan.Contact, _ []amocrm.ItemError, reason string) {
		c.Refused = "contact update refused: " + reason
	})
	if err != nil {
		return fmt.Errorf("update contacts: %w", err)
	}
	return nil
}

// contactCreator creates contacts.
type contactCreator interface {
	CreateContacts(ctx context.Context, contacts []crm.Contact) ([]crm.Contact, error)
}

// contactCreates create the contacts made on their own before their
// deals (a form's or a user's). A pending marker per contact comes first,
// with the newest contact id known; after an unknown outcome the contacts
// above it are paged for their phones and e-mails before anything is
// created again.
type contactCreates struct {
	crm   contactCreator
	match *match.Matcher
	log   *slog.Logger
}

func (cc contactCreates) write(ctx context.Context, pl *plan.Plan) error {
	var todo []*plan.Contact
	for _, c := range pl.Contacts {
		if c.Action == plan.Create && c.Separate {
			todo = append(todo, c)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	marks := make([]state.PendingCreate, len(todo))
	for i, c := range todo {
		marks[i] = state.PendingCreate{Kind: plan.ContactMarkerKind(pl.Kind), SourceID: c.Records[0].ID, Key: c.Keys[0]}
	}
	above, err := cc.match.Contacts.Mark(ctx, marks)
	if err != nil {
		return fmt.Errorf("create contacts: %w", err)
	}
	err = sendRefusable(ctx, todo, func(ctx context.Context, cs []*plan.Contact) error {
		want := make([]crm.Contact, len(cs))
		for i, c := range cs {
			want[i] = c.Payload
			want[i].RequestID = strconv.Itoa(i)
		}
		created, err := cc.crm.CreateContacts(ctx, want)
		for _, x := range created {
			if i, ok := requestIndex(x.RequestID, len(cs)); ok {
				cs[i].ID = x.ID
				cc.match.Contacts.Saw(x.ID)
			}
		}
		return err
	}, func(c *plan.Contact) bool { return c.ID != 0 },
		func(c *plan.Contact, _ []amocrm.ItemError, reason string) { c.Refused = "contact refused: " + reason })
	if err != nil && !errors.Is(err, amocrm.ErrOutcomeUnknown) {
		return fmt.Errorf("create contacts: %w", err)
	}
	if err == nil {
		return nil
	}
	lost := slices.DeleteFunc(slices.Clone(todo), func(c *plan.Contact) bool { return c.ID != 0 || c.Refused != "" })
	if err := tolerate(cc.log, cc.match.FindContacts(ctx, lost, above),
		"contact lookup after an unknown outcome failed", "source", pl.Source, "contacts", len(lost)); err != nil {
		return err
	}
	for _, c := range lost {
		c.Unknown = c.ID == 0
		if c.ID != 0 {
			cc.match.Contacts.Saw(c.ID)
			cc.log.Info("contact found after an unknown outcome", "source", pl.Source, "record", c.Records[0].Key(), "contact_id", c.ID)
		}
	}
	return nil
}

// requestIndex parses a request id this package set (the item's index).
func requestIndex(id string, n int) (int, bool) {
	i, err := strconv.Atoi(id)
	return i, err == nil && i >= 0 && i < n
}
