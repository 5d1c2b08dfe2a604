package transform

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/config"
	"github.com/modx-amocrm/modx-amocrm/internal/crm"
)

// taskPlan is an enabled [orders.task] or [forms.task], resolved.
type taskPlan struct {
	text   string
	due    config.Due
	typeID int64
}

// resolveTasks parses the enabled tasks' due times and finds their types
// among the account's (Meta.TaskTypes): call and meeting are 1 and 2 in
// every account; another id must be one of the account's, a name is looked
// up.
func (m *Mapper) resolveTasks() error {
	var err error
	if m.orderTask, err = m.resolveTask("orders.task", m.cfg.Orders.Task); err != nil {
		return err
	}
	m.formTask, err = m.resolveTask("forms.task", m.cfg.Forms.Task)
	return err
}

func (m *Mapper) resolveTask(key string, t config.Task) (*taskPlan, error) {
	if !t.Enabled {
		return nil, nil
	}
	due, err := config.ParseDue(t.Due)
	if err != nil {
		return nil, fmt.Errorf("%s.due: %w", key, err)
	}
	p := &taskPlan{text: t.Text, due: due}
	ref := t.TypeRef()
	if ref.ID == crm.TaskTypeCall || ref.ID == crm.TaskTypeMeeting {
		p.typeID = ref.ID
		return p, nil
	}
	var names []string
	for _, tt := range m.meta.TaskTypes {
		names = append(names, tt.Name)
		if ref.ID != 0 && tt.ID == ref.ID || ref.Name != "" && sameName(tt.Name, ref.Name) {
			p.typeID = tt.ID
			return p, nil
		}
	}
	return nil, fmt.Errorf("%s.type: %w", key, notFound("task type", ref, "the account", names))
}

// TaskDue is when a task made at made is due: due.After later, or the
// first due.Hour:due.Minute after made in zone (the same day, or the next
// once that time has passed). Days are calendar days of zone, so a day
// with a clock change still gives the wall time asked.
func TaskDue(due config.Due, made time.Time, zone *time.Location) time.Time {
	if due.After > 0 {
		return made.Add(due.After)
	}
	if zone == nil {
		zone = time.UTC
	}
	local := made.In(zone)
	at := time.Date(local.Year(), local.Month(), local.Day(), due.Hour, due.Minute, 0, 0, zone)
	if !at.After(local) {
		at = time.Date(local.Year(), local.Month(), local.Day()+1, due.Hour, due.Minute, 0, 0, zone)
	}
	return at
}

// task builds a task for a deal responsible user made at made (zero: not
// known yet, the caller sets CompleteTill with TaskDue when the deal is
// made); value fills the text's placeholders. EntityID is left for the
// deal's id.
func (m *Mapper) task(p *taskPlan, responsible int64, made time.Time, value func(string) (string, bool)) *crm.Task {
	t := &crm.Task{Text: cut(strings.TrimSpace(expand(p.text, value)), TextareaLimit), TaskTypeID: p.typeID,
		ResponsibleUserID: responsible, EntityType: "leads"}
	if !made.IsZero() {
		t.CompleteTill = p.dueAt(made, m.meta.Zone)
	}
	return t
}

// OrderTaskDue is when the order task of a deal made at made is due, for a
// deal whose order has no creation date (Deal.Task.CompleteTill is 0); 0
// when orders.task is off.
func (m *Mapper) OrderTaskDue(made time.Time) int64 { return m.orderTask.dueAt(made, m.meta.Zone) }

// FormTaskDue is OrderTaskDue for a form's task.
func (m *Mapper) FormTaskDue(made time.Time) int64 { return m.formTask.dueAt(made, m.meta.Zone) }

func (p *taskPlan) dueAt(made time.Time, zone *time.Location) int64 {
	if p == nil {
		return 0
	}
	return TaskDue(p.due, made, zone).Unix()
}

// addTags puts tags on a lead after those it has, once each whatever the
// case, in the order given.
func addTags(l *crm.Lead, groups ...[]string) {
	for _, tags := range groups {
		for _, t := range tags {
			t = strings.TrimSpace(t)
			if t == "" {
				continue
			}
			if l.Embedded == nil {
				l.Embedded = &crm.LeadEmbedded{}
			}
			if !slices.ContainsFunc(l.Embedded.Tags, func(have crm.Tag) bool { return sameName(have.Name, t) }) {
				l.Embedded.Tags = append(l.Embedded.Tags, crm.Tag{Name: t})
			}
		}
	}
}
