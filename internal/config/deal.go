package config

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Task types as orders.task.type and forms.task.type name the two every
// account has (amocrm.ru crm_platform/tasks-api: «1 – Звонок, 2 – Встреча»).
const (
	TaskCall    = "call"
	TaskMeeting = "meeting"
)

// Placeholders of templates: a deal's name (orders.lead_name) and an order
// task's text take OrderPlaceholders ({email} and {phone} are the receiver's,
// kept from earlier versions); a form task's text takes FormPlaceholders.
var (
	OrderPlaceholders = []string{"num", "id", "receiver", "cost", "delivery", "payment", "site_name", "email", "phone"}
	FormPlaceholders  = []string{"form", "id", "name", "phone", "email", "site_name"}
)

// CheckTemplate reports the first "{name}" of tmpl whose name is not in
// known, or a "{" that is never closed, with its position in characters
// (1-based), so a long template's mistake is found at once.
func CheckTemplate(tmpl string, known []string) error {
	for i := 0; i < len(tmpl); {
		open := strings.IndexByte(tmpl[i:], '{')
		if open < 0 {
			return nil
		}
		open += i
		pos := utf8.RuneCountInString(tmpl[:open]) + 1
		end := strings.IndexByte(tmpl[open:], '}')
		if end < 0 {
			return fmt.Errorf("unclosed { at character %d", pos)
		}
		name := tmpl[open+1 : open+end]
		if !slices.Contains(known, name) {
			return fmt.Errorf("unknown placeholder {%s} at character %d; known: %s", name, pos, braced(known))
		}
		i = open + end + 1
	}
	return nil
}

func braced(names []string) string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = "{" + n + "}"
	}
	return strings.Join(out, " ")
}

// Due is when a task is due: After the deal was made, or, with After 0, at
// Hour:Minute of the shop's day.
type Due struct {
	After        time.Duration
	Hour, Minute int
}

// ParseDue reads a task's due: a Go duration above zero ("2h", "30m") or a
// time of day "HH:MM" (00:00 to 23:59).
func ParseDue(s string) (Due, error) {
	if clock.MatchString(s) {
		t, err := time.Parse("15:04", s)
		if err != nil {
			return Due{}, fmt.Errorf(`want a time of day from "00:00" to "23:59", got %q`, s)
		}
		return Due{Hour: t.Hour(), Minute: t.Minute()}, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return Due{}, fmt.Errorf(`want a duration above zero like "2h" or a time of day like "18:00", got %q`, s)
	}
	return Due{After: d}, nil
}

var clock = regexp.MustCompile(`^[0-9]{1,2}:[0-9]{2}$`)

// TypeRef is the task's type as an id reference: call 1, meeting 2, an id,
// or a type's name resolved against the account's task types.
func (t Task) TypeRef() IDRef {
	switch strings.ToLower(strings.TrimSpace(t.Type.Name)) {
	case TaskCall:
		return IDRef{ID: 1}
	case TaskMeeting:
		return IDRef{ID: 2}
	}
	return IDRef{ID: t.Type.ID, Name: strings.TrimSpace(t.Type.Name)}
}

// fieldCode is what an amoCRM field code looks like: UTM_SOURCE, _YM_UID.
var fieldCode = regexp.MustCompile(`^[A-Za-z0-9_]+$`)

// template checks a template key against its placeholders.
func (v *validator) template(key, tmpl string, known []string) {
	if err := CheckTemplate(tmpl, known); err != nil {
		v.fail(key, "%v", err)
	}
}

// task checks an [orders.task] or [forms.task] table.
func (v *validator) task(key string, t Task, known []string) {
	if strings.TrimSpace(t.Text) == "" {
		if t.Enabled {
			v.fail(key+".text", "required when %s.enabled is on: the task's text", key)
		}
	} else {
		v.template(key+".text", t.Text, known)
	}
	if _, err := ParseDue(t.Due); err != nil {
		v.fail(key+".due", "%v", err)
	}
	switch ref := t.TypeRef(); {
	case ref.IsZero():
		v.fail(key+".type", `want "call", "meeting", or a task type's id or name`)
	case ref.ID < 0:
		v.fail(key+".type", "want a task type id above zero, got %d", ref.ID)
	}
}

// tags checks a list of tags: no empty one, none twice.
func (v *validator) tags(key string, tags []string) {
	seen := map[string]bool{}
	for i, t := range tags {
		k := strings.ToLower(strings.TrimSpace(t))
		switch {
		case k == "":
			v.fail(key, "tag %d is empty", i+1)
		case seen[k]:
			v.fail(key, "tag %q is listed twice", t)
		}
		seen[k] = true
	}
}

// tracking checks orders.tracking: keys and amoCRM field codes.
func (v *validator) tracking(m map[string]string) {
	seen := map[string]string{}
	for _, k := range sortedKeys(m) {
		key := "orders.tracking." + joinKey(k)
		fold := strings.ToLower(strings.TrimSpace(k))
		switch {
		case fold == "":
			v.fail(key, "want an order-property or form key, got an empty one")
		case seen[fold] != "":
			v.fail(key, "the same key as %s: keys are matched in any case", strconv.Quote(seen[fold]))
		}
		seen[fold] = k
		if !fieldCode.MatchString(m[k]) {
			v.fail(key, "want a tracking field code like \"UTM_SOURCE\", got %q", m[k])
		}
	}
}

// deals checks what a deal is made with besides its fields: names, tasks,
// tags, tracking and the products list.
func (v *validator) deals() {
	o, f := v.c.Orders, v.c.Forms
	v.template("orders.lead_name", o.LeadName, OrderPlaceholders)
	v.task("orders.task", o.Task, OrderPlaceholders)
	v.task("forms.task", f.Task, FormPlaceholders)
	v.tags("orders.tags", o.Tags)
	v.tags("forms.tags", f.Tags)
	for i, r := range o.Category {
		v.tags(fmt.Sprintf("orders.category[%d].tags", i+1), r.Tags)
	}
	for _, name := range sortedKeys(f.Form) {
		v.tags("forms.form."+joinKey(name)+".tags", f.Form[name].Tags)
	}
	v.tracking(o.Tracking)
	v.id("orders.products.catalog", o.Products.Catalog)
	if o.Products.Enabled && !o.Enabled {
		v.fail("orders.products.enabled", "needs orders.enabled: products are linked to order deals")
	}
}
