package transform

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/config"
	"github.com/modx-amocrm/modx-amocrm/internal/crm"
	"github.com/modx-amocrm/modx-amocrm/internal/shop"
)

// FormResult is what a saved form should become: always a contact, and a
// deal (Lead, or Unsorted with forms.unsorted) when forms are deals and
// every required field is filled. With Unsorted, amoCRM makes the contact
// itself from Unsorted's embedded one; Contact is then for matching only.
type FormResult struct {
	FormID   int64
	Contact  *ContactDraft
	Lead     *crm.Lead         // nil: no deal
	Unsorted *crm.UnsortedForm // instead of Lead with forms.unsorted
	LeadNote string            // every submitted value, for a note on the deal
	NoDeal   string            // why no deal was made although forms are deals
	// Task is made with the deal (forms.task), EntityID left for the deal's
	// id; CompleteTill is 0 when the form has no date (see FormTaskDue).
	Task  *crm.Task
	Notes []string // what was left out: tracking fields the account lacks
}

// formAliases is the default mapping of usual form field names (and the
// labels FormIt's fieldNames may turn them into) to contact parts.
var formAliases = map[string]string{
	"name": "name", "fio": "name", "client_name": "name", "ф.и.о": "name", "ф.и.о.": "name", "имя": "name", "фио": "name",
	"phone": "phone", "tel": "phone", "client_phone": "phone", "телефон": "phone",
	"email": "email", "e-mail": "email", "адрес эл. почты": "email", "почта": "email",
	"message": "message", "comment": "message", "сообщение": "message", "комментарий": "message",
}

// formPlan is [forms] with its pipelines and statuses resolved.
type formPlan struct {
	def    formTarget
	byName map[string]formTarget
}

type formTarget struct {
	pipeline, status int64
	fieldMap         map[string]string // form field (folded) -> target
	tags             []string          // forms.tags, then the form's
}

func (m *Mapper) resolveForms() error {
	f := m.cfg.Forms
	def, err := m.formTarget(f.PipelineID, f.StatusID, nil, "forms", nil)
	if err != nil {
		return err
	}
	def.tags = f.Tags
	m.forms = formPlan{def: def, byName: make(map[string]formTarget, len(f.Form))}
	for name, s := range f.Form {
		t, err := m.formTarget(s.PipelineID, s.StatusID, s.Map, fmt.Sprintf("forms.form.%q", name), &def)
		if err != nil {
			return err
		}
		t.tags = slices.Concat(f.Tags, s.Tags)
		m.forms.byName[name] = t
	}
	return nil
}

// formTarget resolves a pipeline (default: inherit's, else the account's
// main one) and a status in it (default: inherit's when the pipeline is the
// same, else its first open status).
func (m *Mapper) formTarget(pref, sref config.IDRef, fieldMap map[string]string, key string, inherit *formTarget) (formTarget, error) {
	p := m.acc.main
	if inherit != nil {
		p = m.acc.byID[inherit.pipeline]
	}
	if !pref.IsZero() {
		var err error
		if p, err = m.acc.pipeline(pref); err != nil {
			return formTarget{}, fmt.Errorf("%s.pipeline_id: %w", key, err)
		}
	}
	t := formTarget{pipeline: p.id, fieldMap: make(map[string]string, len(fieldMap))}
	for k, v := range fieldMap {
		t.fieldMap[foldKey(k)] = foldKey(v)
	}
	var err error
	if t.status, err = p.status(sref); err != nil {
		return formTarget{}, fmt.Errorf("%s.status_id: %w", key, err)
	}
	if t.status == 0 && inherit != nil && inherit.pipeline == p.id {
		t.status = inherit.status
	}
	if t.status == 0 {
		t.status = p.firstOpen()
	}
	return t, nil
}

// FormValues decodes formit_forms.values: a JSON object whose arrays
// (checkbox groups) are joined with ", ". Anything but an object is empty.
func FormValues(raw string) (map[string]string, error) {
	obj, _, err := object([]byte(raw))
	if err != nil {
		return nil, &RecordError{Field: "values", Err: err}
	}
	out := make(map[string]string, len(obj))
	for _, p := range pairs(obj) {
		out[p.key] = p.value
	}
	return out, nil
}

