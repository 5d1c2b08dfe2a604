// Package shopstatus decides, without I/O, which shop orders follow their
// deals when a manager moves the deals in amoCRM ([shop_status]): the one
// direction the connector writes into the shop.
//
// A Plan is built from the moves the pass read (a deal's newest status
// change in amoCRM's event list, with the deal as it is now), the orders
// linked to those deals as the shop has them, and what the state recorded
// of each order's status (the order_status link: the amoCRM status its deal
// was last known at and the shop status that stood for). Per order it is a
// status write, nothing (counted), a link to record, or a skip with its
// reason. The rules, in order:
//
//   - only orders the connector sent (linked to the deal) follow;
//   - a deal where the connector left it does not move its order: that is
//     the connector's own move (shop -> amoCRM) read back, or one undone;
//   - the new status leads back through shop_status.map (or orders.status_map
//     read backwards) in the deal's pipeline; a status with no way back
//     changes nothing, one with several is refused rather than guessed;
//   - the shop wins a race: an order whose status changed in the shop since
//     the connector last synced it (or, for an order never synced, after the
//     deal's move) keeps it, reported;
//   - the shop's own rules hold (changeOrderStatus(): a final status lets
//     none follow, a fixed one only a status ranked after it, the new one
//     must be active).
//
// Every write records the order_status link with the status it set, so the
// log row it leaves is, for the orders direction, nothing to send; and since
// the link names the deal's status, the next pass sees the deal where the
// connector left it. A many-to-one map therefore cannot make the sides flap.
package shopstatus

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/crm"
	"github.com/modx-amocrm/modx-amocrm/internal/plan"
	"github.com/modx-amocrm/modx-amocrm/internal/shop"
	"github.com/modx-amocrm/modx-amocrm/internal/transform"
)

// Names this direction goes by: the report's source and entry kind, and
// the kind of its pending markers in the state.
const (
	Source     = "shop_status"
	Kind       = "order_status"
	MarkerKind = "shop_status"
)

// Move is a deal a manager moved, as it is now.
type Move struct {
	Lead             int64
	Pipeline, Status int64     // where the deal is now
	At               time.Time // its newest status change
}

// Latest is each deal's newest status change among the events read, page
// by page, in whatever order the list gives them.
type Latest struct {
	events map[int64]crm.Event
	// tied are deals changed twice in their newest second, to different
	// statuses: which came last is unknown.
	tied map[int64]bool
}

// NewLatest returns an empty Latest.
func NewLatest() *Latest { return &Latest{events: map[int64]crm.Event{}, tied: map[int64]bool{}} }

// Add takes a page of events; other types than a deal's status change are
// passed over.
func (l *Latest) Add(events []crm.Event) {
	for _, e := range events {
		if e.Type != crm.EventLeadStatusChanged || e.EntityType != "lead" {
			continue
		}
		cur, seen := l.events[e.EntityID]
		switch {
		case !seen || e.CreatedAt > cur.CreatedAt:
			l.events[e.EntityID] = e
			delete(l.tied, e.EntityID)
		case e.CreatedAt == cur.CreatedAt && statusAfter(e) != statusAfter(cur):
			l.tied[e.EntityID] = true
		}
	}
}

func statusAfter(e crm.Event) int64 {
	s, _ := e.StatusAfter()
	return s.ID
}

// Leads are the deals changed, by id.
func (l *Latest) Leads() []int64 { return slices.Sorted(maps.Keys(l.events)) }

// WhereLeft reports whether the deal's newest change left it at the status
// the connector last knew it at for each of its orders (synced): its own
// move read back, or an event read again. Nothing then needs reading. A
// deal whose newest second is tied is never where it was left: it is read.
func (l *Latest) WhereLeft(lead int64, synced []Synced) bool {
	after, ok := l.events[lead].StatusAfter()
	if !ok || l.tied[lead] {
		return false
	}
	for _, s := range synced {
		if !s.Known || s.Amo != after.ID {
			return false
		}
	}
	return true
}

