package transform

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/modx-amocrm/modx-amocrm/internal/shop"
)

func TestGoodsLines(t *testing.T) {
	products := []shop.OrderProduct{
		{Name: "Футболка", Article: "T-1", Count: 2, Price: "600.00", Cost: "1200.00", Options: json.RawMessage(`{"size":"XL","color":"Красный","note":"","tags":["a","b"]}`)},
		{Name: "Кружка", Count: 1, Price: "99.90", Cost: "99.90", Options: json.RawMessage(`[]`)},
		{Name: "Значок", Count: 3, Price: "10", Cost: "30", Options: json.RawMessage(`{"size":`)},
	}
	var notes []string
	got := goodsLines(products, "руб.", "шт.", &notes)
	want := []string{
		"1. (T-1) Футболка 600 руб. × 2 шт. = 1200 руб. (XL; Красный; a, b)",
		"2. Кружка 99.90 руб. × 1 шт. = 99.90 руб.",
		"3. Значок 10 руб. × 3 шт. = 30 руб.",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "products[2].options: invalid JSON") {
		t.Errorf("notes = %q, want one about products[2].options", notes)
	}
}

func TestCutLines(t *testing.T) {
	lines := []string{"aaaa", "bbbb", "cccc", "dddd"} // 19 runes joined
	tests := []struct {
		limit int
		want  string
		kept  int
	}{
		{19, "aaaa\nbbbb\ncccc\ndddd", 4},
		{18, "aaaa\n… и ещё 3", 1}, // two lines and a tail would be 19
		{14, "aaaa\n… и ещё 3", 1},
		{13, "… и ещё 4", 0},
		{9, "… и ещё 4", 0},
		{3, "", 0},
	}
	for _, tt := range tests {
		got, kept := cutLines(lines, tt.limit)
		if got != tt.want || kept != tt.kept {
			t.Errorf("cutLines(limit %d) = %q, %d; want %q, %d", tt.limit, got, kept, tt.want, tt.kept)
		}
	}
}

func TestOrder_longCart(t *testing.T) {
	o := testOrder()
	p := o.Products[0]
	o.Products = nil
	for i := 0; i < 300; i++ {
		p.Name = fmt.Sprintf("Товар с длинным названием номер %d", i)
		o.Products = append(o.Products, p)
	}
	d, err := newTestMapper(t, testConfig(), testMeta()).Order(o)
	if err != nil {
		t.Fatalf("Order: %v", err)
	}
	goods := fieldText(d.Lead.CustomFieldsValues, fieldGoods)
	if n := utf8.RuneCountInString(goods); n > TextareaLimit {
		t.Errorf("goods has %d runes, limit %d", n, TextareaLimit)
	}
	if !strings.Contains(goods, "… и ещё ") {
		t.Errorf("goods does not say how many were left out: …%s", goods[len(goods)-40:])
	}
	if !strings.Contains(strings.Join(d.Notes, "\n"), "of 300 products listed") {
		t.Errorf("notes %q do not record the cut", d.Notes)
	}
}

// FuzzCutLines: the result fits, keeps whole lines from the start, and
// counts what it left out.
func FuzzCutLines(f *testing.F) {
	f.Add("a\nbb\nccc", 5)
	f.Add("Футболка × 2\nКружка", 12)
	f.Fuzz(func(t *testing.T, text string, limit int) {
		if limit < 0 || limit > 1000 || !utf8.ValidString(text) {
			t.Skip()
		}
		lines := strings.Split(text, "\n")
		got, kept := cutLines(lines, limit)
		if utf8.RuneCountInString(got) > limit {
			t.Fatalf("%q over limit %d", got, limit)
		}
		if kept == len(lines) {
			if got != text {
				t.Fatalf("nothing cut but %q != %q", got, text)
			}
			return
		}
		if got == "" {
			return
		}
		prefix := strings.Join(append(lines[:kept:kept], moreTail(len(lines)-kept)), "\n")
		if got != prefix {
			t.Fatalf("got %q, want %q", got, prefix)
		}
	})
}
