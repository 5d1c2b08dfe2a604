package main

import (
	"bytes"
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

func TestRunUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no flags", nil, "-binary and -version are required"},
		{"no version", []string{"-binary", "x"}, "-binary and -version are required"},
		{"an argument", []string{"-binary", "x", "-version", "v1.0.0", "extra"}, "unexpected arguments"},
		{"unknown flag", []string{"-arch", "amd64"}, "flag provided but not defined"},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		err := run(tt.args, &stdout, &stderr)
		var uerr usageError
		if !errors.As(err, &uerr) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: run(%q) = %v, want a usage error containing %q", tt.name, tt.args, err, tt.want)
		}
		if stdout.Len() != 0 {
			t.Errorf("%s: printed %q, want no package path", tt.name, stdout.String())
		}
	}
}

func TestRunRefusesBadInput(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "soon")
	if err := run([]string{"-binary", "x", "-version", "v1.0.0"}, &bytes.Buffer{}, &bytes.Buffer{}); !errors.As(err, new(usageError)) {
		t.Errorf("SOURCE_DATE_EPOCH=soon: run = %v, want a usage error", err)
	}
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	notBinary := filepath.Join(t.TempDir(), "README.md")
	writeFiles(t, filepath.Dir(notBinary), map[string]string{"README.md": "# not a binary\n"})
	err := run([]string{"-binary", notBinary, "-version", "v1.0.0", "-o", t.TempDir()}, &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "read build info of "+notBinary) {
		t.Errorf("run on a text file = %v, want it to say it cannot read the build info", err)
	}
}