// Form maps a saved form and its decoded values. A form with neither a
// phone nor a usable e-mail makes nothing: *RecordError wrapping
// ErrNoContact.
func (m *Mapper) Form(f *shop.Form, values map[string]string) (*FormResult, error) {
	t, ok := m.forms.byName[f.Name]
	if !ok {
		t = m.forms.def
	}
	keys := slices.Sorted(maps.Keys(values))

	// Mapped parts: the first non-empty field for each target wins.
	parts := make(map[string]string)
	var note strings.Builder
	fmt.Fprintf(&note, "Форма «%s»", f.Name)
	for _, k := range keys {
		v := strings.ToValidUTF8(strings.TrimSpace(values[k]), "\uFFFD")
		fmt.Fprintf(&note, "\n%s: %s", k, v)
		target, ok := t.fieldMap[foldKey(k)]
		if !ok {
			target = formAliases[foldKey(k)]
		}
		if target != "" && parts[target] == "" {
			parts[target] = v
		}
	}
	p := &person{}
	var over []kv
	for _, k := range slices.Sorted(maps.Keys(parts)) {
		if k != "message" {
			over = append(over, kv{k, parts[k]})
		}
	}
	p.override(over)
	c, err := m.draft(p, 0, m.defResponsible)
	if err != nil {
		return nil, err
	}
	res := &FormResult{FormID: f.ID, Contact: c, LeadNote: cut(note.String(), TextareaLimit)}
	if !m.cfg.Forms.AsLead && !m.cfg.Forms.Unsorted {
		return res, nil
	}
	for _, rf := range m.cfg.Forms.RequiredFields {
		if lookup(values, rf) == "" && parts[foldKey(rf)] == "" {
			res.NoDeal = fmt.Sprintf("required field %q is empty", rf)
			return res, nil
		}
	}
	lead := crm.Lead{Name: cut("Заявка: "+f.Name, TextLimit), ResponsibleUserID: m.defResponsible}
	var sent int64
	var made time.Time
	if f.Date.Unix() > 0 {
		sent, made = f.Date.Unix(), f.Date
		lead.CreatedAt = sent
	}
	fv := fieldValues{skipEmpty: true, notes: &res.Notes}
	m.setTracking(&fv, values)
	lead.CustomFieldsValues = fv.out
	addTags(&lead, t.tags)
	if m.formTask != nil {
		res.Task = m.task(m.formTask, lead.ResponsibleUserID, made, formPlaceholder(f, parts, m.meta.SiteName))
	}
	if !m.cfg.Forms.Unsorted {
		lead.PipelineID, lead.StatusID = t.pipeline, t.status
		res.Lead = &lead
		return res, nil
	}
	uid := "form-" + strconv.FormatInt(f.ID, 10)
	res.Unsorted = &crm.UnsortedForm{
		SourceName: "MODX " + m.meta.SiteHost,
		SourceUID:  uid,
		PipelineID: t.pipeline,
		CreatedAt:  sent,
		Metadata: crm.FormMeta{
			FormID: f.Name, FormName: f.Name, FormPage: m.meta.SiteHost, IP: f.IP, FormSentAt: sent,
		},
		Embedded: crm.UnsortedEmbedded{Leads: []crm.Lead{{Name: lead.Name, CustomFieldsValues: lead.CustomFieldsValues, Embedded: lead.Embedded}},
			Contacts: []crm.Contact{c.Contact}},
		RequestID: uid,
	}
	return res, nil
}

// formPlaceholder gives the values of a form's placeholders
// (config.FormPlaceholders) for its task's text: parts are the form's
// mapped contact parts.
func formPlaceholder(f *shop.Form, parts map[string]string, siteName string) func(string) (string, bool) {
	return func(key string) (string, bool) {
		switch key {
		case "form":
			return f.Name, true
		case "id":
			return strconv.FormatInt(f.ID, 10), true
		case "name", "phone", "email":
			return parts[key], true
		case "site_name":
			return strings.TrimSpace(siteName), true
		}
		return "", false
	}
}

// lookup finds a form value by key, case-insensitively.
func lookup(values map[string]string, key string) string {
	if v, ok := values[key]; ok {
		return strings.TrimSpace(v)
	}
	for k, v := range values {
		if sameName(k, key) {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
