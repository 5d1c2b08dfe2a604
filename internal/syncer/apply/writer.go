// Package apply is the writer of a real run: it carries a batch's plan out
// in amoCRM (and, for [shop_status], in the shop), in the order the parts
// depend on each other, and writes each outcome (ids, refusals, unknown
// outcomes) onto the plan. It decides nothing the plan does not: what an
// outcome changes for the next round of creates is the plan's call.
package apply

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/amocrm"
	"github.com/modx-amocrm/modx-amocrm/internal/modx"
	"github.com/modx-amocrm/modx-amocrm/internal/plan"
	"github.com/modx-amocrm/modx-amocrm/internal/shopstatus"
	"github.com/modx-amocrm/modx-amocrm/internal/state"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer/account"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer/match"
)

// CRM is what the writer writes (and reads back) in amoCRM: what each kind
// of write calls, declared next to it.
type CRM interface {
	pipelineCRM
	fieldCRM
	elementCRM
	contactUpdater
	contactCreator
	dealCRM
	noteAdder
	linker
	linkedElements
	taskCRM
	leadUpdater
	relinkCRM
	editNoteCRM
	incomingCRM
}

// Shop is the shop as [shop_status] writes it (*modx.DB).
type Shop interface {
	WriteStatus(ctx context.Context, w modx.StatusWrite) (int64, error)
	LogStatus(ctx context.Context, w modx.StatusWrite) (int64, error)
}

// marker commits the pending markers of writes not safe to repeat, before
// they start (syncer.Ledger.MarkPendings).
type marker interface {
	MarkPendings(ctx context.Context, marks []state.PendingCreate, meta map[string]string) error
}

// Writer writes plans for real.
type Writer struct {
	account *account.Account
	log     *slog.Logger
	steps   []step
	shop    shopStatuses
}

// step is one kind of write to amoCRM: it writes its part of a plan and
// puts the outcomes on the plan.
type step interface {
	write(ctx context.Context, pl *plan.Plan) error
}

// New returns the writer of a real run.
func New(c CRM, s Shop, l syncer.Ledger, a *account.Account, m *match.Matcher, log *slog.Logger, now func() time.Time) *Writer {
	read := linkReader{crm: c, log: log}
	return &Writer{account: a, log: log, shop: shopStatuses{shop: s, ledger: l, log: log, now: now},
		// The steps write a plan's parts to amoCRM in the order they depend
		// on each other: the site pipeline and the fields (their real ids
		// then replace the made-up ones in every payload), the products
		// list's elements, contact updates, contacts made on their own, new
		// deals, notes on form deals, the deals' products and tasks, re-sent,
		// moved and edited deals, the markers of edited and deleted orders,
		// then their product links and notes, incoming leads. A new kind of
		// write is a new file, a line here and its calls in CRM.
		steps: []step{
			sitePipeline{crm: c, log: log},
			fieldCreates{crm: c, account: a},
			elementWrites{crm: c, ledger: l, match: m, log: log},
			contactUpdates{crm: c},
			contactCreates{crm: c, match: m, log: log},
			dealCreates{crm: c, match: m, log: log},
			formNotes{crm: c, log: log},
			productLinks{crm: c, ledger: l, read: read},
			taskCreates{crm: c, ledger: l, log: log},
			dealUpdates{crm: c},
			editMarks{ledger: l},
			relinks{crm: c, read: read},
			editNotes{crm: c, log: log},
			incomingLeads{crm: c, match: m, log: log},
		}}
}

// Write carries a plan out.
func (w *Writer) Write(ctx context.Context, p syncer.Plan) error {
	switch pl := p.(type) {
	case *plan.Plan:
		return w.amo(ctx, pl)
	case *shopstatus.Plan:
		return w.shop.write(ctx, pl)
	}
	return fmt.Errorf("no writer for a %T", p)
}

func (w *Writer) amo(ctx context.Context, pl *plan.Plan) error {
	for _, s := range w.steps {
		if err := s.write(ctx, pl); err != nil {
			return err
		}
	}
	if pl.Refusals() > 0 { // a field, status or list field may be gone: read the metadata again
		if err := w.account.Refused(ctx); err != nil {
			return err
		}
	}
	w.logOutcomes(pl)
	return nil
}

