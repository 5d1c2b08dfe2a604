package config

import (
	"strconv"
	"strings"
)

// msgUnknownKey is the Msg of a FieldError for a key the schema lacks.
const msgUnknownKey = "unknown key"

// FieldError is one problem with one key. Parse and Validate return these,
// several joined with errors.Join, so callers can list or match them.
type FieldError struct {
	File string // config file name; empty when the Config did not come from a file
	Line int    // 1-based line of the key; 0 when unknown
	Key  string // dotted key, array tables 1-based: "orders.category[2].id"
	Msg  string // what is wrong and what is expected
	// Suggest is the known key nearest to an unknown one, when one is close.
	Suggest string
}

// Error reads like `config.toml:5: sync.settle: want a duration like "10s", got 10`.
func (e *FieldError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			b.WriteString(":" + strconv.Itoa(e.Line))
		}
		b.WriteString(": ")
	} else if e.Line > 0 {
		b.WriteString("line " + strconv.Itoa(e.Line) + ": ")
	}
	switch {
	case e.Msg == msgUnknownKey:
		b.WriteString(msgUnknownKey + " " + strconv.Quote(e.Key))
		if e.Suggest != "" {
			b.WriteString("; did you mean " + strconv.Quote(e.Suggest) + "?")
		}
	case e.Key != "":
		b.WriteString(e.Key + ": " + e.Msg)
	default:
		b.WriteString(e.Msg)
	}
	return b.String()
}

// IsUnknownKey reports whether the error is about a key the schema lacks
// (typically a typo).
func (e *FieldError) IsUnknownKey() bool { return e.Msg == msgUnknownKey }
