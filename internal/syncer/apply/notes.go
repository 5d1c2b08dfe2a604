package apply

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/modx-amocrm/modx-amocrm/internal/crm"
	"github.com/modx-amocrm/modx-amocrm/internal/plan"
)

// noteAdder adds notes to deals.
type noteAdder interface {
	AddLeadNotes(ctx context.Context, notes []crm.Note) ([]crm.Note, error)
}

// formNotes put every submitted value of a form on its new deal. A lost
// note is not worth a duplicate deal: notes are sent once, and a failure is
// only logged with the deals it concerned.
type formNotes struct {
	crm noteAdder
	log *slog.Logger
}

func (f formNotes) write(ctx context.Context, pl *plan.Plan) error {
	var notes []crm.Note
	for _, d := range pl.Deals {
		if d.Creates() && d.ID != 0 && d.Note != "" {
			n, err := commonNote(d, d.Note)
			if err != nil {
				return err
			}
			notes = append(notes, n)
		}
	}
	if len(notes) == 0 {
		return nil
	}
	_, err := f.crm.AddLeadNotes(ctx, notes)
	return tolerate(f.log, err, "form notes not added", "source", pl.Source, "deals", len(notes))
}

// commonNote is a text note on a deal.
func commonNote(d *plan.Deal, text string) (crm.Note, error) {
	params, err := json.Marshal(map[string]string{"text": text})
	if err != nil {
		return crm.Note{}, fmt.Errorf("note of %s: %w", d.Record.Key(), err)
	}
	return crm.Note{EntityID: d.ID, NoteType: "common", Params: params}, nil
}