// logOutcomes logs what the plan wrote, a line per entity naming its
// record and its amoCRM id; refusals and lost answers are warnings.
func (w *Writer) logOutcomes(pl *plan.Plan) {
	for _, c := range pl.Contacts {
		switch {
		case c.Refused != "":
			w.log.Warn("amoCRM refused the contact", "source", c.Source, "record", c.Records[0].Key(), "reason", c.Refused)
		case c.Action == plan.Create && c.Separate && c.ID != 0:
			w.log.Info("contact created", "source", c.Source, "record", c.Records[0].Key(), "contact_id", c.ID)
		case c.Action == plan.Update:
			w.log.Info("contact updated", "source", c.Source, "contact_id", c.ID)
		}
	}
	for _, d := range pl.Deals {
		attrs := []any{"source", d.Source, "record", d.Record.Key(), "lead_id", d.ID}
		switch {
		case d.Refused != "":
			w.log.Warn("amoCRM refused the deal", append(attrs, "reason", d.Refused)...)
		case d.Deferred != "":
			w.log.Info("deal waits for the next pass", append(attrs, "reason", d.Deferred)...)
		case d.Creates() && d.Unknown:
			w.log.Warn("deal create had no answer and was not found; looked up again next pass", attrs...)
		case d.Creates() && d.ID != 0:
			w.log.Info("deal created", append(attrs, "contact_id", d.Contact.ID)...)
		case d.Mode == plan.Resend:
			w.log.Info("deal sent again", attrs...)
		case d.Mode == plan.Move:
			w.log.Info("deal moved", append(attrs, "status_id", d.To)...)
		}
	}
	for _, in := range pl.Incoming {
		if in.ID != 0 && !in.AlreadySent {
			w.log.Info("incoming lead created", "source", plan.SourceForms, "record", in.Record.Key(), "lead_id", in.ID)
		}
	}
	w.logExtras(pl)
	logRevisions(w.log, pl)
}

// logExtras logs the elements, links and tasks the plan wrote.
func (w *Writer) logExtras(pl *plan.Plan) {
	for _, e := range pl.Elements {
		attrs := []any{"source", pl.Source, "product_id", e.ProductID, "element_id", e.ID}
		switch {
		case e.Refused != "":
			w.log.Warn("amoCRM refused the element", append(attrs, "reason", e.Refused)...)
		case e.Unknown:
			w.log.Warn("element create had no answer and was not found; looked up again next pass", attrs...)
		case e.Action == plan.Create:
			w.log.Info("element created", attrs...)
		case e.Action == plan.Update:
			w.log.Info("element updated", attrs...)
		}
	}
	for _, d := range slices.Concat(pl.Deals, pl.Adopted) {
		attrs := []any{"source", d.Source, "record", d.Record.Key(), "lead_id", d.ID}
		if x := d.Products; x != nil {
			switch {
			case x.Refused != "":
				w.log.Warn("amoCRM refused the deal's products", append(attrs, "reason", x.Refused)...)
			case x.Unknown:
				w.log.Warn("product links had no answer and were not all found; read back again next pass", attrs...)
			case x.Linked && x.Sending():
				w.log.Info("products linked", append(attrs, "links", len(x.Send))...)
			}
		}
		if t := d.Task; t != nil {
			switch {
			case t.Refused != "":
				w.log.Warn("amoCRM refused the task", append(attrs, "reason", t.Refused)...)
			case t.Unknown:
				w.log.Warn("task create had no answer and was not found; looked up again next pass", attrs...)
			case t.ID != 0 && !t.Found:
				w.log.Info("task created", append(attrs, "task_id", t.ID)...)
			}
		}
	}
}

// tolerate returns err when it stops the pass (amocrm.IsFatal) and
// otherwise logs it with msg and args and returns nil: a failed lookup,
// read-back or note leaves its records to the next try.
func tolerate(log *slog.Logger, err error, msg string, args ...any) error {
	if err == nil || amocrm.IsFatal(err) {
		return err
	}
	log.Warn(msg, append(args, "err", err)...)
	return nil
}
