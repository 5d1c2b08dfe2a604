package config

import (
	"strings"
	"testing"
	"time"
)

func TestValidateDealKeys(t *testing.T) {
	tests := []struct {
		name, doc, want string
	}{
		{"lead name placeholder", "[orders]\nlead_name = \"Заказ {num} от {cusotmer}\"\n",
			`config.toml:8: orders.lead_name: unknown placeholder {cusotmer} at character 16; known: {num} {id} {receiver} {cost} {delivery} {payment} {site_name} {email} {phone}`},
		{"unclosed brace", "[orders]\nlead_name = \"Заказ {num\"\n", `config.toml:8: orders.lead_name: unclosed { at character 7`},
		{"order task placeholder", "[orders.task]\nenabled = true\ntext = \"Позвонить {form}\"\n", `config.toml:9: orders.task.text: unknown placeholder {form} at character 11`},
		{"form task placeholder", "[forms.task]\ntext = \"Заявка {num}\"\n", `config.toml:8: forms.task.text: unknown placeholder {num} at character 8; known: {form} {id} {name} {phone} {email} {site_name}`},
		{"task without text", "[orders.task]\nenabled = true\ntext = \"\"\n", `config.toml:9: orders.task.text: required when orders.task.enabled is on`},
		{"due", "[orders.task]\ndue = \"tomorrow\"\n", `config.toml:8: orders.task.due: want a duration above zero like "2h" or a time of day like "18:00", got "tomorrow"`},
		{"due zero", "[forms.task]\ndue = \"0s\"\n", `forms.task.due: want a duration above zero`},
		{"due clock", "[orders.task]\ndue = \"25:00\"\n", `orders.task.due: want a time of day from "00:00" to "23:59", got "25:00"`},
		{"type", "[orders.task]\ntype = \"\"\n", `config.toml:8: orders.task.type: want "call", "meeting", or a task type's id or name`},
		{"type negative", "[orders.task]\ntype = \"-2\"\n", `orders.task.type: want a task type id above zero, got -2`},
		{"empty tag", "[orders]\ntags = [\"сайт\", \" \"]\n", `config.toml:8: orders.tags: tag 2 is empty`},
		{"tag twice", "[forms]\ntags = [\"Заявка\", \"заявка\"]\n", `forms.tags: tag "заявка" is listed twice`},
		{"rule tag", "[[orders.category]]\nid = 3\npipeline_id = 1\ntags = [\"\"]\n", `config.toml:10: orders.category[1].tags: tag 1 is empty`},
		{"form tag", "[forms.form.\"Звонок\"]\ntags = [\"\"]\n", `config.toml:8: forms.form."Звонок".tags: tag 1 is empty`},
		{"tracking code", "[orders]\ntracking = { utm_x = \"UTM X\" }\n", `config.toml:8: orders.tracking.utm_x: want a tracking field code like "UTM_SOURCE", got "UTM X"`},
		{"tracking twice", "[orders.tracking]\nmy_src = \"UTM_SOURCE\"\nMY_SRC = \"FROM\"\n", `orders.tracking.my_src: the same key as "MY_SRC"`},
		{"products without orders", "[orders]\nenabled = false\n[orders.products]\nenabled = true\n", `config.toml:10: orders.products.enabled: needs orders.enabled`},
		{"catalog id", "[orders.products]\ncatalog = -1\n", `orders.products.catalog: want an id above zero or a name, got -1`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse([]byte(minimal+tc.doc), "config.toml", testEnv(nil))
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			err = c.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestDealKeysParse(t *testing.T) {
	doc := minimal + `[orders]
lead_name = "{site_name}: заказ {num} ({receiver}, {cost} руб., {delivery}, {payment})"
tags = ["сайт"]
tracking_element = "utm"
tracking = { partner = "FROM" }
[orders.products]
enabled = true
catalog = "Товары"
[orders.task]
enabled = true
text = "Перезвонить {receiver}: заказ {num}"
due = "18:30"
type = "meeting"
[[orders.category]]
id = 5
pipeline_id = "Опт"
tags = ["опт"]
[forms]
tags = ["заявка"]
[forms.task]
enabled = true
type = 1520001
[forms.form."Обратный звонок"]
tags = ["звонок"]
`
	c, err := Parse([]byte(doc), "config.toml", testEnv(nil))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	o, f := c.Orders, c.Forms
	if !o.Products.Enabled || o.Products.Catalog.Name != "Товары" || o.Tracking["partner"] != "FROM" || o.TrackingElement != "utm" ||
		o.Category[0].Tags[0] != "опт" || f.Form["Обратный звонок"].Tags[0] != "звонок" {
		t.Errorf("orders = %+v, forms = %+v", o, f)
	}
	if due, err := ParseDue(o.Task.Due); err != nil || due.Hour != 18 || due.Minute != 30 || due.After != 0 {
		t.Errorf("due = %+v, %v", due, err)
	}
	if got := o.Task.TypeRef(); got.ID != 2 {
		t.Errorf("meeting = %+v, want id 2", got)
	}
	if got := f.Task.TypeRef(); got.ID != 1520001 || f.Task.Text != Default().Forms.Task.Text {
		t.Errorf("forms task = %+v (%+v), want the id and the default text", f.Task, got)
	}
	if due, _ := ParseDue(Default().Orders.Task.Due); due.After != 2*time.Hour {
		t.Errorf("default due = %+v, want 2h after the deal", due)
	}
}
