package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/modx-amocrm/modx-amocrm/internal/plan"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// render writes entries and summary through the writer newWriter makes.
func render(t *testing.T, newWriter func(*bytes.Buffer) Writer, entries []plan.Entry, s Summary) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := newWriter(&buf)
	for _, e := range entries {
		if err := w.Write(e); err != nil {
			t.Fatalf("Write(%s): %v", e.Key, err)
		}
	}
	if err := w.Close(s); err != nil {
		t.Fatalf("Close: %v", err)
	}
	return buf.Bytes()
}

// checkGolden compares got with testdata/name, or rewrites it under -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if bytes.Equal(got, want) {
		return
	}
	gotLines, wantLines := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := range min(len(gotLines), len(wantLines)) {
		if gotLines[i] != wantLines[i] {
			t.Fatalf("%s line %d:\ngot  %q\nwant %q\n(run with -update if the change is intended)", name, i+1, gotLines[i], wantLines[i])
		}
	}
	t.Fatalf("%s: got %d lines, want %d (run with -update if the change is intended)", name, len(gotLines), len(wantLines))
}

func TestGolden(t *testing.T) {
	html := func(b *bytes.Buffer) Writer {
		return NewHTML(b, HTMLOptions{Title: "Пробный прогон 🧪"})
	}
	json := func(b *bytes.Buffer) Writer { return NewJSON(b) }
	tests := []struct {
		golden    string
		newWriter func(*bytes.Buffer) Writer
		entries   []plan.Entry
		summary   Summary
	}{
		{"text.golden", func(b *bytes.Buffer) Writer { return NewText(b, TextOptions{}) }, sampleEntries(), sampleSummary()},
		{"text-color-60.golden", func(b *bytes.Buffer) Writer { return NewText(b, TextOptions{Color: true, Width: 60}) },
			sampleEntries(), sampleSummary()},
		// Capped: what needs a person first (park, skip, update, create).
		{"text-capped.golden", func(b *bytes.Buffer) Writer {
			return NewText(b, TextOptions{MaxEntries: 4, FullReport: "/tmp/modx-amocrm-dry-run-1.html"})
		}, sampleEntries(), sampleSummary()},
		{"json.golden", json, sampleEntries(), sampleSummary()},
		{"html.golden", html, sampleEntries(), sampleSummary()},
		// A failed pass says so, with its error and real times, instead of "nothing to do".
		{"text-failed.golden", func(b *bytes.Buffer) Writer { return NewText(b, TextOptions{}) }, nil, failedSummary()},
		{"json-failed.golden", json, nil, failedSummary()},
		{"html-failed.golden", html, nil, failedSummary()},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			checkGolden(t, tt.golden, render(t, tt.newWriter, tt.entries, tt.summary))
		})
	}
}

func TestTextHasNoEscapesWithoutColor(t *testing.T) {
	got := render(t, func(b *bytes.Buffer) Writer { return NewText(b, TextOptions{}) }, sampleEntries(), sampleSummary())
	if bytes.ContainsRune(got, 0x1b) {
		t.Errorf("text report without Color holds an ESC byte:\n%s", got)
	}
	if !strings.HasPrefix(string(got), "modx-amocrm dry run") {
		t.Errorf("text report starts with %q, want the summary first", strings.SplitN(string(got), "\n", 2)[0])
	}
}

func TestTextShortensToWidth(t *testing.T) {
	const width = 60
	got := render(t, func(b *bytes.Buffer) Writer { return NewText(b, TextOptions{Width: width}) }, sampleEntries(), sampleSummary())
	for _, line := range strings.Split(string(got), "\n") {
		if n := len([]rune(line)); n > width {
			t.Errorf("line of %d runes, want at most %d: %q", n, width, line)
		}
	}
}

