package apply

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"

	"github.com/modx-amocrm/modx-amocrm/internal/plan"
	"github.com/modx-amocrm/modx-amocrm/internal/state"
)

// editMarks commit the marker of each edited or deleted order whose deal
// gets unlinks, links or a note now (plan.Revising), before any of them is
// sent: none of them is safe to send twice, so until the marker is cleared
// with the order's snapshot, a later try reads the deal's links and notes
// back first. A PATCH is safe to repeat and goes before, unmarked.
type editMarks struct {
	ledger marker
}

func (m editMarks) write(ctx context.Context, pl *plan.Plan) error {
	ds := pl.Revising()
	if len(ds) == 0 {
		return nil
	}
	if err := markDeals(ctx, m.ledger, plan.EditMarker, ds, nil); err != nil {
		return fmt.Errorf("mark order edits pending: %w", err)
	}
	return nil
}

// markDeals commits a marker of kind per deal's record, keyed by the deal,
// before a write to the deals that is not safe to repeat; hash, when not
// nil, gives each marker the hash of what is sent.
func markDeals(ctx context.Context, l marker, kind string, ds []*plan.Deal, hash func(*plan.Deal) string) error {
	marks := make([]state.PendingCreate, len(ds))
	for i, d := range ds {
		marks[i] = state.PendingCreate{Kind: kind, SourceID: d.Record.ID, Key: strconv.FormatInt(d.ID, 10)}
		if hash != nil {
			marks[i].PayloadHash = hash(d)
		}
	}
	return l.MarkPendings(ctx, marks, nil)
}

// logRevisions logs what the plan wrote for edited and deleted orders.
func logRevisions(log *slog.Logger, pl *plan.Plan) {
	for _, d := range pl.Deals {
		r := d.Revision
		if r == nil || d.Refused != "" {
			continue
		}
		attrs := []any{"source", d.Source, "order_id", d.Record.ID, "lead_id", d.ID}
		if x := r.Relink; x != nil {
			switch {
			case x.Refused != "":
				log.Warn("amoCRM refused the deal's product links", append(attrs, "reason", x.Refused)...)
			case x.Unknown:
				log.Warn("product links had no answer and were not found done; read back at the next comparison", attrs...)
			case x.Done:
				log.Info("product links changed", append(attrs, "unlinked", len(x.Unlink), "linked", len(x.Link))...)
			}
		}
		if n := r.Note; n != nil {
			switch {
			case n.Refused != "":
				log.Warn("amoCRM refused the note", append(attrs, "reason", n.Refused)...)
			case n.Unknown:
				log.Warn("note had no answer and was not found on the deal; read back at the next comparison", attrs...)
			case n.ID != 0 && !n.Found:
				log.Info("note added", append(attrs, "note_id", n.ID)...)
			}
		}
		switch {
		case d.Mode == plan.Edit:
			log.Info("deal follows its order's edit", append(attrs, "changed", r.Change.Changed())...)
		case r.OnDelete != "":
			log.Info("order deleted in the shop", append(attrs, "on_delete", r.OnDelete)...)
		}
	}
}