// Moves pairs the changed deals with the deals as amoCRM has them now: a
// deal changed twice is one move, to where it is; a deal amoCRM no longer
// has is none.
func (l *Latest) Moves(live []crm.Lead) []Move {
	var out []Move
	for _, d := range live {
		if e, ok := l.events[d.ID]; ok {
			out = append(out, Move{Lead: d.ID, Pipeline: d.PipelineID, Status: d.StatusID, At: time.Unix(e.CreatedAt, 0).UTC()})
		}
	}
	return out
}

// Synced is what the state recorded of an order's status: the amoCRM
// status its deal was last known at, and the shop status that stood for.
type Synced struct {
	Known     bool
	Amo, Shop int64
}

// SyncedFrom reads an order_status link (its hash is the shop status).
func SyncedFrom(l plan.Link) Synced {
	shop, err := strconv.ParseInt(l.Hash, 10, 64)
	if l.Kind == "" || err != nil {
		return Synced{}
	}
	return Synced{Known: true, Amo: l.AmoID, Shop: shop}
}

// Order is an order linked to a moved deal.
type Order struct {
	shop.OrderState
	Synced Synced
}

// Title names the order the way reports do.
func (o Order) Title() string {
	if o.Num != "" {
		return "order " + o.Num
	}
	return "order #" + strconv.FormatInt(o.ID, 10)
}

// Mapper gives the shop statuses a deal's status leads back to
// (*transform.Mapper).
type Mapper interface {
	ShopStatus(pipeline, status int64) []int64
}

// Write is an order to move in the shop, and its outcome.
type Write struct {
	Order Order
	Move  Move
	To    int64

	LogID int64 // outcome: the log row written
	Moved bool  // outcome: the shop changed the order meanwhile; nothing written
}

// Settled is an order_status link recorded with no write: the order already
// stands for where its deal is, or the deal's status leads nowhere.
type Settled struct {
	Order     int64
	Amo, Shop int64
}

// Skipped is a move an order does not follow, with the reason.
type Skipped struct {
	Order  Order
	Move   Move
	Reason string
}

// Plan is one batch of moves.
type Plan struct {
	Changes []*Write
	Settled []Settled
	Skipped []*Skipped
	// Unchanged counts the orders a move asks nothing of: reported as a
	// number, not listed.
	Unchanged int
	// Resumed are writes a crash interrupted, finished by this pass.
	Resumed []*Resumed

	meta *transform.Meta
}

// New returns an empty plan that names things by meta.
func New(meta *transform.Meta) *Plan { return &Plan{meta: meta} }

// Build plans the moves for the orders linked to their deals (by deal id).
// meta gives the shop's statuses and, for the report, the account's names.
func Build(m Mapper, meta *transform.Meta, moves []Move, orders map[int64][]Order) *Plan {
	p := New(meta)
	for _, mv := range moves {
		for _, o := range orders[mv.Lead] {
			p.add(m, mv, o)
		}
	}
	return p
}

func (p *Plan) add(m Mapper, mv Move, o Order) {
	if o.Synced.Known && o.Synced.Amo == mv.Status {
		p.Unchanged++ // where the connector left it
		return
	}
	shopWins := p.shopWins(o, mv)
	to := m.ShopStatus(mv.Pipeline, mv.Status)
	switch {
	case len(to) == 0:
		p.Unchanged++
		if shopWins == "" {
			p.settle(o, mv, o.Status) // seen: not looked at again while the deal stays
		}
	case len(to) > 1:
		p.refuse(o, mv, shopWins, fmt.Sprintf("that leads back to shop statuses %s: say which in shop_status.map", p.shopStatusNames(to)))
	case to[0] == o.Status:
		p.Unchanged++
		p.settle(o, mv, o.Status)
	case shopWins != "":
		p.skip(o, mv, shopWins+": the shop wins")
	default:
		if reason := p.refused(o.Status, to[0]); reason != "" {
			p.refuse(o, mv, "", reason)
			return
		}
		p.Changes = append(p.Changes, &Write{Order: o, Move: mv, To: to[0]})
	}
}

