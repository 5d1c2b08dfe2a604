package main

import (
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"
)

// redrawEvery spaces the redraws of the progress line.
const redrawEvery = 100 * time.Millisecond

// progressLine is a backfill's progress on a terminal: one line, redrawn
// in place, cleared at the end.
type progressLine struct {
	w       io.Writer
	started time.Time
	now     func() time.Time
	drawn   time.Time // of the last redraw
	width   int       // of the line on screen, in runes, for padding and clearing
}

func (p *progressLine) update(done, total int) {
	now := p.now()
	if now.Sub(p.drawn) < redrawEvery {
		return
	}
	p.drawn = now
	text := progressText(done, total, now.Sub(p.started))
	n := utf8.RuneCountInString(text)
	// A write error only loses the line.
	fmt.Fprintf(p.w, "\r%s%s", text, strings.Repeat(" ", max(p.width-n, 0)))
	p.width = max(p.width, n)
}

func (p *progressLine) clear() {
	if p.width > 0 {
		fmt.Fprintf(p.w, "\r%s\r", strings.Repeat(" ", p.width))
		p.width = 0
	}
}

// progressText is the progress line. The total is the backlog known so far,
// an upper bound (ids have gaps), so the line says "at most" and predicts no
// time left; rows past the total, or no total yet, show as a count alone.
func progressText(done, total int, elapsed time.Duration) string {
	const barWidth = 20
	took := elapsed.Round(time.Second).String()
	rate := ""
	if s := elapsed.Seconds(); s >= 1 {
		rate = fmt.Sprintf(", %.0f rows/s", float64(done)/s)
	}
	if total <= 0 || done > total {
		return fmt.Sprintf("syncing: %d rows%s, %s", done, rate, took)
	}
	filled := done * barWidth / total
	return fmt.Sprintf("syncing [%s%s] %d of at most %d rows (%d%%)%s, %s", strings.Repeat("#", filled),
		strings.Repeat(".", barWidth-filled), done, total, done*100/total, rate, took)
}
