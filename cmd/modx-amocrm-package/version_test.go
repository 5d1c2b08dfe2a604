package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func TestDebianVersion(t *testing.T) {
	tests := []struct {
		describe, want string
	}{
		{"v1.2.0", "1.2.0"},
		{"1.2.0", "1.2.0"},
		{"v1.2.0-rc.1", "1.2.0~rc.1"},
		{"v1.2.0-rc-1", "1.2.0~rc.1"},
		{"v1.2.0-3-gabc1234", "1.2.0+3.gabc1234"},
		{"v1.2.0-rc.1-3-gabc1234", "1.2.0~rc.1+3.gabc1234"},
		{"v1.2.0-3-gabc1234-dirty", "1.2.0+3.gabc1234.dirty"},
		{"v1.2.0-dirty", "1.2.0+dirty"},
		{"v0.0.0-23-gb8cbf8b", "0.0.0+23.gb8cbf8b"},
	}
	for _, tt := range tests {
		got, err := debianVersion(tt.describe)
		if err != nil || got != tt.want {
			t.Errorf("debianVersion(%q) = %q, %v; want %q", tt.describe, got, err, tt.want)
		}
	}
}

// TestDebianVersionOrder checks the point of the mapping with dpkg itself:
// Debian sorts the versions as their tags and commits came.
func TestDebianVersionOrder(t *testing.T) {
	if _, err := exec.LookPath("dpkg"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("CI needs dpkg to compare Debian versions")
		}
		t.Skip("no dpkg to compare Debian versions with")
	}
	ordered := []string{"v1.1.9", "v1.2.0-rc.1", "v1.2.0-rc.1-4-g0000001", "v1.2.0", "v1.2.0-3-gfffffff", "v1.2.0-10-g0000000", "v1.2.1"}
	for i := 1; i < len(ordered); i++ {
		a, _ := debianVersion(ordered[i-1])
		b, _ := debianVersion(ordered[i])
		if err := exec.Command("dpkg", "--compare-versions", a, "lt", b).Run(); err != nil {
			t.Errorf("%s (%s) does not sort before %s (%s)", ordered[i-1], a, ordered[i], b)
		}
	}
}

func TestDebianVersionRejects(t *testing.T) {
	for _, describe := range []string{"", "b8cbf8b", "v1.2", "version1", "v1.2.0_beta", "v1.2.0+meta"} {
		if got, err := debianVersion(describe); err == nil {
			t.Errorf("debianVersion(%q) = %q, want an error", describe, got)
		}
	}
}

func TestSourceDateEpoch(t *testing.T) {
	got, err := sourceDateEpoch("1700000000")
	if want := time.Unix(1700000000, 0).UTC(); err != nil || !got.Equal(want) {
		t.Errorf("sourceDateEpoch(1700000000) = %v, %v; want %v", got, err, want)
	}
	for _, bad := range []string{"yesterday", "-1", "1.5"} {
		if _, err := sourceDateEpoch(bad); err == nil || !strings.Contains(err.Error(), "SOURCE_DATE_EPOCH") {
			t.Errorf("sourceDateEpoch(%q) error = %v, want one naming SOURCE_DATE_EPOCH", bad, err)
		}
	}
	if got, err := sourceDateEpoch(""); err != nil || time.Since(got) > time.Minute {
		t.Errorf("sourceDateEpoch(\"\") = %v, %v; want about now", got, err)
	}
}
