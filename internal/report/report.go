package report

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/plan"
)

// actions is the display order of every report.
var actions = [...]plan.Action{plan.Create, plan.Update, plan.Unchanged, plan.Skip, plan.Fail}

// actionLabel is how the text and HTML reports name an action: a record
// that fails is parked, the word of the summary line, `failed` and exit
// code 3. The JSON report keeps the schema's "fail".
func actionLabel(a plan.Action) string {
	if a == plan.Fail {
		return "park"
	}
	return string(a)
}

// kindLabel is how the text and HTML reports name a kind: amoCRM's API
// calls a deal a lead, its screens and people call it a deal. The JSON
// report keeps the schema's "lead".
func kindLabel(kind string) string {
	if kind == "lead" {
		return "deal"
	}
	return kind
}

// Summary is what the caller knows about the pass as a whole. Counts per
// kind and action are not part of it: every writer tallies the entries it
// was given (plus Unlisted), so the numbers it prints cannot disagree with
// its rows.
type Summary struct {
	DryRun   bool
	Sources  []string // the sources the pass covered, as given to -only
	Started  time.Time
	Finished time.Time
	Requests int // amoCRM API requests made (reads only, in a dry run)
	// Unlisted are entities counted but not listed, by kind and action (the
	// many unchanged users of a full comparison): the counts include them,
	// so they agree with the pass's summary line.
	Unlisted map[string]map[plan.Action]int
	// Error is why the pass failed, when it did; the entries are then what
	// was planned before. It never holds a secret (errors never do).
	Error string
	// Location is the zone the text and HTML reports show times in: the
	// shop's, as their reasons and `failed` do. Nil is UTC; JSON is UTC.
	Location *time.Location
}

// took is how long the pass ran, or "" when a time is missing.
func (s Summary) took() string {
	if s.Started.IsZero() || s.Finished.IsZero() {
		return ""
	}
	return s.Finished.Sub(s.Started).Round(time.Millisecond).String()
}

// formatTime is a time as the text and HTML reports show it: in the
// summary's zone, to the second.
func (s Summary) formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	loc := s.Location
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc).Format(time.DateTime + " MST")
}

// Writer renders entries as they are planned. Close writes the summary and
// flushes; the writer must not be used after it. Writers are not safe for
// concurrent use.
type Writer interface {
	Write(plan.Entry) error
	Close(Summary) error
}

// ErrUnknownFormat is returned by Open for a path that is neither .json nor .html.
var ErrUnknownFormat = errors.New("report format must be .json or .html")

// Open creates the report file named by path, choosing the format by its
// extension. The file is created 0600: reports hold customers' names and
// phones. The returned Closer closes the file after Writer.Close.
func Open(path string) (Writer, io.Closer, error) {
	var newWriter func(io.Writer) Writer
	switch strings.ToLower(filepath.Ext(path)) {
	case ".json":
		newWriter = NewJSON
	case ".html", ".htm":
		newWriter = func(w io.Writer) Writer {
			return NewHTML(w, HTMLOptions{Title: "modx-amocrm: " + filepath.Base(path)})
		}
	default:
		return nil, nil, fmt.Errorf("open report %s: %w", path, ErrUnknownFormat)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("open report: %w", err)
	}
	return newWriter(f), f, nil
}

// Multi writes every entry and the summary to all ws, e.g. the terminal
// report and a -report file.
func Multi(ws ...Writer) Writer { return multi(ws) }

type multi []Writer

func (m multi) Write(e plan.Entry) error {
	for _, w := range m {
		if err := w.Write(e); err != nil {
			return err
		}
	}
	return nil
}

// Close closes every writer, even after one fails, so no file is left unflushed.
func (m multi) Close(s Summary) error {
	var errs []error
	for _, w := range m {
		errs = append(errs, w.Close(s))
	}
	return errors.Join(errs...)
}
