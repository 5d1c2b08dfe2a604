package report

import (
	"bufio"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"unicode/utf8"

	"github.com/modx-amocrm/modx-amocrm/internal/plan"
)

// TextOptions shape the terminal report.
type TextOptions struct {
	Color bool // ANSI colours; the caller passes whether stdout is a terminal
	Width int  // line width that long values are shortened to; 0 means 100
	// MaxEntries keeps a terminal readable: the summary is printed whole,
	// then at most MaxEntries entries, what needs a person first (parked,
	// skipped, updated, created, unchanged; plan order within each), and
	// how many more there are and where FullReport (a path) holds them
	// all. 0 prints every entry, in plan order.
	MaxEntries int
	FullReport string
}

const (
	defaultWidth = 100
	minValue     = 12 // the shortest a shortened value gets, however narrow the terminal
)

// textWriter prints the summary first, although it is known only at Close.
// Entries are spooled to an unlinked temporary file as they come and
// printed after the summary, so memory stays flat for any number of
// entries; the spool also lets the columns be as wide as the widest key
// seen, which a streaming tabwriter could not do.
type textWriter struct {
	out   *bufio.Writer
	opts  TextOptions
	tally tally

	spool *os.File
	buf   *bufio.Writer
	enc   *gob.Encoder

	kindWidth, keyWidth, idWidth int
}

// NewText returns a writer of the aligned, human-readable report.
func NewText(w io.Writer, opts TextOptions) Writer {
	if opts.Width <= 0 {
		opts.Width = defaultWidth
	}
	return &textWriter{out: bufio.NewWriter(w), opts: opts}
}

func (w *textWriter) Write(e plan.Entry) error {
	if err := w.tally.add(e); err != nil {
		return err
	}
	if w.spool == nil {
		if err := w.openSpool(); err != nil {
			return err
		}
	}
	w.kindWidth = max(w.kindWidth, utf8.RuneCountInString(kindLabel(e.Kind)))
	w.keyWidth = min(max(w.keyWidth, utf8.RuneCountInString(e.Key)), w.maxKeyWidth())
	w.idWidth = max(w.idWidth, len(amoID(e.AmoID)))
	if err := w.enc.Encode(&e); err != nil {
		return fmt.Errorf("spool report entry %s: %w", e.Key, err)
	}
	return nil
}

func (w *textWriter) openSpool() error {
	f, err := os.CreateTemp("", "modx-amocrm-report-*")
	if err != nil {
		return fmt.Errorf("create report spool: %w", err)
	}
	// Unlinked at once: the open file stays readable, and nothing is left
	// behind if the pass dies before Close.
	if err := os.Remove(f.Name()); err != nil {
		f.Close()
		return fmt.Errorf("unlink report spool: %w", err)
	}
	w.spool = f
	w.buf = bufio.NewWriter(f)
	w.enc = gob.NewEncoder(w.buf)
	return nil
}

func (w *textWriter) Close(s Summary) error {
	w.tally.addUnlisted(s.Unlisted)
	if w.spool != nil {
		defer w.spool.Close()
	}
	w.printSummary(s)
	if err := w.printEntries(); err != nil {
		return err
	}
	if err := w.out.Flush(); err != nil {
		return fmt.Errorf("write text report: %w", err)
	}
	return nil
}

