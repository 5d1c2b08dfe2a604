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

// incomingCRM is what incoming leads' creates call.
type incomingCRM interface {
	CreateUnsortedForms(ctx context.Context, forms []crm.UnsortedForm) ([]amocrm.UnsortedResult, error)
}

// incomingLeads send incoming leads. Each gets a pending marker first, with
// the newest deal id known: after an unknown outcome its lead is looked up
// by the form's key field above it, as a deal is, because amoCRM may store
// a repeated source_uid as a tagged duplicate rather than refuse it. Where
// it refuses one, a refusal naming only source_uid means the entry is there
// already.
type incomingLeads struct {
	crm   incomingCRM
	match *match.Matcher
	log   *slog.Logger
}

func (il incomingLeads) write(ctx context.Context, pl *plan.Plan) error {
	todo := slices.DeleteFunc(slices.Clone(pl.Incoming), func(in *plan.Incoming) bool { return in.AlreadySent })
	if len(todo) == 0 {
		return nil
	}
	marks := make([]state.PendingCreate, len(todo))
	for i, in := range todo {
		marks[i] = state.PendingCreate{Kind: pl.Kind, SourceID: in.Record.ID, Key: in.Key}
	}
	above, err := il.match.Leads.Mark(ctx, marks)
	if err != nil {
		return fmt.Errorf("create incoming leads: %w", err)
	}
	err = sendRefusable(ctx, todo, func(ctx context.Context, ins []*plan.Incoming) error {
		forms := make([]crm.UnsortedForm, len(ins))
		for i, in := range ins {
			forms[i] = in.Form
			forms[i].RequestID = strconv.Itoa(i)
		}
		res, err := il.crm.CreateUnsortedForms(ctx, forms)
		for _, r := range res {
			if i, ok := requestIndex(r.RequestID, len(ins)); ok && len(r.Embedded.Leads) > 0 {
				ins[i].ID = r.Embedded.Leads[0].ID
				il.match.Leads.Saw(ins[i].ID)
			}
		}
		return err
	}, func(in *plan.Incoming) bool { return in.ID != 0 }, func(in *plan.Incoming, errs []amocrm.ItemError, reason string) {
		if onlySourceUID(errs) {
			in.AlreadySent = true
			return
		}
		in.Refused = "amoCRM refused the incoming lead: " + reason
	})
	switch {
	case errors.Is(err, amocrm.ErrOutcomeUnknown):
		return il.find(ctx, todo, above)
	case err != nil:
		return fmt.Errorf("create incoming leads: %w", err)
	}
	return nil
}

// find looks up, by the form's key, the incoming leads that
// got no answer: found ones are taken as created, the others stay pending.
func (il incomingLeads) find(ctx context.Context, ins []*plan.Incoming, above int64) error {
	var lost []*plan.Incoming
	var keys []match.LeadKey
	for _, in := range ins {
		if in.ID == 0 && in.Refused == "" && !in.AlreadySent {
			lost = append(lost, in)
			keys = append(keys, match.LeadKey{Code: plan.FormFieldCode, Value: in.Key})
		}
	}
	found, err := il.match.FindLost(ctx, keys, above)
	if err != nil {
		return err
	}
	for _, in := range lost {
		if l := found[match.LeadKey{Code: plan.FormFieldCode, Value: in.Key}]; l != nil {
			in.ID = l.ID
			il.log.Info("incoming lead found after an unknown outcome", "source", plan.SourceForms, "record", in.Record.Key(), "lead_id", l.ID)
			continue
		}
		in.Unknown = true
	}
	return nil
}

// onlySourceUID reports whether every error is about source_uid: the entry
// is in amoCRM already.
func onlySourceUID(errs []amocrm.ItemError) bool {
	for _, e := range errs {
		if e.Path != "source_uid" {
			return false
		}
	}
	return len(errs) > 0
}
