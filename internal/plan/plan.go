// Package plan decides, without any I/O, what one batch of MODX records
// does: the fields to create first, contacts to create or update field by
// field, deals to create (complex or plain), re-send or move, incoming
// leads, and the records to park or skip, each with its reason.
//
// A Plan is built from the batch's mapped records and what was read for
// them (links, contact-index hits, live amoCRM entities, account metadata).
// A dry run renders it (Entries); a real run applies it, the outcomes are
// written onto the same values, and Writes says what to commit. Both runs
// render the same plan through the same code, so the dry run predicts the
// real run entry by entry.
package plan

import (
	"slices"
	"strconv"

	"github.com/modx-amocrm/modx-amocrm/internal/crm"
	"github.com/modx-amocrm/modx-amocrm/internal/transform"
)

// Sources, as reports and metrics name them.
const (
	SourceOrders    = "orders"
	SourceOrderLogs = "order_logs"
	SourceForms     = "forms"
	SourceUsers     = "users"
	// SourceShopStatus is the way back: deals moved in amoCRM move their
	// orders in the shop.
	SourceShopStatus = "shop_status"
)

// Record kinds: failures, pending markers, `failed` and `retry` use them.
const (
	KindOrder = "order"
	KindForm  = "form"
	KindUser  = "user"
)

// Link kinds in the state.
const (
	LinkOrder       = "order"        // order id -> lead id, hash of the deal payload
	LinkOrderStatus = "order_status" // order id -> amoCRM status id last set; hash = the miniShop2 status
	LinkForm        = "form"         // form id -> lead id (0 when the form made no deal)
	LinkUser        = "user"         // MODX user id -> contact id, hash of the contact payload
	LinkContact     = "contact"      // contact id -> itself, hash of the payload last merged into it
)

// The lead field holding the FormIt row id of a form's deal: deals are
// looked up by it after a create whose outcome is unknown.
const (
	FormFieldCode = "MODX_FORM"
	FormFieldName = "Заявка MODX"
)

// Record is one MODX row of a batch.
type Record struct {
	Kind  string // KindOrder, KindForm, KindUser
	ID    int64
	Title string // "order 2510/7", a form's name, a username
}

// Key is "kind:id", the form `failed` and `retry` take.
func (r Record) Key() string { return r.Kind + ":" + strconv.FormatInt(r.ID, 10) }

// Link is what a record became in amoCRM, as the state holds it.
type Link struct {
	Kind     string
	SourceID int64
	AmoID    int64
	Hash     string
}

// Field is a custom field to create before anything that carries its value.
// ID is a made-up negative id until the field exists; payloads of the plan
// carry it until then (ResolveFieldIDs).
type Field struct {
	Source string
	Entity string // "lead" or "contact"
	Spec   transform.FieldSpec
	ID     int64
}

// Contact is what happens to one customer's contact.
type Contact struct {
	Source string
	Key    string // report key: "contact:" + the first match key
	Keys   []string
	Title  string
	Action Action // Create, Update or Unchanged
	Reason string
	// ID is the matched contact, or the created one once applied.
	ID int64
	// Payload is a new contact's whole payload, or an update's patch.
	Payload crm.Contact
	Live    *crm.Contact // an update's contact as amoCRM has it
	Hash    string       // of the customer's merged payload, recorded once sent
	Repairs []string     // documented repairs of the payload, reported with the entry
	// Records are the records whose contact this is: they are parked
	// together when amoCRM refuses it.
	Records []Record
	// Separate: created on its own before the deals that use it (a form's
	// or a user's contact), with a pending marker under Records[0]. An
	// order's new contact is made with its first deal in leads/complex.
	Separate bool

	Refused string // outcome: amoCRM's reason for refusing it
	Unknown bool   // outcome: the create had no answer and the lookup found nothing
	// Merged is an outcome: amoCRM's duplicate control merged the new
	// contact into one it had, which kept its own values, so the payload is
	// not recorded as sent.
	Merged bool
}

// DealMode is how a deal is written.
type DealMode string

const (
	CreateComplex DealMode = "complex" // leads/complex, with its new contact
	CreatePlain   DealMode = "plain"   // leads, with the contact's id
	Resend        DealMode = "resend"  // the whole deal PATCHed again
	Move          DealMode = "move"    // its status PATCHed
	Keep          DealMode = "keep"    // nothing to write
)

// Deal is what happens to one record's deal.
type Deal struct {
	Source string
	Record Record
	Kind   string // report kind: "lead" or "status_move"
	Mode   DealMode
	Action Action
	Reason string
	// Lead is the payload of a create or re-send.
	Lead    crm.Lead
	Contact *Contact // a create's contact
	// KeyField holds LookupKey on the deal: it is found by it, exactly,
	// after a create with an unknown outcome.
	KeyField  string
	LookupKey string
	Hash      string // of the payload, for the link
	LinkKind  string // LinkOrder or LinkForm; "" links nothing
	// From and To are a move: the deal as it is, and the status it goes to.
	From *crm.Lead
	To   int64
	// MS2Status is the order's miniShop2 status, recorded with the amoCRM
	// status set (orders only; -1 for forms).
	MS2Status int64
	SetStatus int64  // the amoCRM status the deal is left in
	Note      string // forms: every submitted value, a note on the new deal
	// Repairs are the documented repairs the transform made to the record
	// (goods cut, invalid UTF-8 replaced, ...): reported with the entry.
	Repairs []string
	// ID is the existing deal, or the created one once applied.
	ID int64

	// Products and Task are made with a new deal once it exists
	// (orders.products, orders.task, forms.task), or were owed by one made
	// before; nil: none.
	Products *Products
	Task     *Task
	// Snapshot is recorded once the deal holds the payload of the read it
	// was mapped from (a create, a deal found after an unknown outcome, a
	// re-send, an edit): the comparison holds its order against it.
	Snapshot *Snapshot
	// Revision is what the deal of an order edited or deleted in the shop
	// gets (Edit mode, and the deleted orders' deals).
	Revision *Revision

	Refused string // outcome: amoCRM's reason for refusing it
	Unknown bool   // outcome: no answer; the pending marker stays
	// Deferred is an outcome: not sent, for a reason outside the record
	// (its new contact has no id yet); the record waits for the next pass.
	Deferred string
}

