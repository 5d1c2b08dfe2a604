package apply

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"

	"github.com/modx-amocrm/modx-amocrm/internal/amocrm"
	"github.com/modx-amocrm/modx-amocrm/internal/crm"
	"github.com/modx-amocrm/modx-amocrm/internal/plan"
)

// editNoteCRM is what the notes of edits call: they are read back after
// an unknown outcome.
type editNoteCRM interface {
	noteAdder
	LeadNotes(ctx context.Context, leadID int64, noteType string) ([]crm.Note, error)
}

// editNotes add the notes of edited and deleted orders' deals
// (plan.Noting), under their orders' markers, 50 a request. Unlike a form's
// note, each is written exactly once: a request amoCRM refuses is split
// like any batch, the notes it names refused, and after an unknown outcome
// each deal's notes are read back and a note counts as added when the deal
// holds its exact text; the others are read back again at the next
// comparison before anything is sent.
type editNotes struct {
	crm editNoteCRM
	log *slog.Logger
}

func (e editNotes) write(ctx context.Context, pl *plan.Plan) error {
	ds := pl.Noting()
	err := sendRefusable(ctx, ds, func(ctx context.Context, ds []*plan.Deal) error {
		notes := make([]crm.Note, len(ds))
		for i, d := range ds {
			n, err := commonNote(d, d.Revision.Note.Text)
			if err != nil {
				return err
			}
			n.RequestID = strconv.Itoa(i)
			notes[i] = n
		}
		made, err := e.crm.AddLeadNotes(ctx, notes)
		for _, n := range made {
			if i, ok := requestIndex(n.RequestID, len(ds)); ok {
				ds[i].Revision.Note.ID = n.ID
			}
		}
		return err
	}, func(d *plan.Deal) bool { return d.Revision.Note.ID != 0 }, func(d *plan.Deal, _ []amocrm.ItemError, reason string) {
		d.Revision.Note.Refused = "amoCRM refused the note: " + reason
	})
	switch {
	case errors.Is(err, amocrm.ErrOutcomeUnknown):
		return e.find(ctx, ds)
	case err != nil:
		return fmt.Errorf("add notes: %w", err)
	}
	return nil
}

// find reads back the notes of the deals whose note got no answer.
func (e editNotes) find(ctx context.Context, ds []*plan.Deal) error {
	for _, d := range ds {
		n := d.Revision.Note
		if n.ID != 0 || n.Refused != "" {
			continue
		}
		have, err := e.crm.LeadNotes(ctx, d.ID, "common")
		if err := tolerate(e.log, err, "read-back of notes after an unknown outcome failed; read back at the next comparison",
			"source", d.Source, "order_id", d.Record.ID, "lead_id", d.ID); err != nil {
			return err
		}
		for _, h := range have {
			if h.Text() == n.Text {
				n.ID = h.ID
			}
		}
		n.Unknown = n.ID == 0
	}
	return nil
}
