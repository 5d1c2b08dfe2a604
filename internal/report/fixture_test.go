package report

import (
	"fmt"
	"strings"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/plan"
)

// sampleSummary is the summary of the golden reports.
func sampleSummary() Summary {
	started := time.Date(2026, 11, 27, 5, 0, 0, 0, time.UTC)
	return Summary{
		DryRun:   true,
		Sources:  []string{"orders", "order_logs", "forms", "users"},
		Started:  started,
		Finished: started.Add(3250 * time.Millisecond),
		Requests: 7,
		Location: time.FixedZone("MSK", 3*60*60), // the shop's zone: headers show 08:00:00 MSK
	}
}

// failedSummary is a dry run that failed before it planned anything.
func failedSummary() Summary {
	s := sampleSummary()
	s.Requests = 1
	s.Error = `orders.pipeline_id: no pipeline "Воронка 2" in the account; it has "Воронка", "Опт", "Розница"`
	return s
}

// sampleEntries covers every action, Cyrillic, emoji, markup that must be
// escaped, control characters, a long goods list, an overlong key, and a
// deal's products, task and element.
func sampleEntries() []plan.Entry {
	var goods []string
	for i := 1; i <= 40; i++ {
		goods = append(goods, fmt.Sprintf("Футболка «Лето» размер %d × 2 шт. — 1 500 ₽", 40+i))
	}
	return []plan.Entry{
		{Source: "orders", Kind: "field", Key: "field:goods", Action: plan.Create, Title: "goods",
			Changes: []plan.Change{{Field: "type", New: "textarea"}}},
		{Source: "orders", Kind: "pipeline", Key: "pipeline:Мой магазин", Action: plan.Create, Title: "Мой магазин 🛒",
			Changes: []plan.Change{{Field: "statuses", New: "Новый, Оплачен, Отправлен, Доставлен"}}},
		{Source: "orders", Kind: "lead", SourceID: 2311, Key: "order:2311", Action: plan.Create, Title: "Заказ с сайта 2311/1",
			Changes: []plan.Change{
				{Field: "price", New: "3000"},
				{Field: "goods", New: strings.Join(goods, "\n")},
			}},
		{Source: "orders", Kind: "products", SourceID: 2311, Key: "order:2311", Action: plan.Create, Title: "Заказ с сайта 2311/1",
			Changes: []plan.Change{{Field: "Футболка «Лето»", New: "2"}, {Field: "Кружка ☕", New: "0.5"}}},
		{Source: "orders", Kind: "task", SourceID: 2311, Key: "order:2311", Action: plan.Create, Title: "Связаться с покупателем: заказ 2311/1",
			Changes: []plan.Change{{Field: "due", New: "2026-11-27 10:00"}, {Field: "responsible", New: "Мария Продажина"}, {Field: "type", New: "Связаться"}}},
		{Source: "orders", Kind: "element", Key: "product:17", Action: plan.Create, Title: "Кружка ☕",
			Changes: []plan.Change{{Field: "name", New: "Кружка ☕"}, {Field: "Артикул", New: "MUG-1"}, {Field: "Цена", New: "350"}, {Field: "External ID", New: "17"}}},
		{Source: "orders", Kind: "contact", SourceID: 2311, Key: "order:2311", Action: plan.Update, AmoID: 30001, Title: "Иван Петров",
			Changes: []plan.Change{
				{Field: "phone", Old: "+7 (912) 345-67-89", New: "+7 (912) 345-67-80"},
				{Field: "address.street", Old: "ул. Ленина, д. 5", New: "ул. Ленина, д. 7 🏠"},
			}},
		{Source: "order_logs", Kind: "status_move", SourceID: 2290, Key: "order_log:9001", Action: plan.Update, AmoID: 1000042, Title: "Заказ с сайта 2290/3",
			Changes: []plan.Change{{Field: "status", Old: "Новый", New: "Оплачен ✅"}}},
		{Source: "orders", Kind: "lead", SourceID: 2288, Key: "order:2288", Action: plan.Unchanged, AmoID: 1000040, Title: "Заказ с сайта 2288/1"},
		{Source: "forms", Kind: "contact", SourceID: 45, Key: "form:45", Action: plan.Skip, Title: "Обратный звонок",
			Reason: "no phone and no e-mail"},
		{Source: "users", Kind: "contact", SourceID: 6, Key: "user:6", Action: plan.Fail, Title: `<script>alert("title")</script> & Co`,
			Reason: `amoCRM 400: field "<b>" is invalid`},
		{Source: "orders", Kind: "lead", SourceID: 2312, Key: "order:2312:with-a-key-far-longer-than-the-column", Action: plan.Update, AmoID: 1000043, Title: "Заказ с сайта 2312/1",
			Changes: []plan.Change{{Field: "address.comment", Old: "позвонить\nзаранее\x1b[31m", New: `<img src=x onerror=alert(1)> 😀`}}},
	}
}

// generatedEntry is entry i of a large synthetic pass: mostly creates,
// some updates, a few of every other action.
func generatedEntry(i int) plan.Entry {
	e := plan.Entry{
		Source:   "orders",
		Kind:     "lead",
		SourceID: int64(10000 + i),
		Key:      fmt.Sprintf("order:%d", 10000+i),
		Title:    fmt.Sprintf("Заказ с сайта %d/1", 10000+i),
	}
	switch i % 10 {
	case 0, 1:
		e.Action, e.AmoID = plan.Update, int64(2000000+i)
		e.Changes = []plan.Change{{Field: "price", Old: "1990", New: "2490"}, {Field: "status", Old: "Новый", New: "Оплачен"}}
	case 2:
		e.Action, e.AmoID = plan.Unchanged, int64(2000000+i)
	case 3:
		e.Kind, e.Action, e.Title, e.Reason = "contact", plan.Skip, "Гость", "no phone and no e-mail"
	case 4:
		e.Action, e.Reason = plan.Fail, "broken JSON in properties"
	default:
		e.Action = plan.Create
		e.Changes = []plan.Change{{Field: "price", New: "1990"}, {Field: "goods", New: "Футболка × 2, Кепка × 1"}}
	}
	return e
}
