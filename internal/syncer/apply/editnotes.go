package apply

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/modx-amocrm/modx-amocrm/internal/amocrm"
	"github.com/modx-amocrm/modx-amocrm/internal/crm"
	"github.com/modx-amocrm/modx-amocrm/internal/plan"
)

// addEditNotes adds the notes of edited and deleted orders' deals
// (plan.Noting), under their orders' markers, 50 a request. Unlike a form's
// note, each is written exactly once: a request amoCRM refuses is split
// like any batch, the notes it names refused, and after an unknown outcome
// each deal's notes are read back and a note counts as added when the deal
// holds its exact text; the others are read back again at the next
// comparison before anything is sent.
func (w *Writer) addEditNotes(ctx context.Context, pl *plan.Plan) error {
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
		made, err := w.crm.AddLeadNotes(ctx, notes)
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
		return w.findNotes(ctx, ds)
	case err != nil:
		return fmt.Errorf("add notes: %w", err)
	}
	return nil
}

// findNotes reads back the notes of the deals whose note got no answer.
func (w *Writer) findNotes(ctx context.Context, ds []*plan.Deal) error {
	for _, d := range ds {
		n := d.Revision.Note
		if n.ID != 0 || n.Refused != "" {
			continue
		}
		have, err := w.crm.LeadNotes(ctx, d.ID, "common")
		if err != nil {
			if amocrm.IsFatal(err) {
				return err
			}
			w.log.Warn("read-back of notes after an unknown outcome failed; read back at the next comparison", "source", d.Source,
				"order_id", d.Record.ID, "lead_id", d.ID, "err", err)
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
