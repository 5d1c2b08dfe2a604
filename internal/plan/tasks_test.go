package plan

import (
	"slices"
	"testing"

	"github.com/modx-amocrm/modx-amocrm/internal/crm"
	"github.com/modx-amocrm/modx-amocrm/internal/transform"
)

// TestTaskOutcomes: a task is made once the deal exists; where it may have
// been made before, a task of the deal with its text, responsible and
// type is it, whatever its due time; refused, the record is parked and the
// task owed; lost, the marker stays for the next pass.
func TestTaskOutcomes(t *testing.T) {
	kind := TaskKind(KindOrder)
	want := crm.Task{Text: "Перезвонить: заказ 1", CompleteTill: 1700007200, TaskTypeID: 1, ResponsibleUserID: 7, EntityType: "leads"}
	tests := []struct {
		name     string
		have     []crm.Task // read back; nil: not read
		apply    func(tk *Task)
		makes    bool   // Tasking makes it
		action   Action // its entry
		amoID    int64  // the link's task, 0: owed
		parked   bool
		clearing bool
	}{
		{name: "made", makes: true, action: Create, amoID: 801, clearing: true, apply: func(tk *Task) { tk.ID = 801 }},
		{name: "found", have: []crm.Task{{ID: 700, EntityID: 501, Text: want.Text, ResponsibleUserID: 7, TaskTypeID: 1, CompleteTill: 1700009999}},
			action: Unchanged, amoID: 700, clearing: true},
		{name: "another task", have: []crm.Task{{ID: 700, EntityID: 501, Text: "Другое", ResponsibleUserID: 7, TaskTypeID: 1}},
			makes: true, action: Create, amoID: 801, clearing: true, apply: func(tk *Task) { tk.ID = 801 }},
		{name: "refused", makes: true, action: Fail, parked: true, clearing: true, apply: func(tk *Task) { tk.Refused = "amoCRM refused the task: task_type_id" }},
		{name: "lost", makes: true, action: Skip, apply: func(tk *Task) { tk.Unknown = true }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := order(1, 1, "79001")
			o.Deal.Task = &want
			p := planOrders(t, mapper{}, o)
			d := p.Deals[0]
			d.ID, d.Contact.ID = 501, 601
			d.Task.Have, d.Task.Read = tt.have, tt.have != nil
			if makes := len(p.Tasking()) == 1; makes != tt.makes {
				t.Errorf("made: %v, want %v", makes, tt.makes)
			}
			if d.Task.Want.EntityID != 501 {
				t.Errorf("task tied to %d, want the deal 501", d.Task.Want.EntityID)
			}
			if tt.apply != nil {
				tt.apply(d.Task)
			}
			w := p.Writes()
			i := slices.IndexFunc(w.Links, func(l Link) bool { return l.Kind == kind })
			if i < 0 || w.Links[i].AmoID != tt.amoID {
				t.Errorf("links %+v, want %s -> %d", w.Links, kind, tt.amoID)
			}
			if got := len(w.Parked) == 1 && w.Parked[0].Entity == "task"; got != tt.parked {
				t.Errorf("parked %+v, want parked: %v", w.Parked, tt.parked)
			}
			if got := slices.Contains(w.Cleared[kind], 1); got != tt.clearing {
				t.Errorf("marker cleared: %v, want %v", got, tt.clearing)
			}
			es := p.Entries(w)
			j := slices.IndexFunc(es, func(e Entry) bool { return e.Kind == "task" })
			if j < 0 || es[j].Action != tt.action {
				t.Fatalf("entries %+v, want a task entry %s", es, tt.action)
			}
		})
	}
}

// TestSimulateExtras: a dry run gives the elements it creates and the
// tasks made-up ids and links every deal's products, so its writes and
// report have the shape of the real run's.
func TestSimulateExtras(t *testing.T) {
	p := ordersWithProducts(t, map[int64][]transform.ProductLine{1: {line(1, "Кружка", 2)}, 2: {line(1, "Кружка", 1), line(2, "Ложка", 4)}})
	p.AddElements(p.ProductLines(), nil, nil, nil)
	for _, d := range p.Deals {
		d.Task = &Task{Want: crm.Task{Text: "Перезвонить"}}
	}
	n := int64(0)
	p.Simulate(func() int64 { n--; return n })
	w := p.Writes()
	var got []string
	for _, e := range p.Entries(w) {
		got = append(got, e.Kind+" "+string(e.Action))
	}
	want := []string{"element create", "element create", "contact create", "contact create",
		"lead create", "products create", "task create", "lead create", "products create", "task create"}
	if !slices.Equal(got, want) {
		t.Errorf("entries:\n got %v\nwant %v", got, want)
	}
	if len(w.Elements) != 2 || len(w.Parked)+len(w.Waits) != 0 {
		t.Errorf("writes: %d elements, parked %v, waits %v", len(w.Elements), w.Parked, w.Waits)
	}
}
