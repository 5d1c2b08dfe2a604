package report

import (
	"bufio"
	_ "embed"
	"fmt"
	"html/template"
	"io"

	"github.com/modx-amocrm/modx-amocrm/internal/plan"
)

// HTMLOptions shape the HTML report.
type HTMLOptions struct {
	Title string // page title and heading; empty means "modx-amocrm report"
}

//go:embed report.html.tmpl
var htmlSource string

// htmlTemplates escape every value: shop data is untrusted text.
var htmlTemplates = template.Must(template.New("report").Funcs(template.FuncMap{"label": actionLabel}).Parse(htmlSource))

// htmlWriter streams one self-contained page: the head and table header on
// the first entry, a row per entry, and the summary at Close. The summary
// comes last in the file and is shown first by CSS order, so nothing is
// buffered and the page reads right even with JavaScript off.
type htmlWriter struct {
	out     *bufio.Writer
	title   string
	tally   tally
	started bool
}

// NewHTML returns a writer of the self-contained HTML report.
func NewHTML(w io.Writer, opts HTMLOptions) Writer {
	if opts.Title == "" {
		opts.Title = "modx-amocrm report"
	}
	return &htmlWriter{out: bufio.NewWriter(w), title: opts.Title}
}

// htmlRow and htmlChange are flat, without embedded structs: templates
// resolve embedded fields by a slow reflective search, once per row.
type htmlRow struct {
	Action            plan.Action
	Label             string // the action's
	Kind, Source, Key string
	AmoID             int64
	Title, Reason     string
	Changes           []htmlChange
}

type htmlChange struct {
	Field                    string
	Created                  bool // no old value: show the new one whole
	Prefix, Old, New, Suffix string
}

func (w *htmlWriter) Write(e plan.Entry) error {
	if err := w.tally.add(e); err != nil {
		return err
	}
	if err := w.open(); err != nil {
		return err
	}
	row := htmlRow{
		Action:  e.Action,
		Label:   actionLabel(e.Action),
		Kind:    visible(kindLabel(e.Kind), false),
		Source:  visible(e.Source, false),
		Key:     visible(e.Key, false),
		AmoID:   e.AmoID,
		Title:   visible(e.Title, false),
		Reason:  visible(e.Reason, true),
		Changes: make([]htmlChange, len(e.Changes)),
	}
	for i, c := range e.Changes {
		sp := splitChange(visible(c.Old, true), visible(c.New, true))
		row.Changes[i] = htmlChange{
			Field:   visible(c.Field, false),
			Created: e.Action == plan.Create,
			Prefix:  sp.Prefix, Old: sp.Old, New: sp.New, Suffix: sp.Suffix,
		}
	}
	if err := htmlTemplates.ExecuteTemplate(w.out, "row", row); err != nil {
		return fmt.Errorf("write html report entry %s: %w", e.Key, err)
	}
	return nil
}

func (w *htmlWriter) open() error {
	if w.started {
		return nil
	}
	w.started = true
	if err := htmlTemplates.ExecuteTemplate(w.out, "head", struct{ Title string }{w.title}); err != nil {
		return fmt.Errorf("write html report head: %w", err)
	}
	return nil
}

type htmlFoot struct {
	Title                       string
	DryRun                      bool
	Covered                     []string // the sources the pass covered
	Sources                     []string // the sources seen, for the filter
	Started, Finished, Duration string
	Error                       string
	Requests                    int
	Actions                     []plan.Action
	Rows                        []htmlCountRow
	Creates                     []creation
	Kinds                       []string
	Total                       int
}

// htmlCountRow is a row of the counts table; Kind is empty for the totals.
type htmlCountRow struct {
	Kind  string
	Cells []htmlCount
}

type htmlCount struct {
	Action plan.Action
	Kind   string
	N      int
}

func (w *htmlWriter) Close(s Summary) error {
	w.tally.addUnlisted(s.Unlisted)
	if err := w.open(); err != nil {
		return err
	}
	foot := htmlFoot{
		Title:    w.title,
		DryRun:   s.DryRun,
		Covered:  s.Sources,
		Sources:  w.tally.sourceList(),
		Started:  s.formatTime(s.Started),
		Finished: s.formatTime(s.Finished),
		Error:    s.Error,
		Duration: s.took(),
		Requests: s.Requests,
		Actions:  actions[:],
		Creates:  w.tally.creates,
		Total:    w.tally.total,
	}
	if w.tally.total > 0 {
		for _, kc := range w.tally.rows() {
			kind := kindLabel(kc.Kind) // as the rows show it, so the links filter them
			foot.Kinds = append(foot.Kinds, kind)
			foot.Rows = append(foot.Rows, countRow(kind, kc))
		}
		foot.Rows = append(foot.Rows, countRow("", w.tally.totals()))
	}
	if err := htmlTemplates.ExecuteTemplate(w.out, "foot", foot); err != nil {
		return fmt.Errorf("write html report summary: %w", err)
	}
	if err := w.out.Flush(); err != nil {
		return fmt.Errorf("write html report: %w", err)
	}
	return nil
}

func countRow(kind string, kc kindCounts) htmlCountRow {
	row := htmlCountRow{Kind: kind}
	for i, n := range kc.byAction() {
		row.Cells = append(row.Cells, htmlCount{Action: actions[i], Kind: kind, N: n})
	}
	return row
}