// refuse skips a move the order cannot follow and, unless the shop has a
// change of its own to send, remembers the deal's status for the order's,
// so that reading the move again asks nothing more.
func (p *Plan) refuse(o Order, mv Move, shopWins, reason string) {
	p.skip(o, mv, reason)
	if shopWins == "" {
		p.settle(o, mv, o.Status)
	}
}

// shopWins says why the order's shop status must stand, or "". What the
// state recorded is exact; an order never synced has only its log's time.
func (p *Plan) shopWins(o Order, mv Move) string {
	switch {
	case o.Synced.Known && o.Status != o.Synced.Shop:
		return fmt.Sprintf("its status changed in the shop (to %s) since the connector last synced it", p.shopStatus(o.Status))
	case !o.Synced.Known && o.Changed.After(mv.At):
		return fmt.Sprintf("its status changed in the shop at %s, after the deal's move at %s", stamp(o.Changed), stamp(mv.At))
	}
	return ""
}

// refused applies changeOrderStatus()'s rules to a move from -> to.
func (p *Plan) refused(from, to int64) string {
	target := p.find(to)
	if target == nil || !target.Active {
		return fmt.Sprintf("shop status %d is not an active status of the shop", to)
	}
	cur := p.find(from)
	switch {
	case cur == nil || !cur.Active:
		return "" // the shop checks the rules of active statuses only
	case cur.Final:
		return fmt.Sprintf("%s is final in the shop: no status may follow it", p.shopStatus(from))
	case cur.Fixed && target.Rank <= cur.Rank:
		return fmt.Sprintf("%s is fixed in the shop: only a status ranked after it may follow, not %s", p.shopStatus(from), p.shopStatus(to))
	}
	return ""
}

func (p *Plan) find(id int64) *shop.OrderStatus {
	for i := range p.meta.MS2Statuses {
		if p.meta.MS2Statuses[i].ID == id {
			return &p.meta.MS2Statuses[i]
		}
	}
	return nil
}

func (p *Plan) settle(o Order, mv Move, shop int64) {
	p.Settled = append(p.Settled, Settled{Order: o.ID, Amo: mv.Status, Shop: shop})
}

func (p *Plan) skip(o Order, mv Move, reason string) {
	p.Skipped = append(p.Skipped, &Skipped{Order: o, Move: mv, Reason: reason})
}

// Marker is what a write made at is about to do, kept in the state as a
// pending marker before it starts: after a crash it is finished or
// dropped, never done twice.
func (w *Write) Marker(at time.Time) Marker {
	return Marker{Order: w.Order.ID, From: w.Order.Status, To: w.To, Amo: w.Move.Status, AfterLog: w.Order.LastLogID, At: at.Unix()}
}

// Simulate does nothing: a dry run writes nothing to the shop, and its
// plan's entries say what would be written.
func (p *Plan) Simulate(func() int64) {}

// Report is the plan's entries and the orders it leaves as they are,
// counted and not listed.
func (p *Plan) Report(plan.Writes) ([]plan.Entry, map[string]map[plan.Action]int) {
	if p.Unchanged == 0 {
		return p.Entries(), nil
	}
	return p.Entries(), map[string]map[plan.Action]int{Kind: {plan.Unchanged: p.Unchanged}}
}

