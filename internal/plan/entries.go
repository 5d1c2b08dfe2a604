package plan

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/modx-amocrm/modx-amocrm/internal/crm"
	"github.com/modx-amocrm/modx-amocrm/internal/transform"
)

// Entries renders the plan, with whatever outcomes it holds, as report
// entries: fields, contacts, deals, incoming leads, then parked and skipped
// records. Names come from meta, never bare ids; made-up ids of a dry run
// show as 0 ("none yet"). w is p.Writes(), which the caller commits too:
// its parked records fail their entries.
func (p *Plan) Entries(w Writes) []Entry {
	n := names{p.Meta}
	var out []Entry
	parked, waits := map[int64]string{}, map[int64]string{}
	for _, pk := range w.Parked {
		if pk.Entity != "products" && pk.Entity != "task" && pk.Entity != "note" { // a deal's products, task or note fail their own entries
			parked[pk.Record.ID] = pk.Reason
		}
	}
	for _, wt := range w.Waits {
		waits[wt.Record.ID] = wt.Reason
	}
	if p.Pipeline != nil {
		if e, ok := p.Pipeline.entry(p.Source); ok {
			out = append(out, e)
		}
	}
	for _, f := range p.Fields {
		out = append(out, Entry{Source: f.Source, Kind: "field", Key: "field:" + f.Entity + ":" + f.Spec.Name,
			Action: Create, AmoID: shown(f.ID), Title: f.Spec.Name,
			Changes: []Change{{Field: "type", New: f.Spec.Type}, {Field: "entity", New: f.Entity + "s"}}})
	}
	for _, e := range p.Elements {
		if e.listed() {
			out = append(out, n.elementEntry(p.Source, e))
		}
	}
	for _, c := range p.Contacts {
		e := Entry{Source: c.Source, Kind: "contact", Key: c.Key, Action: c.Action, AmoID: shown(c.ID), Title: c.Title,
			Reason: withRepairs(c.Reason, c.Action, c.Repairs)}
		switch c.Action {
		case Create:
			e.Changes = n.contactChanges(nil, c.Payload)
		case Update:
			e.Changes = n.contactChanges(c.Live, c.Payload)
		}
		switch {
		case c.Refused != "" && (c.Separate || c.Action != Create):
			e.Action, e.Reason = Fail, oneLine(c.Refused)
		case c.waits():
			e.Action, e.Reason = Skip, contactUnknown
		}
		out = append(out, e)
	}
	for _, d := range p.dealsWithExtras() {
		out = append(out, n.deal(d, parked, waits))
		if d.Products != nil {
			if e, ok := d.Products.entry(p, d); ok {
				out = append(out, e)
			}
		}
		if d.Task != nil {
			if e, ok := n.taskEntry(d, d.Task); ok {
				out = append(out, e)
			}
		}
		if d.Revision != nil {
			out = append(out, n.revisionEntries(p, d)...)
		}
	}
	for _, in := range p.Incoming {
		e := Entry{Source: SourceForms, Kind: "lead", SourceID: in.Record.ID, Key: in.Record.Key(), Title: in.Record.Title,
			AmoID: shown(in.ID), Action: Create, Reason: "incoming lead (unsorted)"}
		switch {
		case parked[in.Record.ID] != "":
			e.Action, e.Reason = Fail, oneLine(parked[in.Record.ID])
		case in.AlreadySent:
			e.Action, e.Reason = Unchanged, "already in amoCRM's incoming leads"
		case in.ID == 0 && in.Unknown:
			e.Action, e.Reason = Skip, outcomeUnknown
		}
		out = append(out, e)
	}
	for _, pk := range p.Parked {
		out = append(out, Entry{Source: pk.Source, Kind: pk.Entity, SourceID: pk.Record.ID, Key: pk.Record.Key(),
			Action: Fail, Title: pk.Record.Title, Reason: oneLine(pk.Reason)})
	}
	for _, s := range p.Skipped {
		out = append(out, Entry{Source: s.Source, Kind: s.Entity, SourceID: s.Record.ID, Key: s.Record.Key(),
			Action: Skip, Title: s.Record.Title, Reason: oneLine(s.Reason)})
	}
	return append(out, p.Info...)
}

// outcomeUnknown is the reason shown for a create that had no answer and
// was not found.
const outcomeUnknown = "outcome unknown: looked up again next pass, never created twice"

func (n names) deal(d *Deal, parked, waits map[int64]string) Entry {
	e := Entry{Source: d.Source, Kind: d.Kind, SourceID: d.Record.ID, Key: d.Record.Key(), Action: d.Action,
		AmoID: shown(d.ID), Title: dealTitle(d), Reason: withRepairs(d.Reason, d.Action, d.Repairs)}
	switch {
	case parked[d.Record.ID] != "" && d.Mode != Keep:
		e.Action, e.Reason = Fail, oneLine(parked[d.Record.ID])
	case d.Creates() && d.ID == 0 && d.Unknown:
		e.Action, e.Reason = Skip, outcomeUnknown
	case waits[d.Record.ID] != "" && d.Mode != Keep && !d.written():
		e.Action, e.Reason = Skip, waits[d.Record.ID]
	}
	switch d.Mode {
	case CreateComplex, CreatePlain, Resend:
		e.Changes = n.leadChanges(nil, d.Lead)
	case Move:
		e.AmoID, e.Title = d.From.ID, d.From.Name
		e.Changes = []Change{{Field: "status", Old: n.status(d.From.PipelineID, d.From.StatusID), New: n.status(d.From.PipelineID, d.To)}}
	case Edit:
		e.Title, e.Changes = d.From.Name, n.editChanges(d.Revision.Change)
	}
	return e
}

