package transform

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/modx-amocrm/modx-amocrm/internal/shop"
)

// goodsLines renders one line per cart product, as the old extra's
// amocrm_order_product_row did, with the options' values on the same line:
//
//  1. (ART-1) Футболка 1500 руб. × 2 шт. = 3000 руб. (Красный; XL)
//
// Options that are not valid JSON are left out with a note: they only
// decorate the line.
func goodsLines(products []shop.OrderProduct, currency, unit string, notes *[]string) []string {
	lines := make([]string, 0, len(products))
	var b strings.Builder
	for i, p := range products {
		b.Reset()
		b.WriteString(strconv.Itoa(i + 1))
		b.WriteString(". ")
		if a := strings.TrimSpace(p.Article); a != "" {
			b.WriteString("(" + a + ") ")
		}
		fmt.Fprintf(&b, "%s %s %s × %d %s = %s %s",
			strings.TrimSpace(p.Name), displayDecimal(p.Price), currency, p.Count, unit, displayDecimal(p.Cost), currency)
		opts, err := optionValues(p.Options)
		if err != nil {
			*notes = append(*notes, fmt.Sprintf("products[%d].options: %v, left out of goods", i, err))
		}
		if len(opts) > 0 {
			b.WriteString(" (" + strings.Join(opts, "; ") + ")")
		}
		lines = append(lines, b.String())
	}
	return lines
}

// optionValues returns the non-empty values of an options JSON object in
// their stored order (keys are dropped, as the old extra did).
func optionValues(raw json.RawMessage) ([]string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		if len(raw) == 0 || bytes.Equal(raw, []byte("[]")) || bytes.Equal(raw, []byte("null")) {
			return nil, nil
		}
		if !json.Valid(raw) {
			return nil, jsonError(raw)
		}
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if _, err := dec.Token(); err != nil { // {
		return nil, jsonError(raw)
	}
	var out []string
	for dec.More() {
		if _, err := dec.Token(); err != nil { // key
			return nil, jsonError(raw)
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, jsonError(raw)
		}
		if s := jsonText(v); s != "" {
			out = append(out, s)
		}
	}
	return out, nil
}

// cutLines joins lines with "\n" within limit runes. When they do not fit,
// whole lines are dropped from the end and "… и ещё N" says how many: a
// line is never cut in the middle. kept is the number of lines listed.
func cutLines(lines []string, limit int) (s string, kept int) {
	prefix := make([]int, len(lines)+1) // runes of the first k lines, each with its "\n"
	for i, l := range lines {
		prefix[i+1] = prefix[i] + utf8.RuneCountInString(l) + 1
	}
	if prefix[len(lines)]-1 <= limit {
		return strings.Join(lines, "\n"), len(lines)
	}
	for k := len(lines) - 1; k >= 0; k-- {
		tail := moreTail(len(lines) - k)
		if prefix[k]+utf8.RuneCountInString(tail) <= limit {
			return strings.Join(append(lines[:k:k], tail), "\n"), k
		}
	}
	return "", 0 // the limit is below even the tail
}

func moreTail(n int) string { return "… и ещё " + strconv.Itoa(n) }
