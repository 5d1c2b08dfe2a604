package transform

import (
	"errors"
	"strconv"
	"strings"
)

// decimal is a parsed decimal string. Money stays text from the database to
// here: no float ever rounds a price.
type decimal struct {
	neg      bool
	whole    string // digits, no leading zeros ("0" for zero)
	fraction string // digits, trailing zeros kept
}

var errDecimal = errors.New("not a decimal number")

func parseDecimal(s string) (decimal, error) {
	s = strings.TrimSpace(s)
	var d decimal
	if s != "" && (s[0] == '-' || s[0] == '+') {
		d.neg = s[0] == '-'
		s = s[1:]
	}
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" && frac == "" || !allDigits(whole) || !allDigits(frac) {
		return decimal{}, errDecimal
	}
	d.whole = strings.TrimLeft(whole, "0")
	if d.whole == "" {
		d.whole = "0"
	}
	d.fraction = frac
	return d, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// RoundPrice rounds a decimal string half up (half away from zero) to an
// integer: amoCRM's deal price is an integer. "1499.50" -> 1500, "0.49" -> 0.
func RoundPrice(s string) (int64, error) {
	d, err := parseDecimal(s)
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseInt(d.whole, 10, 64)
	if err != nil {
		return 0, err
	}
	if d.fraction != "" && d.fraction[0] >= '5' {
		n++
	}
	if d.neg {
		n = -n
	}
	return n, nil
}

// displayDecimal drops a zero fraction for people: "1500.00" -> "1500",
// "1499.50" stays. Text that is not a number is returned trimmed.
func displayDecimal(s string) string {
	d, err := parseDecimal(s)
	if err != nil {
		return strings.TrimSpace(s)
	}
	out := d.whole
	if f := strings.TrimRight(d.fraction, "0"); f != "" {
		out += "." + d.fraction
	}
	if d.neg && out != "0" {
		out = "-" + out
	}
	return out
}
