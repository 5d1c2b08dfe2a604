package main

import (
	"bytes"
	"io"

	"github.com/modx-amocrm/modx-amocrm/internal/report"
)

// entryCap keeps the terminal readable: it passes the text report's summary
// through whole and only its first limit entries, and counts the entries it
// holds back so the demo can say how many more the HTML report has. In the
// text report an entry is a line starting with its action, followed by
// indented detail lines; summary lines never start with an action.
type entryCap struct {
	w       io.Writer
	limit   int
	shown   int
	held    int
	showing bool   // the current entry's lines go through
	partial []byte // the start of a line not ended yet (the report ends every line)
}

func newEntryCap(w io.Writer, limit int) *entryCap {
	return &entryCap{w: w, limit: limit, showing: true}
}

func (c *entryCap) Write(p []byte) (int, error) {
	c.partial = append(c.partial, p...)
	rest := c.partial
	for {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			break
		}
		if err := c.line(rest[:i+1]); err != nil {
			return 0, err
		}
		rest = rest[i+1:]
	}
	c.partial = append(c.partial[:0], rest...)
	return len(p), nil
}

func (c *entryCap) line(l []byte) error {
	if startsEntry(l) {
		c.showing = c.shown < c.limit
		if c.showing {
			c.shown++
		} else {
			c.held++
		}
	}
	if !c.showing {
		return nil
	}
	_, err := c.w.Write(l)
	return err
}

// Held is how many entries were not shown; call it after the report is closed.
func (c *entryCap) Held() int { return c.held }

var entryActions = [][]byte{
	[]byte(report.Create + " "), []byte(report.Update + " "), []byte(report.Unchanged + " "),
	[]byte(report.Skip + " "), []byte(report.Fail + " "),
}

func startsEntry(l []byte) bool {
	for _, a := range entryActions {
		if bytes.HasPrefix(l, a) {
			return true
		}
	}
	return false
}
