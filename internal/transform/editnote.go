package transform

import (
	"strconv"
	"strings"
)

// Notes on a deal whose order changed in the shop, in Russian as the
// managers read them. Money is written as amoCRM shows a budget: groups of
// three digits split by a no-break space, a decimal comma, kopecks only
// when there are some ("12 990", "1 499,50").

// noteLines bounds the changes one note lists; the rest are counted.
const noteLines = 30

// EditNote is the note an edited order's deal gets with the edit: one line
// per change. It is empty for an edit that changes nothing.
func (m *Mapper) EditNote(e Edit) string {
	if e.Empty() {
		return ""
	}
	cur, unit := m.meta.Currency, m.meta.CountUnit
	var lines []string
	if p := e.Price; p != nil {
		from := ""
		if p.From != nil {
			from = moneyText(*p.From*100) + " → "
		}
		lines = append(lines, "сумма: "+from+withUnit(moneyText(p.To*100), cur))
	}
	if e.Renamed {
		lines = append(lines, "название: «"+e.Lead.Name+"»")
	}
	for _, l := range e.Products.Added {
		lines = append(lines, "добавлен товар «"+l.Name+"», "+withUnit(strconv.FormatInt(l.Count, 10), unit))
	}
	for _, l := range e.Products.Removed {
		lines = append(lines, "удалён товар «"+l.Name+"», "+withUnit(strconv.FormatInt(l.Count, 10), unit))
	}
	for _, c := range e.Products.Changed {
		var parts []string
		if c.From.Count != c.To.Count {
			parts = append(parts, strconv.FormatInt(c.From.Count, 10)+" → "+withUnit(strconv.FormatInt(c.To.Count, 10), unit))
		}
		if c.From.Cost != c.To.Cost {
			parts = append(parts, "стоимость "+moneyText(c.From.Cost)+" → "+withUnit(moneyText(c.To.Cost), cur))
		}
		lines = append(lines, "«"+c.To.Name+"»: "+strings.Join(parts, ", "))
	}
	for _, f := range e.Fields {
		switch {
		case f.Cleared:
			lines = append(lines, f.Name+": очищено")
		case f.Value == "":
			lines = append(lines, f.Name+": изменено")
		default:
			lines = append(lines, f.Name+": "+f.Value)
		}
	}
	if len(lines) > noteLines {
		lines = append(lines[:noteLines-1], moreTail(len(lines)-noteLines+1))
	}
	return "Изменено в магазине:\n— " + strings.Join(lines, "\n— ")
}

// DeletedNote is the note the deal of an order deleted in the shop gets;
// closed says the deal is closed as lost (orders.on_delete = "lose": moved
// with the note, or found lost already, so that a second try writes the
// same text and finds the first).
func DeletedNote(sent Sent, closed bool) string {
	note := "Заказ удалён в магазине."
	if num := strings.TrimSpace(sent.Num); num != "" {
		note = "Заказ " + num + " удалён в магазине."
	}
	if closed {
		note += " Сделка закрыта как нереализованная."
	}
	return note
}

// moneyText writes an amount of kopecks as amoCRM shows money.
func moneyText(kopecks int64) string {
	sign := ""
	if kopecks < 0 {
		sign, kopecks = "-", -kopecks
	}
	digits := strconv.FormatInt(kopecks/100, 10)
	var b strings.Builder
	for i, d := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteRune('\u00a0')
		}
		b.WriteRune(d)
	}
	if k := kopecks % 100; k != 0 {
		b.WriteString("," + strconv.FormatInt(k/10, 10) + strconv.FormatInt(k%10, 10))
	}
	return sign + b.String()
}

// withUnit appends a unit ("руб.", "шт.") when there is one.
func withUnit(s, unit string) string {
	if unit == "" {
		return s
	}
	return s + " " + unit
}