// dealTitle is a deal's name, else its record's title.
func dealTitle(d *Deal) string {
	if d.Lead.Name != "" {
		return d.Lead.Name
	}
	return d.Record.Title
}

// withRepairs adds the documented repairs of what is written to a reason,
// so they are never silent.
func withRepairs(reason string, a Action, repairs []string) string {
	if len(repairs) == 0 || a != Create && a != Update {
		return reason
	}
	r := "repaired: " + strings.Join(repairs, "; ")
	if reason == "" {
		return r
	}
	return reason + "; " + r
}

// shown is an id as a report shows it: made-up ids are "none yet".
func shown(id int64) int64 { return max(id, 0) }

// oneLine flattens a reason for a report or log line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// names turns account ids into the names people know them by.
type names struct{ meta *transform.Meta }

// leadChanges lists a deal's fields: every field of a create (old nil).
func (n names) leadChanges(old *crm.Lead, l crm.Lead) []Change {
	var o crm.Lead
	if old != nil {
		o = *old
	}
	var out []Change
	add := func(field, before, after string) {
		if before != after {
			out = append(out, Change{Field: field, Old: before, New: after})
		}
	}
	add("name", o.Name, l.Name)
	add("price", price(o.Price), price(l.Price))
	add("pipeline", n.pipeline(o.PipelineID), n.pipeline(l.PipelineID))
	add("status", n.status(o.PipelineID, o.StatusID), n.status(l.PipelineID, l.StatusID))
	add("responsible", n.user(o.ResponsibleUserID), n.user(l.ResponsibleUserID))
	oldFields := fieldTexts(o.CustomFieldsValues, n.meta.LeadFields)
	for _, f := range l.CustomFieldsValues {
		name := fieldName(f, n.meta.LeadFields)
		add(name, oldFields[name], valuesText(f.Values))
	}
	if l.Embedded != nil {
		for _, t := range l.Embedded.Tags {
			add("tag", "", t.Name)
		}
	}
	return out
}

// contactChanges lists what an update changes on a live contact, or every
// field of a new one (live nil).
func (n names) contactChanges(live *crm.Contact, c crm.Contact) []Change {
	var out []Change
	var have map[string]string
	oldName := ""
	if live != nil {
		have = fieldTexts(live.CustomFieldsValues, n.meta.ContactFields)
		oldName = live.Name
	}
	if c.Name != "" && c.Name != oldName {
		out = append(out, Change{Field: "name", Old: oldName, New: c.Name})
	}
	for _, f := range c.CustomFieldsValues {
		name := fieldName(f, n.meta.ContactFields)
		if v := valuesText(f.Values); v != have[name] {
			out = append(out, Change{Field: name, Old: have[name], New: v})
		}
	}
	return out
}

func price(p *int64) string {
	if p == nil {
		return ""
	}
	return strconv.FormatInt(*p, 10)
}

func fieldTexts(fs []crm.CustomFieldValues, defs []crm.CustomField) map[string]string {
	out := map[string]string{}
	for _, f := range fs {
		out[fieldName(f, defs)] = valuesText(f.Values)
	}
	return out
}

// fieldName names a field value the way a person recognises it: the
// account's name for it first.
func fieldName(f crm.CustomFieldValues, defs []crm.CustomField) string {
	for _, d := range defs {
		if f.FieldID != 0 && d.ID == f.FieldID || f.FieldID == 0 && f.FieldCode != "" && d.Code == f.FieldCode {
			return d.Name
		}
	}
	switch {
	case f.FieldName != "":
		return f.FieldName
	case f.FieldCode != "":
		return f.FieldCode
	}
	return fmt.Sprintf("field %d", f.FieldID)
}

func valuesText(vs []crm.FieldValue) string {
	parts := make([]string, 0, len(vs))
	for _, v := range vs {
		switch {
		case v.Value != nil:
			parts = append(parts, fmt.Sprint(v.Value))
		case v.EnumCode != "":
			parts = append(parts, v.EnumCode)
		default:
			parts = append(parts, "")
		}
	}
	return strings.Join(parts, ", ")
}

func (n names) pipeline(id int64) string { return PipelineName(n.meta.Pipelines, id) }

func (n names) status(pipelineID, id int64) string {
	return StatusName(n.meta.Pipelines, pipelineID, id)
}

// PipelineName is a pipeline's name, else its id; "" for none (0).
func PipelineName(ps []crm.Pipeline, id int64) string {
	if id == 0 {
		return ""
	}
	if pl := FindPipeline(ps, id); pl != nil {
		return pl.Name
	}
	return strconv.FormatInt(id, 10)
}

// StatusName is a status's name in its pipeline, else its id; "" for none.
func StatusName(ps []crm.Pipeline, pipelineID, id int64) string {
	if id == 0 {
		return ""
	}
	if pl := FindPipeline(ps, pipelineID); pl != nil {
		for _, st := range pl.Statuses() {
			if st.ID == id {
				return st.Name
			}
		}
	}
	return strconv.FormatInt(id, 10)
}

func (n names) user(id int64) string {
	if id == 0 {
		return ""
	}
	for _, u := range n.meta.Users {
		if u.ID == id {
			return u.Name
		}
	}
	return strconv.FormatInt(id, 10)
}

// FindPipeline returns the pipeline with id, or nil.
func FindPipeline(ps []crm.Pipeline, id int64) *crm.Pipeline {
	for i := range ps {
		if ps[i].ID == id {
			return &ps[i]
		}
	}
	return nil
}
