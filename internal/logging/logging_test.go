package logging

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

const secret = "s3cr3t-value"

// logSecrets logs every way a secret could slip into a line.
func logSecrets(log *slog.Logger) {
	log.Info("token refreshed", "access_token", secret, "Client_Secret", secret,
		slog.Group("modx", "password", secret), "order_id", 7)
	log.With("refresh_token", secret).Warn("saved")
}

func TestFormats(t *testing.T) {
	t.Setenv("JOURNAL_STREAM", "")
	tests := []struct {
		format string
		want   []string
	}{
		{"json", []string{`"time":`, `"level":"INFO"`, `"msg":"token refreshed"`, `"order_id":7`, `"access_token":"[redacted]"`}},
		{"text", []string{"time=", "level=INFO", `msg="token refreshed"`, "order_id=7", "modx.password=[redacted]"}},
		{"auto", []string{"time=", "level=WARN", "refresh_token=[redacted]", "Client_Secret=[redacted]"}},
		{"", []string{"time=", "level=INFO"}},
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		log, err := New(&buf, "info", tt.format)
		if err != nil {
			t.Fatalf("New(%q): %v", tt.format, err)
		}
		logSecrets(log)
		got := buf.String()
		for _, w := range tt.want {
			if !strings.Contains(got, w) {
				t.Errorf("format %q: output lacks %q:\n%s", tt.format, w, got)
			}
		}
		if strings.Contains(got, secret) {
			t.Errorf("format %q: secret in output:\n%s", tt.format, got)
		}
		if tt.format == "json" {
			for _, line := range strings.Split(strings.TrimSpace(got), "\n") {
				if !json.Valid([]byte(line)) {
					t.Errorf("json: invalid line %q", line)
				}
			}
		}
	}
}

func TestLevel(t *testing.T) {
	tests := []struct {
		level      string
		debug, err bool // whether a debug / an error line is written
	}{
		{"debug", true, true},
		{"", false, true},
		{"info", false, true},
		{"warn", false, true},
		{"error", false, true},
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		log, err := New(&buf, tt.level, "text")
		if err != nil {
			t.Fatalf("New(level %q): %v", tt.level, err)
		}
		log.Debug("debug line")
		log.Error("error line")
		got := buf.String()
		if strings.Contains(got, "debug line") != tt.debug || strings.Contains(got, "error line") != tt.err {
			t.Errorf("level %q: got %q, want debug=%v error=%v", tt.level, got, tt.debug, tt.err)
		}
	}
}

func TestBadSettings(t *testing.T) {
	for _, tt := range []struct{ level, format string }{{"loud", "text"}, {"info", "xml"}} {
		if _, err := New(&bytes.Buffer{}, tt.level, tt.format); err == nil {
			t.Errorf("New(%q, %q): got nil error, want one", tt.level, tt.format)
		}
	}
}

// streamOf returns f's $JOURNAL_STREAM value, as systemd would set it.
func streamOf(t *testing.T, f *os.File) string {
	t.Helper()
	fi, err := f.Stat()
	if err != nil {
		t.Fatalf("stat: %v", err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	return fmt.Sprintf("%d:%d", st.Dev, st.Ino)
}

func TestJournald(t *testing.T) {
	dir := t.TempDir()
	journal, err := os.Create(filepath.Join(dir, "journal"))
	if err != nil {
		t.Fatal(err)
	}
	defer journal.Close()
	other, err := os.Create(filepath.Join(dir, "other"))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	t.Setenv("JOURNAL_STREAM", streamOf(t, journal))

	for _, f := range []*os.File{journal, other} {
		log, err := New(f, "debug", "auto")
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		log.With("run", 1).Debug("pass started")
		log.WithGroup("api").Error("request failed", "code", 500)
		logSecrets(log)
	}

	got := readFile(t, journal.Name())
	want := "<7>level=DEBUG msg=\"pass started\" run=1\n" +
		"<3>level=ERROR msg=\"request failed\" api.code=500\n" +
		"<6>level=INFO msg=\"token refreshed\" access_token=[redacted] Client_Secret=[redacted] modx.password=[redacted] order_id=7\n" +
		"<4>level=WARN msg=saved refresh_token=[redacted]\n"
	if got != want {
		t.Errorf("journald stream:\ngot  %q\nwant %q", got, want)
	}
	// Another file inherits the variable but is not the journal: keep time.
	if got := readFile(t, other.Name()); !strings.HasPrefix(got, "time=") {
		t.Errorf("redirected stream: got %q, want lines starting with time=", got)
	}
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
