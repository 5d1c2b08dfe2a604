package report

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/plan"
)

// schemaVersion is bumped on any incompatible change of the JSON report.
const schemaVersion = 1

type jsonWriter struct {
	out     *bufio.Writer
	tally   tally
	started bool // the opening of the document has been written
}

// NewJSON returns a writer of the JSON report described in the package
// documentation. Entries are written as they come, one per line.
func NewJSON(w io.Writer) Writer {
	return &jsonWriter{out: bufio.NewWriter(w)}
}

func (w *jsonWriter) Write(e plan.Entry) error {
	if err := w.tally.add(e); err != nil {
		return err
	}
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encode report entry %s: %w", e.Key, err)
	}
	w.open()
	if w.tally.total > 1 {
		w.out.WriteByte(',')
	}
	w.out.WriteByte('\n')
	// bufio keeps the first write error, so this reports any of the above.
	if _, err := w.out.Write(b); err != nil {
		return fmt.Errorf("write json report: %w", err)
	}
	return nil
}

func (w *jsonWriter) open() {
	if !w.started {
		fmt.Fprintf(w.out, `{"schema_version":%d,"entries":[`, schemaVersion)
		w.started = true
	}
}

// jsonTail is everything after the entries array.
type jsonTail struct {
	DryRun   bool        `json:"dry_run"`
	Sources  []string    `json:"sources"`
	Started  time.Time   `json:"started"`
	Finished time.Time   `json:"finished"`
	Requests int         `json:"requests"`
	Error    string      `json:"error,omitempty"`
	Summary  jsonSummary `json:"summary"`
}

type jsonSummary struct {
	Entries     int          `json:"entries"`
	Counts      []kindCounts `json:"counts"`
	Totals      kindCounts   `json:"totals"`
	WouldCreate []creation   `json:"would_create"`
}

func (w *jsonWriter) Close(s Summary) error {
	w.tally.addUnlisted(s.Unlisted)
	tail := jsonTail{
		DryRun:   s.DryRun,
		Sources:  nonNil(s.Sources),
		Started:  s.Started.UTC(),
		Finished: s.Finished.UTC(),
		Requests: s.Requests,
		Error:    s.Error,
		Summary: jsonSummary{
			Entries:     w.tally.total,
			Counts:      nonNil(w.tally.rows()),
			Totals:      w.tally.totals(),
			WouldCreate: nonNil(w.tally.creates),
		},
	}
	b, err := json.Marshal(tail)
	if err != nil {
		return fmt.Errorf("encode report summary: %w", err)
	}
	w.open()
	w.out.WriteString("\n],")
	w.out.Write(b[1:]) // the tail's fields continue the document's object
	w.out.WriteByte('\n')
	if err := w.out.Flush(); err != nil {
		return fmt.Errorf("write json report: %w", err)
	}
	return nil
}

// nonNil makes an empty list encode as [] rather than null, as documented.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