// Creates reports whether the deal is a create.
func (d *Deal) Creates() bool { return d.Mode == CreateComplex || d.Mode == CreatePlain }

// written reports whether the deal exists in amoCRM after the writes so
// far: created (or, in a dry run, given a made-up id), found, or made
// before and not refused.
func (d *Deal) written() bool { return d.ID != 0 && d.Refused == "" && d.Deferred == "" }

// Incoming is an incoming (unsorted) lead made from a form.
type Incoming struct {
	Record Record
	Form   crm.UnsortedForm
	// Key is the form's key, which the lead carries in the form key field:
	// it is found by it after a create with an unknown outcome.
	Key string
	ID  int64 // the lead amoCRM made, once applied

	AlreadySent bool   // outcome: amoCRM already had it (an earlier try's answer was lost)
	Refused     string // outcome
	Unknown     bool   // outcome
}

// UserContact links a MODX user to its customer's contact.
type UserContact struct {
	Record  Record
	Contact *Contact
	Hash    string
}

// Parked is a record given up for now with its reason.
type Parked struct {
	Source string
	Record Record
	Entity string // report kind: "lead" or "contact"
	Reason string
}

// Skipped is a record with nothing to do, with the reason; its parked
// failure, if any, is settled.
type Skipped struct {
	Source string
	Record Record
	Entity string
	Reason string
}

// Plan is one batch: what to create first, what to write, and what to park
// or skip. The apply step writes outcomes onto its values.
type Plan struct {
	// Meta is the account and shop metadata the plan was made with: its
	// entries name pipelines, statuses, users and fields by it.
	Meta     *transform.Meta
	Source   string
	Kind     string    // the batch's record kind
	Pipeline *Pipeline // the site pipeline step, in the plan that starts a pass
	Fields   []*Field
	// Elements are the products list's elements the deals link, one per
	// product: created, updated, or known.
	Elements Elements
	Contacts []*Contact
	Deals    []*Deal
	Incoming []*Incoming
	Users    []*UserContact
	Parked   []*Parked
	Skipped  []*Skipped
	// Counted are entities counted but not listed, by kind and action:
	// the many unchanged users of a full comparison.
	Counted map[string]map[Action]int
	// Settled are pending markers planning showed to be stale: the entity
	// was looked up and is not in amoCRM, so it is created now.
	Settled []int64
	// Adopted are deals found in amoCRM after an unknown outcome: linked,
	// not created again.
	Adopted []*Deal
	// Info are entries that only inform: where a stream starts, and what
	// it leaves behind.
	Info []Entry
	// Baselines are orders recorded as they are, with no request: sent
	// before the connector followed edits, or edited in nothing the deal
	// shows.
	Baselines []OrderSent
}

// New returns an empty plan for a batch of source's records of kind, made
// with meta.
func New(source, kind string, meta *transform.Meta) *Plan {
	return &Plan{Meta: meta, Source: source, Kind: kind}
}

// Report is the plan's entries, with its outcomes and w, its Writes, and
// the entities it counts without listing.
func (p *Plan) Report(w Writes) ([]Entry, map[string]map[Action]int) {
	return p.Entries(w), p.Counted
}

// Park gives a record up with its reason.
func (p *Plan) Park(source string, r Record, entity, reason string) {
	p.Parked = append(p.Parked, &Parked{Source: source, Record: r, Entity: entity, Reason: reason})
}

// Skip records that a record has nothing to do.
func (p *Plan) Skip(source string, r Record, entity, reason string) {
	p.Skipped = append(p.Skipped, &Skipped{Source: source, Record: r, Entity: entity, Reason: reason})
}

// Count counts an entity without listing it.
func (p *Plan) Count(kind string, a Action) {
	if p.Counted == nil {
		p.Counted = map[string]map[Action]int{}
	}
	if p.Counted[kind] == nil {
		p.Counted[kind] = map[Action]int{}
	}
	p.Counted[kind][a]++
}

// dealsWithExtras are the deals that may have products or a task: the
// plan's deals and those found after an unknown outcome.
func (p *Plan) dealsWithExtras() []*Deal { return slices.Concat(p.Deals, p.Adopted) }

// Field returns the planned field of entity with name, or nil.
func (p *Plan) Field(entity, name string) *Field {
	for _, f := range p.Fields {
		if f.Entity == entity && f.Spec.Name == name {
			return f
		}
	}
	return nil
}
