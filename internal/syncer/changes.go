package syncer

import (
	"fmt"
	"strconv"

	"github.com/modx-amocrm/modx-amocrm/internal/amocrm"
	"github.com/modx-amocrm/modx-amocrm/internal/report"
)

// leadChanges lists a deal's fields as a report shows them: names instead
// of ids where the account has them. old nil: every field of a create.
func leadChanges(p *pass, old *amocrm.Lead, l amocrm.Lead) []report.Change {
	var o amocrm.Lead
	if old != nil {
		o = *old
	}
	var out []report.Change
	add := func(field, before, after string) {
		if before != after {
			out = append(out, report.Change{Field: field, Old: before, New: after})
		}
	}
	add("name", o.Name, l.Name)
	add("price", price(o.Price), price(l.Price))
	add("pipeline", p.pipelineName(o.PipelineID), p.pipelineName(l.PipelineID))
	add("status", p.statusName(o.PipelineID, o.StatusID), p.statusName(l.PipelineID, l.StatusID))
	add("responsible", p.userName(o.ResponsibleUserID), p.userName(l.ResponsibleUserID))
	oldFields := fieldTexts(o.CustomFieldsValues, p.meta.LeadFields)
	for _, f := range l.CustomFieldsValues {
		name := fieldName(f, p.meta.LeadFields)
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
func contactChanges(live *amocrm.Contact, c amocrm.Contact) []report.Change {
	var out []report.Change
	var have map[string]string
	oldName := ""
	if live != nil {
		have = fieldTexts(live.CustomFieldsValues, nil)
		oldName = live.Name
	}
	if c.Name != "" && c.Name != oldName {
		out = append(out, report.Change{Field: "name", Old: oldName, New: c.Name})
	}
	for _, f := range c.CustomFieldsValues {
		name := fieldName(f, nil)
		if v := valuesText(f.Values); v != have[name] {
			out = append(out, report.Change{Field: name, Old: have[name], New: v})
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

func fieldTexts(fs []amocrm.CustomFieldValues, defs []amocrm.CustomField) map[string]string {
	out := map[string]string{}
	for _, f := range fs {
		out[fieldName(f, defs)] = valuesText(f.Values)
	}
	return out
}

// fieldName names a field value the way a person recognises it.
func fieldName(f amocrm.CustomFieldValues, defs []amocrm.CustomField) string {
	switch {
	case f.FieldName != "":
		return f.FieldName
	case f.FieldCode != "":
		return f.FieldCode
	}
	for _, d := range defs {
		if d.ID == f.FieldID {
			return d.Name
		}
	}
	return fmt.Sprintf("field %d", f.FieldID)
}

func valuesText(vs []amocrm.FieldValue) string {
	s := ""
	for i, v := range vs {
		if i > 0 {
			s += ", "
		}
		if v.Value != nil {
			s += fmt.Sprint(v.Value)
		} else if v.EnumCode != "" {
			s += v.EnumCode
		}
	}
	return s
}

func (p *pass) pipelineName(id int64) string {
	if id == 0 {
		return ""
	}
	if pl := findPipeline(p.meta.Pipelines, id); pl != nil {
		return pl.Name
	}
	return strconv.FormatInt(id, 10)
}

func (p *pass) statusName(pipelineID, id int64) string {
	if id == 0 {
		return ""
	}
	if pl := findPipeline(p.meta.Pipelines, pipelineID); pl != nil {
		for _, st := range pl.Statuses() {
			if st.ID == id {
				return st.Name
			}
		}
	}
	return strconv.FormatInt(id, 10)
}

func (p *pass) userName(id int64) string {
	if id == 0 {
		return ""
	}
	for _, u := range p.meta.Users {
		if u.ID == id {
			return u.Name
		}
	}
	return strconv.FormatInt(id, 10)
}
