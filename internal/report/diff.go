package report

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// split is a changed value cut around the part that differs, so a report
// can highlight "…Ленина 5…" -> "…Ленина 7…" instead of two whole addresses.
type split struct {
	Prefix, Old, New, Suffix string
}

// splitChange finds the longest common prefix and suffix of old and new,
// on rune boundaries so Cyrillic and emoji are never cut in half.
func splitChange(old, new string) split {
	p := 0
	for p < len(old) && p < len(new) {
		r1, n1 := utf8.DecodeRuneInString(old[p:])
		r2, n2 := utf8.DecodeRuneInString(new[p:])
		if r1 != r2 || n1 != n2 {
			break
		}
		p += n1
	}
	s := 0
	for s < len(old)-p && s < len(new)-p {
		r1, n1 := utf8.DecodeLastRuneInString(old[:len(old)-s])
		r2, n2 := utf8.DecodeLastRuneInString(new[:len(new)-s])
		if r1 != r2 || n1 != n2 {
			break
		}
		s += n1
	}
	return split{Prefix: old[:p], Old: old[p : len(old)-s], New: new[p : len(new)-s], Suffix: old[len(old)-s:]}
}

// visible makes shop data safe to show: control characters (an ESC from a
// shop's database could drive the operator's terminal) become U+FFFD, and
// newlines and tabs become spaces unless multiline.
func visible(s string, multiline bool) string {
	if !strings.ContainsFunc(s, unicode.IsControl) {
		return s
	}
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\t':
			if multiline {
				return r
			}
			return ' '
		case r == '\r':
			if multiline {
				return -1 // CRLF from a form reads as one line break
			}
			return ' '
		case unicode.IsControl(r):
			return utf8.RuneError
		}
		return r
	}, s)
}

// oneLine is visible for a single terminal line.
func oneLine(s string) string { return visible(s, false) }

// shorten cuts s to at most n runes, ending it with "…" when cut.
func shorten(s string, n int) string {
	if n < 1 {
		n = 1
	}
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	i := 0
	for range n - 1 {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return s[:i] + "…"
}
