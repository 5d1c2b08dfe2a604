package plan

import (
	"strconv"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/crm"
	"github.com/modx-amocrm/modx-amocrm/internal/transform"
)

// Tasks (orders.task, forms.task): a task for the responsible user is made
// with every new deal, once. A pending marker comes first; where a task may
// have been made before (a deal found after an unknown outcome, a task
// owed) the deal's tasks are read back and the task is made only when none
// of them is it.

// TaskKind is the link and pending-marker kind of the tasks of records of
// kind. The link maps a record to its task, 0 while the task is owed; the
// marker, keyed by the deal's id, is committed before the task is made.
func TaskKind(kind string) string { return kind + "_task" }

// Task is the task made with a deal.
type Task struct {
	// Want is the task; its EntityID is the deal's once the deal exists.
	Want crm.Task
	// Have are the deal's tasks as amoCRM had them when planned, read
	// (Read) where the task may have been made before.
	Have []crm.Task
	Read bool

	ID      int64  // outcome: the task made, or found on the deal (Found)
	Found   bool   // outcome: the read-back showed it
	Refused string // outcome: amoCRM's reason for refusing it
	Unknown bool   // outcome: no answer, and the deal's tasks did not show it
}

// Tasking returns the deals whose task is made now (the deal is written
// and the read-back does not show the task), their tasks tied to the deals.
func (p *Plan) Tasking() []*Deal {
	var out []*Deal
	for _, d := range p.dealsWithExtras() {
		t := d.Task
		if t == nil || !d.written() {
			continue
		}
		t.Want.EntityID = d.ID
		if t.Read {
			for _, h := range t.Have {
				if t.Is(h) {
					t.ID, t.Found = h.ID, true
				}
			}
		}
		if !t.Found {
			out = append(out, d)
		}
	}
	return out
}

// Is reports whether a task of the deal is this one: its text, responsible
// and type, where they were given (amoCRM makes a task without a
// responsible the integration user's). Not its due time, which a deal whose
// order has no date takes from when it is planned, so it differs from one
// pass to the next.
func (t *Task) Is(h crm.Task) bool {
	w := t.Want
	return h.EntityID == w.EntityID && h.Text == w.Text && (w.ResponsibleUserID == 0 || h.ResponsibleUserID == w.ResponsibleUserID) &&
		(w.TaskTypeID == 0 || h.TaskTypeID == w.TaskTypeID)
}

// attempted reports whether the task was made, found, refused or lost.
func (t *Task) attempted() bool { return t.ID != 0 || t.Refused != "" || t.Unknown }

// writes records a deal's task: its id, or 0 while it is owed, with the
// record parked when amoCRM refused it, and the marker kept after an
// unknown outcome for the next pass to read back.
func (t *Task) writes(w *Writes, p *Plan, d *Deal, park func(*Parked)) {
	if !t.attempted() {
		return
	}
	kind := TaskKind(p.Kind)
	w.Links = append(w.Links, Link{Kind: kind, SourceID: d.Record.ID, AmoID: t.ID})
	if t.Unknown {
		return
	}
	w.clear(kind, d.Record.ID)
	if t.Refused != "" {
		park(&Parked{Source: d.Source, Record: d.Record, Entity: "task", Reason: t.Refused})
	}
}

// entry renders a deal's task: its text, due time, responsible and type.
func (n names) taskEntry(d *Deal, t *Task) (Entry, bool) {
	if !t.attempted() {
		return Entry{}, false
	}
	w := t.Want
	e := Entry{Source: d.Source, Kind: "task", SourceID: d.Record.ID, Key: d.Record.Key(), AmoID: shown(t.ID),
		Title: oneLine(w.Text), Action: Create, Changes: []Change{
			{Field: "due", New: n.due(w.CompleteTill)},
			{Field: "responsible", New: n.user(w.ResponsibleUserID)},
			{Field: "type", New: n.taskType(w.TaskTypeID)},
		}}
	switch {
	case t.Found:
		e.Action, e.Reason, e.Changes = Unchanged, "already on the deal", nil
	case t.Unknown:
		e.Action, e.Reason = Skip, "outcome unknown: looked for on the deal next pass, never made twice"
	case t.Refused != "":
		e.Action, e.Reason = Fail, oneLine(t.Refused)
	}
	return e, true
}

// due is a task's due time in the shop's zone.
func (n names) due(unix int64) string {
	zone := n.meta.Zone
	if zone == nil {
		zone = time.UTC
	}
	return time.Unix(unix, 0).In(zone).Format("2006-01-02 15:04")
}

// taskType names a task type by the account's name for it.
func (n names) taskType(id int64) string {
	for _, tt := range n.meta.TaskTypes {
		if tt.ID == id {
			return tt.Name
		}
	}
	switch id {
	case crm.TaskTypeCall:
		return "call"
	case crm.TaskTypeMeeting:
		return "meeting"
	}
	return strconv.FormatInt(id, 10)
}

// Extras is what was read for a deal's products and task where they may
// have been written before: their link rows (Kind "" when none), and the
// deal's linked elements and tasks as amoCRM has them (read when the deal
// was found after an unknown outcome, or something is owed).
type Extras struct {
	Products, Task Link
	Linked         []crm.ElementLink
	LinkedRead     bool
	Tasks          []crm.Task
	TasksRead      bool
}

// ProductsOwed reports a deal whose links are owed: made with products on,
// and not all linked yet.
func (x Extras) ProductsOwed() bool { return x.Products.Kind != "" && x.Products.Hash == "" }

// TaskOwed reports a deal whose task is owed.
func (x Extras) TaskOwed() bool { return x.Task.Kind != "" && x.Task.AmoID == 0 }

// attach gives a deal its products and task: all of them to a deal made
// now or found after an unknown outcome (fresh), and to a deal made before
// those still owed. A deal made before products or tasks were turned on
// has no link rows and gets nothing; products go only while the account
// has a products list (meta).
func attach(meta *transform.Meta, d *Deal, lines []transform.ProductLine, task *crm.Task, x Extras, fresh bool) error {
	if meta != nil && meta.Products != nil && (fresh || x.ProductsOwed()) {
		pr, err := newProducts(lines, x)
		if err != nil {
			return err
		}
		d.Products = pr
	}
	attachTask(d, task, x, fresh)
	return nil
}

// attachTask gives a deal its task, as attach does.
func attachTask(d *Deal, task *crm.Task, x Extras, fresh bool) {
	if task != nil && (fresh || x.TaskOwed()) {
		d.Task = &Task{Want: *task, Have: x.Tasks, Read: x.TasksRead}
	}
}
