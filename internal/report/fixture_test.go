package report

import (
	"fmt"
	"strings"
	"time"
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
// escaped, control characters, a long goods list and an overlong key.
func sampleEntries() []Entry {
	var goods []string
	for i := 1; i <= 40; i++ {
		goods = append(goods, fmt.Sprintf("Футболка «Лето» размер %d × 2 шт. — 1 500 ₽", 40+i))
	}
	return []Entry{
		{Source: "orders", Kind: "field", Key: "field:goods", Action: Create, Title: "goods",
			Changes: []Change{{Field: "type", New: "textarea"}}},
		{Source: "orders", Kind: "pipeline", Key: "pipeline:Мой магазин", Action: Create, Title: "Мой магазин 🛒",
			Changes: []Change{{Field: "statuses", New: "Новый, Оплачен, Отправлен, Доставлен"}}},
		{Source: "orders", Kind: "lead", SourceID: 2311, Key: "order:2311", Action: Create, Title: "Заказ с сайта 2311/1",
			Changes: []Change{
				{Field: "price", New: "3000"},
				{Field: "goods", New: strings.Join(goods, "\n")},
			}},
		{Source: "orders", Kind: "contact", SourceID: 2311, Key: "order:2311", Action: Update, AmoID: 30001, Title: "Иван Петров",
			Changes: []Change{
				{Field: "phone", Old: "+7 (912) 345-67-89", New: "+7 (912) 345-67-80"},
				{Field: "address.street", Old: "ул. Ленина, д. 5", New: "ул. Ленина, д. 7 🏠"},
			}},
		{Source: "order_logs", Kind: "status_move", SourceID: 2290, Key: "order_log:9001", Action: Update, AmoID: 1000042, Title: "Заказ с сайта 2290/3",
			Changes: []Change{{Field: "status", Old: "Новый", New: "Оплачен ✅"}}},
		{Source: "orders", Kind: "lead", SourceID: 2288, Key: "order:2288", Action: Unchanged, AmoID: 1000040, Title: "Заказ с сайта 2288/1"},
		{Source: "forms", Kind: "contact", SourceID: 45, Key: "form:45", Action: Skip, Title: "Обратный звонок",
			Reason: "no phone and no e-mail"},
		{Source: "users", Kind: "contact", SourceID: 6, Key: "user:6", Action: Fail, Title: `<script>alert("title")</script> & Co`,
			Reason: `amoCRM 400: field "<b>" is invalid`},
		{Source: "orders", Kind: "lead", SourceID: 2312, Key: "order:2312:with-a-key-far-longer-than-the-column", Action: Update, AmoID: 1000043, Title: "Заказ с сайта 2312/1",
			Changes: []Change{{Field: "address.comment", Old: "позвонить\nзаранее\x1b[31m", New: `<img src=x onerror=alert(1)> 😀`}}},
	}
}

// generatedEntry is entry i of a large synthetic pass: mostly creates,
// some updates, a few of every other action.
func generatedEntry(i int) Entry {
	e := Entry{
		Source:   "orders",
		Kind:     "lead",
		SourceID: int64(10000 + i),
		Key:      fmt.Sprintf("order:%d", 10000+i),
		Title:    fmt.Sprintf("Заказ с сайта %d/1", 10000+i),
	}
	switch i % 10 {
	case 0, 1:
		e.Action, e.AmoID = Update, int64(2000000+i)
		e.Changes = []Change{{Field: "price", Old: "1990", New: "2490"}, {Field: "status", Old: "Новый", New: "Оплачен"}}
	case 2:
		e.Action, e.AmoID = Unchanged, int64(2000000+i)
	case 3:
		e.Kind, e.Action, e.Title, e.Reason = "contact", Skip, "Гость", "no phone and no e-mail"
	case 4:
		e.Action, e.Reason = Fail, "broken JSON in properties"
	default:
		e.Action = Create
		e.Changes = []Change{{Field: "price", New: "1990"}, {Field: "goods", New: "Футболка × 2, Кепка × 1"}}
	}
	return e
}
