// Package logging builds the daemon's slog logger: text with time on a
// terminal, text without time but with syslog priority prefixes under
// journald (which stamps lines itself), or JSON. Attributes whose key names
// a secret are redacted whatever the caller passes, as a last line of
// defence.
package logging

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"syscall"
)

// Formats accepted by New.
const (
	FormatAuto = "auto" // journald-friendly text under journald, else text
	FormatText = "text"
	FormatJSON = "json"
)

// Redacted replaces the value of an attribute that may hold a secret.
const Redacted = "[redacted]"

// secretWords mark attribute keys whose values are never logged; a key like
// "token_expires" is redacted too, so log expiry times as "expires_at".
var secretWords = []string{"token", "secret", "password"}

// New returns a logger writing to w at level (debug, info, warn, error; ""
// is info) in format (auto, text, json; "" is auto).
func New(w io.Writer, level, format string) (*slog.Logger, error) {
	var lvl slog.Level
	if level == "" {
		level = "info"
	}
	if err := lvl.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("log level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lvl, ReplaceAttr: redact}
	switch format {
	case FormatJSON:
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	case FormatText:
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case FormatAuto, "":
		if !journald(w) {
			return slog.New(slog.NewTextHandler(w, opts)), nil
		}
		opts.ReplaceAttr = func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && a.Key == slog.TimeKey {
				return slog.Attr{} // journald stamps every line itself
			}
			return redact(groups, a)
		}
		return slog.New(&priorityHandler{Handler: slog.NewTextHandler(w, opts), w: w, mu: &sync.Mutex{}}), nil
	default:
		return nil, fmt.Errorf("log format %q: want auto, text or json", format)
	}
}

func redact(_ []string, a slog.Attr) slog.Attr {
	key := strings.ToLower(a.Key)
	for _, word := range secretWords {
		if strings.Contains(key, word) {
			return slog.String(a.Key, Redacted)
		}
	}
	return a
}

// journald reports whether w is the stream systemd connected to journald:
// $JOURNAL_STREAM names its device and inode. Comparing them, not just
// checking the variable, keeps a redirected child from dropping timestamps.
func journald(w io.Writer) bool {
	stream := os.Getenv("JOURNAL_STREAM")
	f, ok := w.(*os.File)
	if stream == "" || !ok {
		return false
	}
	fi, err := f.Stat()
	if err != nil {
		return false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && stream == fmt.Sprintf("%d:%d", st.Dev, st.Ino)
}

// priorityHandler prefixes each line with its syslog priority ("<3>"), which
// journald turns into the entry's PRIORITY (journalctl -p err).
type priorityHandler struct {
	slog.Handler
	w  io.Writer
	mu *sync.Mutex // shared by derived handlers: prefix and line stay together
}

func (h *priorityHandler) Handle(ctx context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, err := fmt.Fprintf(h.w, "<%d>", priority(r.Level)); err != nil {
		return err
	}
	return h.Handler.Handle(ctx, r)
}

func (h *priorityHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &priorityHandler{Handler: h.Handler.WithAttrs(as), w: h.w, mu: h.mu}
}

func (h *priorityHandler) WithGroup(name string) slog.Handler {
	return &priorityHandler{Handler: h.Handler.WithGroup(name), w: h.w, mu: h.mu}
}

// priority maps a slog level to sd-daemon(3)'s syslog priorities.
func priority(l slog.Level) int {
	switch {
	case l >= slog.LevelError:
		return 3
	case l >= slog.LevelWarn:
		return 4
	case l >= slog.LevelInfo:
		return 6
	default:
		return 7
	}
}