func TestJSONSchema(t *testing.T) {
	entries := sampleEntries()
	got := render(t, func(b *bytes.Buffer) Writer { return NewJSON(b) }, entries, sampleSummary())
	var doc struct {
		SchemaVersion int          `json:"schema_version"`
		DryRun        bool         `json:"dry_run"`
		Entries       []plan.Entry `json:"entries"`
		Summary       struct {
			Entries int `json:"entries"`
			Totals  struct {
				Create, Update, Unchanged, Skip, Fail int
			} `json:"totals"`
			WouldCreate []creation `json:"would_create"`
		} `json:"summary"`
	}
	if err := json.Unmarshal(got, &doc); err != nil {
		t.Fatalf("report is not valid JSON: %v\n%s", err, got)
	}
	if doc.SchemaVersion != 1 || !doc.DryRun {
		t.Errorf("schema_version=%d dry_run=%v, want 1 true", doc.SchemaVersion, doc.DryRun)
	}
	if len(doc.Entries) != len(entries) || doc.Summary.Entries != len(entries) {
		t.Fatalf("got %d entries (summary says %d), want %d", len(doc.Entries), doc.Summary.Entries, len(entries))
	}
	if got, want := doc.Entries[3].Changes[0], entries[3].Changes[0]; got != want {
		t.Errorf("entry 3 change = %+v, want %+v", got, want)
	}
	if got, want := doc.Summary.Totals.Update, 3; got != want {
		t.Errorf("totals.update = %d, want %d", got, want)
	}
	if got, want := len(doc.Summary.WouldCreate), 2; got != want {
		t.Errorf("would_create has %d items, want %d (a field and a pipeline)", got, want)
	}
}

func TestEmptyReports(t *testing.T) {
	tests := []struct {
		name      string
		newWriter func(*bytes.Buffer) Writer
		want      string
	}{
		{"text", func(b *bytes.Buffer) Writer { return NewText(b, TextOptions{}) }, "nothing to do"},
		{"json", func(b *bytes.Buffer) Writer { return NewJSON(b) }, `"entries":[` + "\n]"},
		{"html", func(b *bytes.Buffer) Writer { return NewHTML(b, HTMLOptions{}) }, "nothing to do"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(render(t, tt.newWriter, nil, Summary{}))
			if !strings.Contains(got, tt.want) {
				t.Errorf("empty %s report lacks %q:\n%s", tt.name, tt.want, got)
			}
		})
	}
	var v any
	if err := json.Unmarshal(render(t, func(b *bytes.Buffer) Writer { return NewJSON(b) }, nil, Summary{}), &v); err != nil {
		t.Errorf("empty json report is invalid: %v", err)
	}
}

func TestHTMLEscapesAndIsSelfContained(t *testing.T) {
	got := string(render(t, func(b *bytes.Buffer) Writer { return NewHTML(b, HTMLOptions{}) }, sampleEntries(), sampleSummary()))
	for _, bad := range []string{`<script>alert`, `<img src=x`, `<b>" is invalid`, "http://", "https://", "\x1b"} {
		if strings.Contains(got, bad) {
			t.Errorf("html report contains %q", bad)
		}
	}
	for _, want := range []string{`<meta charset="utf-8">`, `&lt;script&gt;alert(`, "Оплачен ✅", `<del>5</del>`, `<ins>7 🏠</ins>`} {
		if !strings.Contains(got, want) {
			t.Errorf("html report lacks %q", want)
		}
	}
}

func TestWriteRejectsUnknownAction(t *testing.T) {
	for name, w := range map[string]Writer{
		"text": NewText(new(bytes.Buffer), TextOptions{}),
		"json": NewJSON(new(bytes.Buffer)),
		"html": NewHTML(new(bytes.Buffer), HTMLOptions{}),
	} {
		if err := w.Write(plan.Entry{Key: "order:1", Action: "delete"}); err == nil {
			t.Errorf("%s: Write with action delete: got nil error", name)
		}
	}
}

func TestOpen(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"r.json", "r.html", "R.HTML"} {
		path := filepath.Join(dir, name)
		w, f, err := Open(path)
		if err != nil {
			t.Fatalf("Open(%s): %v", name, err)
		}
		if err := w.Write(sampleEntries()[2]); err != nil {
			t.Fatal(err)
		}
		if err := errors.Join(w.Close(sampleSummary()), f.Close()); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := fi.Mode().Perm(), os.FileMode(0o600); got != want {
			t.Errorf("%s mode = %v, want %v", name, got, want)
		}
		if fi.Size() == 0 {
			t.Errorf("%s is empty", name)
		}
	}
	if _, _, err := Open(filepath.Join(dir, "r.txt")); !errors.Is(err, ErrUnknownFormat) {
		t.Errorf("Open(r.txt) error = %v, want ErrUnknownFormat", err)
	}
}