// Writes is what the batch leaves in the state: the order_status links of
// the orders moved, resumed or settled, and the markers of writes that are
// over (written, or found moved in the shop meanwhile).
func (p *Plan) Writes() plan.Writes {
	var w plan.Writes
	link := func(order, amo, shop int64) {
		w.Links = append(w.Links, plan.Link{Kind: plan.LinkOrderStatus, SourceID: order, AmoID: amo, Hash: strconv.FormatInt(shop, 10)})
	}
	clear := func(order int64) {
		if w.Cleared == nil {
			w.Cleared = map[string][]int64{}
		}
		w.Cleared[MarkerKind] = append(w.Cleared[MarkerKind], order)
	}
	for _, x := range p.Changes {
		if x.LogID != 0 {
			link(x.Order.ID, x.Move.Status, x.To)
		}
		if x.LogID != 0 || x.Moved {
			clear(x.Order.ID)
		}
	}
	for _, s := range p.Settled {
		link(s.Order, s.Amo, s.Shop)
	}
	for _, r := range p.Resumed {
		if r.Step != Drop {
			link(r.Marker.Order, r.Marker.Amo, r.Marker.To)
		}
		clear(r.Marker.Order)
	}
	return w
}

// Entries renders the plan with its outcomes: the orders moved (order, old
// -> new status, because of which deal move), the writes finished after a
// crash, and the skipped moves with their reasons.
func (p *Plan) Entries() []plan.Entry {
	var out []plan.Entry
	for _, r := range p.Resumed {
		if r.Step == LogThenLink {
			out = append(out, plan.Entry{Source: Source, Kind: Kind, SourceID: r.Marker.Order, Key: key(r.Marker.Order),
				Action: plan.Update, Title: r.Order.Title(),
				Reason:  "finishes a status change a crash interrupted: its log row",
				Changes: []plan.Change{{Field: "status", Old: p.shopStatusName(r.Marker.From), New: p.shopStatusName(r.Marker.To)}}})
		}
	}
	for _, w := range p.Changes {
		if w.Moved {
			out = append(out, p.entry(w.Order, w.Move, plan.Skip, "its status changed in the shop meanwhile: the shop wins"))
			continue
		}
		e := p.entry(w.Order, w.Move, plan.Update, "")
		e.Changes = []plan.Change{{Field: "status", Old: p.shopStatusName(w.Order.Status), New: p.shopStatusName(w.To)}}
		out = append(out, e)
	}
	for _, s := range p.Skipped {
		out = append(out, p.entry(s.Order, s.Move, plan.Skip, s.Reason))
	}
	return out
}

// entry is an order's entry; its reason starts with the deal's move.
func (p *Plan) entry(o Order, mv Move, a plan.Action, why string) plan.Entry {
	reason := fmt.Sprintf("deal moved to %s at %s", p.dealStatus(mv), stamp(mv.At))
	if why != "" {
		reason += ": " + why
	}
	return plan.Entry{Source: Source, Kind: Kind, SourceID: o.ID, Key: key(o.ID), Action: a, AmoID: mv.Lead,
		Title: o.Title(), Reason: reason}
}

func key(order int64) string { return "order:" + strconv.FormatInt(order, 10) }

// dealStatus names where a deal is: «Оплачен» in «Воронка».
func (p *Plan) dealStatus(mv Move) string {
	return fmt.Sprintf("«%s» in «%s»", plan.StatusName(p.meta.Pipelines, mv.Pipeline, mv.Status), plan.PipelineName(p.meta.Pipelines, mv.Pipeline))
}

// shopStatusName is a shop status's name, else its id.
func (p *Plan) shopStatusName(id int64) string {
	if s := p.find(id); s != nil && s.Name != "" {
		return s.Name
	}
	return strconv.FormatInt(id, 10)
}

// shopStatus names a shop status in a sentence: «Оплачен».
func (p *Plan) shopStatus(id int64) string { return "«" + p.shopStatusName(id) + "»" }

func (p *Plan) shopStatusNames(ids []int64) string {
	names := make([]string, len(ids))
	for i, id := range ids {
		names[i] = p.shopStatus(id)
	}
	return strings.Join(names, " and ")
}

// stamp is a time as reports show it.
func stamp(t time.Time) string { return t.UTC().Format(time.DateTime) + " UTC" }
