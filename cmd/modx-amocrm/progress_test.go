package main

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestProgressText(t *testing.T) {
	tests := []struct {
		done, total int
		elapsed     time.Duration
		want        string
	}{
		{0, 0, 0, "syncing: 0 rows, 0s"},
		{1000, 0, 4 * time.Second, "syncing: 1000 rows, 250 rows/s, 4s"},
		{50, 200, 500 * time.Millisecond, "syncing [#####...............] 50 of at most 200 rows (25%), 1s"},
		{200, 200, 10 * time.Second, "syncing [####################] 200 of at most 200 rows (100%), 20 rows/s, 10s"},
		// Past an estimate: a count, never 150 % nor a bar that overflows.
		{300, 200, 10 * time.Second, "syncing: 300 rows, 30 rows/s, 10s"},
	}
	for _, tc := range tests {
		if got := progressText(tc.done, tc.total, tc.elapsed); got != tc.want {
			t.Errorf("progressText(%d, %d, %s) = %q, want %q", tc.done, tc.total, tc.elapsed, got, tc.want)
		}
	}
}

// TestProgressLine: the line is redrawn in place at most every redrawEvery,
// a shorter line blanks the rest of the longer one, and clear leaves an
// empty line.
func TestProgressLine(t *testing.T) {
	var out bytes.Buffer
	start := time.Unix(0, 0)
	now := start
	p := &progressLine{w: &out, started: start, now: func() time.Time { return now }}
	now = now.Add(time.Second)
	p.update(10, 100)
	p.update(20, 100) // within redrawEvery: not drawn
	now = now.Add(time.Second)
	p.update(300, 100)
	p.clear()
	first := "syncing [##..................] 10 of at most 100 rows (10%), 10 rows/s, 1s"
	second := "syncing: 300 rows, 150 rows/s, 2s"
	want := "\r" + first + "\r" + second + strings.Repeat(" ", len([]rune(first))-len(second)) +
		"\r" + strings.Repeat(" ", len([]rune(first))) + "\r"
	if got := out.String(); got != want {
		t.Errorf("terminal got\n%q\nwant\n%q", got, want)
	}
}

// TestProgressLog: off a terminal, progress is a log line that names a
// total only when one is known.
func TestProgressLog(t *testing.T) {
	for _, tc := range []struct {
		done, total int
		want        string
	}{
		{1000, 0, "level=INFO msg=progress done=1000\n"},
		{1000, 4000, "level=INFO msg=progress done=1000 total=4000\n"},
		{5000, 4000, "level=INFO msg=progress done=5000\n"},
	} {
		var logged bytes.Buffer
		log := slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		}}))
		progress, done := newProgress(&bytes.Buffer{}, false, log)
		progress(tc.done, tc.total)
		done()
		if got := logged.String(); got != tc.want {
			t.Errorf("progress(%d, %d) logged %q, want %q", tc.done, tc.total, got, tc.want)
		}
	}
}