func (w *textWriter) printSummary(s Summary) {
	title := "modx-amocrm sync report"
	if s.DryRun {
		title = "modx-amocrm dry run: nothing was written to amoCRM"
	}
	fmt.Fprintln(w.out, w.paint(bold, title))

	tw := tabwriter.NewWriter(w.out, 0, 0, 2, ' ', 0)
	if s.Error != "" {
		fmt.Fprintf(tw, "failed\t%s\n", w.paint(red, oneLine(s.Error)))
	}
	if len(s.Sources) > 0 {
		fmt.Fprintf(tw, "sources\t%s\n", oneLine(strings.Join(s.Sources, ", ")))
	}
	if !s.Started.IsZero() {
		fmt.Fprintf(tw, "started\t%s\n", s.formatTime(s.Started))
	}
	if !s.Finished.IsZero() {
		fmt.Fprintf(tw, "finished\t%s\n", s.formatTime(s.Finished))
	}
	if took := s.took(); took != "" {
		fmt.Fprintf(tw, "took\t%s\n", took)
	}
	fmt.Fprintf(tw, "requests\t%d\n", s.Requests)
	fmt.Fprintf(tw, "entries\t%d\n", w.tally.total)
	tw.Flush()

	if w.tally.total == 0 {
		if s.Error != "" {
			fmt.Fprintln(w.out, "\nnothing was planned before the pass failed")
		} else {
			fmt.Fprintln(w.out, "\nnothing to do")
		}
		return
	}
	fmt.Fprintln(w.out)
	// Numbers align right; the kind column is padded to one width so that
	// right-aligning it changes nothing.
	rows := append(w.tally.rows(), w.tally.totals())
	kindWidth := len("kind")
	for _, row := range rows {
		kindWidth = max(kindWidth, utf8.RuneCountInString(oneLine(kindLabel(row.Kind))))
	}
	tw = tabwriter.NewWriter(w.out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "%s\t", pad("kind", kindWidth))
	for _, a := range actions {
		fmt.Fprintf(tw, "%s\t", actionLabel(a))
	}
	fmt.Fprintln(tw)
	for _, row := range rows {
		fmt.Fprintf(tw, "%s\t", pad(oneLine(kindLabel(row.Kind)), kindWidth))
		for _, n := range row.byAction() {
			fmt.Fprintf(tw, "%d\t", n)
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()

	if len(w.tally.creates) > 0 {
		verb := "would create:"
		if !s.DryRun {
			verb = "created:"
		}
		fmt.Fprintln(w.out, "\n"+verb)
		tw = tabwriter.NewWriter(w.out, 0, 0, 2, ' ', 0)
		for _, c := range w.tally.creates {
			fmt.Fprintf(tw, "  %s\t%s\n", c.Kind, oneLine(c.Title))
		}
		tw.Flush()
	}
	fmt.Fprintln(w.out)
}

// attention is the order a capped report shows entries in: what needs a
// person first.
var attention = [...]plan.Action{plan.Fail, plan.Skip, plan.Update, plan.Create, plan.Unchanged}

func (w *textWriter) printEntries() error {
	if w.spool == nil {
		return nil
	}
	if err := w.buf.Flush(); err != nil {
		return fmt.Errorf("spool report entries: %w", err)
	}
	if _, err := w.spool.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("rewind report spool: %w", err)
	}
	dec := gob.NewDecoder(bufio.NewReader(w.spool))
	limit := w.opts.MaxEntries
	// Capped, the first entries of each action are held (memory stays
	// bounded by the cap) and printed in the order of attention.
	held := map[plan.Action][]plan.Entry{}
	for {
		// A fresh Entry each time: gob leaves fields that are zero in the
		// stream untouched, so a reused one would keep the last entry's values.
		var e plan.Entry
		err := dec.Decode(&e)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("read report spool: %w", err)
		}
		switch {
		case limit <= 0:
			w.printEntry(e)
		case len(held[e.Action]) < limit:
			held[e.Action] = append(held[e.Action], e)
		}
	}
	if limit <= 0 {
		return nil
	}
	printed := 0
	for _, a := range attention {
		for _, e := range held[a] {
			if printed == limit {
				break
			}
			w.printEntry(e)
			printed++
		}
	}
	w.printHeld(w.tally.total - printed)
	return nil
}

