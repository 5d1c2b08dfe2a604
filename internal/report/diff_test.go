package report

import "testing"

func TestSplitChange(t *testing.T) {
	tests := []struct {
		old, new string
		want     split
	}{
		{"ул. Ленина, д. 5", "ул. Ленина, д. 7", split{"ул. Ленина, д. ", "5", "7", ""}},
		{"Новый", "Оплачен ✅", split{"", "Новый", "Оплачен ✅", ""}},
		{"", "3000", split{"", "", "3000", ""}},
		{"1990", "", split{"", "1990", "", ""}},
		{"same", "same", split{"same", "", "", ""}},
		{"aXb", "aYYb", split{"a", "X", "YY", "b"}},
		// Runes sharing a leading byte (д, е) must not be split mid-rune.
		{"где", "гдд", split{"гд", "е", "д", ""}},
		{"😀 ok", "😁 ok", split{"", "😀", "😁", " ok"}},
		// A common prefix and suffix that overlap are counted once.
		{"aa", "aaa", split{"aa", "", "a", ""}},
	}
	for _, tt := range tests {
		if got := splitChange(tt.old, tt.new); got != tt.want {
			t.Errorf("splitChange(%q, %q) = %q, want %q", tt.old, tt.new, got, tt.want)
		}
	}
}

func TestShorten(t *testing.T) {
	tests := []struct {
		s    string
		n    int
		want string
	}{
		{"Заказ", 5, "Заказ"},
		{"Заказ с сайта", 6, "Заказ…"},
		{"😀😀😀", 2, "😀…"},
		{"abc", 0, "…"},
	}
	for _, tt := range tests {
		if got := shorten(tt.s, tt.n); got != tt.want {
			t.Errorf("shorten(%q, %d) = %q, want %q", tt.s, tt.n, got, tt.want)
		}
	}
}

func TestVisible(t *testing.T) {
	tests := []struct {
		s         string
		multiline bool
		want      string
	}{
		{"a\nb\tc\r\n", false, "a b c  "},
		{"a\nb\tc\r\n", true, "a\nb\tc\n"},
		{"\x1b[31mred", false, "\ufffd[31mred"},
		{"\x1b[31mred", true, "\ufffd[31mred"},
		{"Привет 👋", false, "Привет 👋"},
	}
	for _, tt := range tests {
		if got := visible(tt.s, tt.multiline); got != tt.want {
			t.Errorf("visible(%q, %v) = %q, want %q", tt.s, tt.multiline, got, tt.want)
		}
	}
}
