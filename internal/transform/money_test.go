package transform

import "testing"

func TestRoundPrice(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		err  bool
	}{
		{"1499.50", 1500, false},
		{"1499.49", 1499, false},
		{"0.49", 0, false},
		{"0.5", 1, false},
		{"1500", 1500, false},
		{"1500.", 1500, false},
		{".5", 1, false},
		{" 007.999 ", 8, false},
		{"-2.5", -3, false},
		{"", 0, true},
		{"1,5", 0, true},
		{"1e3", 0, true},
		{"99999999999999999999", 0, true},
	}
	for _, tt := range tests {
		got, err := RoundPrice(tt.in)
		if got != tt.want || (err != nil) != tt.err {
			t.Errorf("RoundPrice(%q) = %d, %v; want %d, error %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestDisplayDecimal(t *testing.T) {
	for in, want := range map[string]string{
		"1500.00": "1500", "1499.50": "1499.50", "0.000": "0", "1.250": "1.250", "-0.00": "0", "n/a": "n/a",
	} {
		if got := displayDecimal(in); got != want {
			t.Errorf("displayDecimal(%q) = %q, want %q", in, got, want)
		}
	}
}