// printHeld says how many entries MaxEntries held back, and where they are.
func (w *textWriter) printHeld(n int) {
	switch {
	case n <= 0 && w.opts.FullReport != "":
		fmt.Fprintf(w.out, "the report is also in %s\n", w.opts.FullReport)
		return
	case n <= 0:
		return
	}
	if w.opts.FullReport != "" {
		fmt.Fprintf(w.out, "… %d more entries in the report: %s\n", n, w.opts.FullReport)
		return
	}
	fmt.Fprintf(w.out, "… %d more entries (-report F.html writes them all)\n", n)
}

func (w *textWriter) printEntry(e plan.Entry) {
	fixed := len("unchanged") + w.kindWidth + w.keyWidth + w.idWidth + 4
	titleWidth := max(w.opts.Width-fixed, minValue)
	key := shorten(oneLine(e.Key), w.keyWidth)
	fmt.Fprintf(w.out, "%s %s %s %s %s\n",
		w.paint(actionColor[e.Action], pad(actionLabel(e.Action), len("unchanged"))),
		pad(kindLabel(e.Kind), w.kindWidth),
		pad(key, w.keyWidth),
		padLeft(amoID(e.AmoID), w.idWidth),
		shorten(oneLine(e.Title), titleWidth))

	switch {
	case e.Action == plan.Create && oneLineKinds[e.Kind]:
		parts := make([]string, len(e.Changes))
		for i, c := range e.Changes {
			parts[i] = oneLine(c.Field) + ": " + oneLine(c.New)
		}
		fmt.Fprintf(w.out, "    %s\n", w.paint(green, shorten(strings.Join(parts, ", "), w.opts.Width-4)))
	case e.Action == plan.Update:
		for _, c := range e.Changes {
			field := oneLine(c.Field)
			valueWidth := max((w.opts.Width-len("    :  -> ")-utf8.RuneCountInString(field))/2, minValue)
			fmt.Fprintf(w.out, "    %s: %s -> %s\n", field,
				w.paint(red, shorten(oneLine(c.Old), valueWidth)),
				w.paint(green, shorten(oneLine(c.New), valueWidth)))
		}
	}
	// Why: a skip or failure always has its reason; other entries have one
	// when it tells something (an adopted pipeline, a repaired value).
	if e.Reason != "" {
		fmt.Fprintf(w.out, "    %s\n", w.paint(actionColor[e.Action], shorten(oneLine(e.Reason), w.opts.Width-4)))
	}
}

// oneLineKinds are the kinds whose creates show what they make on one
// line: a deal's products (each with its quantity) and its task (due,
// responsible, type). Other creates list every field, which only the JSON
// and HTML reports have room for.
var oneLineKinds = map[string]bool{"products": true, "task": true}

// maxKeyWidth keeps the key column to a quarter of the line, 12 to 32 runes.
func (w *textWriter) maxKeyWidth() int {
	return min(max(w.opts.Width/4, minValue), 32)
}

// amoID is the id column: blank for entities amoCRM does not have yet.
func amoID(id int64) string {
	if id == 0 {
		return ""
	}
	return strconv.FormatInt(id, 10)
}

func pad(s string, width int) string {
	if n := utf8.RuneCountInString(s); n < width {
		return s + strings.Repeat(" ", width-n)
	}
	return s
}

func padLeft(s string, width int) string {
	if n := utf8.RuneCountInString(s); n < width {
		return strings.Repeat(" ", width-n) + s
	}
	return s
}

const (
	reset = "\x1b[0m"
	bold  = "\x1b[1m"
	dim   = "\x1b[2m"
	red   = "\x1b[31m"
	green = "\x1b[32m"
	cyan  = "\x1b[36m"
	amber = "\x1b[33m"
)

var actionColor = map[plan.Action]string{plan.Create: green, plan.Update: amber, plan.Unchanged: dim, plan.Skip: cyan, plan.Fail: red}

// paint wraps s in an ANSI colour when the report goes to a terminal.
func (w *textWriter) paint(color, s string) string {
	if !w.opts.Color || color == "" || s == "" {
		return s
	}
	return color + s + reset
}