func TestMultiWritesAll(t *testing.T) {
	var text, js bytes.Buffer
	w := Multi(NewText(&text, TextOptions{}), NewJSON(&js))
	for _, e := range sampleEntries() {
		if err := w.Write(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(sampleSummary()); err != nil {
		t.Fatal(err)
	}
	for name, got := range map[string]string{"text": text.String(), "json": js.String()} {
		if !strings.Contains(got, "order:2311") {
			t.Errorf("%s output lacks order:2311", name)
		}
	}
}

func TestTextSpoolLeavesNoFile(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("TMPDIR", dir)
	w := NewText(new(bytes.Buffer), TextOptions{})
	if err := w.Write(sampleEntries()[0]); err != nil {
		t.Fatal(err)
	}
	files, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 0 {
		t.Errorf("spool left %d files in TMPDIR while open, want 0 (unlinked)", len(files))
	}
	if err := w.Close(sampleSummary()); err != nil {
		t.Fatal(err)
	}
}

// TestUnlistedAreCounted: entities counted but not listed (unchanged users)
// count in the totals, not in the entries, so a report agrees with the
// pass's summary line.
func TestUnlistedAreCounted(t *testing.T) {
	var buf bytes.Buffer
	w := NewJSON(&buf)
	if err := w.Write(plan.Entry{Source: "users", Kind: "contact", Key: "contact:phone:7900", Action: plan.Update}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(Summary{Unlisted: map[string]map[plan.Action]int{"contact": {plan.Unchanged: 5, plan.Skip: 2}}}); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Summary struct {
			Entries int        `json:"entries"`
			Totals  kindCounts `json:"totals"`
		} `json:"summary"`
	}
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("%v in %s", err, buf.String())
	}
	if got.Summary.Entries != 1 || got.Summary.Totals.Update != 1 || got.Summary.Totals.Unchanged != 5 || got.Summary.Totals.Skip != 2 {
		t.Errorf("got %+v, want 1 entry; 1 update, 5 unchanged, 2 skipped", got.Summary)
	}
}

// TestTextMaxEntries: a terminal gets the summary, the first entries and
// where the rest are.
func TestTextMaxEntries(t *testing.T) {
	var buf bytes.Buffer
	w := NewText(&buf, TextOptions{MaxEntries: 2, FullReport: "/tmp/r.html"})
	for i := range 5 {
		if err := w.Write(plan.Entry{Source: "orders", Kind: "lead", Key: "order:" + string(rune('1'+i)), Action: plan.Create, Title: "Заказ"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(Summary{}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if n := strings.Count(out, "order:"); n != 2 {
		t.Errorf("printed %d entries, want 2:\n%s", n, out)
	}
	if !strings.Contains(out, "… 3 more entries in the report: /tmp/r.html\n") {
		t.Errorf("no word of the 3 held entries and where they are:\n%s", out)
	}
	if !regexp.MustCompile(`(?m)^entries\s+5$`).MatchString(out) {
		t.Errorf("the summary does not count all 5 entries:\n%s", out)
	}
}

// TestTextNamesTheFullReport: a capped report that shows every entry still
// names the file holding them, as the dry run promises.
func TestTextNamesTheFullReport(t *testing.T) {
	var buf bytes.Buffer
	w := NewText(&buf, TextOptions{MaxEntries: 10, FullReport: "/tmp/r.html"})
	if err := w.Write(plan.Entry{Source: "orders", Kind: "lead", Key: "order:1", Action: plan.Create, Title: "Заказ"}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(Summary{}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(buf.String(), "\nthe report is also in /tmp/r.html\n") {
		t.Errorf("the report does not name its file:\n%s", buf.String())
	}
}
