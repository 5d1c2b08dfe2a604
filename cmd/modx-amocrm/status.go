package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/config"
	"github.com/modx-amocrm/modx-amocrm/internal/site"
	"github.com/modx-amocrm/modx-amocrm/internal/state"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer"
)

// siteStatus is the operator's one screen, read from the state (and MODX
// for the backlog), never from a daemon's memory: `status -json` prints it.
type siteStatus struct {
	LastPass   *state.PassRecord   `json:"last_pass"`  // null before the first pass
	Backlog    []backlog           `json:"backlog"`    // per enabled source
	Parked     []state.ParkedCount `json:"parked"`     // per kind; empty when none
	Token      tokenStatus         `json:"token"`      //
	Leader     leaderStatus        `json:"leader"`     //
	LastError  *state.PassRecord   `json:"last_error"` // the last pass that failed; null when none did
	Unreadable []string            `json:"unreadable"` // parts that could not be read, with why
}

// backlog is how far a source is behind: rows with ids past its watermark.
type backlog struct {
	Source    string `json:"source"`
	Started   bool   `json:"started"` // false: no pass has set its watermark yet
	Watermark int64  `json:"watermark"`
	MaxID     int64  `json:"max_id"`
	Rows      int64  `json:"rows"` // an upper bound: ids have gaps
}

type tokenStatus struct {
	Mode       string     `json:"mode"`
	Stored     bool       `json:"stored"`
	Expiry     *time.Time `json:"expiry"` // null when unknown
	CanRefresh bool       `json:"can_refresh"`
	Problem    string     `json:"problem,omitempty"`
}

type leaderStatus struct {
	Held         bool       `json:"held"`
	ConnectionID int64      `json:"connection_id,omitempty"`
	ClientHost   string     `json:"client_host,omitempty"` // the lock session's address, as MySQL sees it
	Host         string     `json:"host,omitempty"`        // the machine the daemon recorded, when it is this session's
	PID          int        `json:"pid,omitempty"`
	Since        *time.Time `json:"since,omitempty"`
}

// runStatus shows the last pass, the backlog, parked records, the token,
// the leader and the last error.
func runStatus(ctx context.Context, io IO, args []string) error {
	fs := newFlagSet("status", io)
	configPath := configFlag(fs)
	asJSON := fs.Bool("json", false, "print one JSON object instead of text")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	s, err := openState(ctx, *configPath)
	if err != nil {
		return err
	}
	defer s.Close()
	st, err := readStatus(ctx, s)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(io.Stdout, st)
	}
	loc := time.Local
	if s.Shop != nil {
		loc = s.Shop.Location()
	}
	return printStatus(io.Stdout, st, loc, time.Now())
}

// readStatus gathers the status. What the state cannot tell is an error;
// the parts that come from elsewhere (MODX, the lock) are listed in
// Unreadable when they fail, so the rest still shows.
func readStatus(ctx context.Context, s *site.Site) (*siteStatus, error) {
	st := &siteStatus{Parked: []state.ParkedCount{}, Backlog: []backlog{}, Unreadable: []string{}}
	if rec, ok, err := s.Store.LastPass(ctx); err != nil {
		return nil, err
	} else if ok {
		st.LastPass = &rec
	}
	if rec, ok, err := s.Store.LastFailedPass(ctx); err != nil {
		return nil, err
	} else if ok {
		st.LastError = &rec
	}
	var err error
	if st.Parked, err = s.Store.ParkedCounts(ctx); err != nil {
		return nil, err
	}
	if st.Token, err = readToken(ctx, s); err != nil {
		return nil, err
	}
	if err := readBacklog(ctx, s, st); err != nil {
		st.Unreadable = append(st.Unreadable, "backlog: "+err.Error())
	}
	if err := readLeader(ctx, s, st); err != nil {
		st.Unreadable = append(st.Unreadable, "leader: "+err.Error())
	}
	return st, nil
}

func readToken(ctx context.Context, s *site.Site) (tokenStatus, error) {
	if err := s.OpenClient(ctx); err != nil {
		return tokenStatus{}, err
	}
	info, err := s.Client.TokenStatus(ctx)
	if err != nil {
		return tokenStatus{}, err
	}
	t := tokenStatus{Mode: info.Mode, Stored: info.Stored, CanRefresh: info.CanRefresh}
	if !info.Expiry.IsZero() {
		t.Expiry = &info.Expiry
	}
	if !info.Stored {
		t.Problem = noTokenError(ctx, s).Error()
	}
	return t, nil
}

// statusSources are the watermarked sources of the enabled parts of cfg.
func statusSources(cfg *config.Config) []string {
	var out []string
	if cfg.Orders.Enabled {
		out = append(out, syncer.SourceOrders, syncer.SourceOrderLogs)
	}
	if cfg.Forms.Enabled {
		out = append(out, syncer.SourceForms)
	}
	if cfg.Users.Enabled {
		out = append(out, syncer.SourceUsers)
	}
	return out
}

func readBacklog(ctx context.Context, s *site.Site, st *siteStatus) error {
	if err := s.OpenShop(ctx); err != nil {
		return err
	}
	maxIDs, err := s.Shop.MaxIDs(ctx)
	if err != nil {
		return err
	}
	for _, src := range statusSources(s.Config) {
		b := backlog{Source: src, MaxID: maxIDs.Of(src)}
		if b.Watermark, b.Started, err = s.Store.Watermark(ctx, src); err != nil {
			return err
		}
		if b.Started {
			b.Rows = max(b.MaxID-b.Watermark, 0)
		}
		st.Backlog = append(st.Backlog, b)
	}
	return nil
}

func readLeader(ctx context.Context, s *site.Site, st *siteStatus) error {
	locker, err := s.Locker()
	if err != nil {
		return err
	}
	h, held, err := locker.Holder(ctx)
	if err != nil || !held {
		return err
	}
	st.Leader = leaderStatus{Held: true, ConnectionID: h.ConnectionID, ClientHost: h.ClientHost}
	rec, ok, err := s.Store.Leader(ctx)
	if err != nil {
		return err
	}
	// The record is the holder's only if it names the holding session.
	if ok && rec.ConnectionID == h.ConnectionID {
		st.Leader.Host, st.Leader.PID, st.Leader.Since = rec.Host, rec.PID, &rec.Since
	}
	return nil
}

// printStatus prints the status, one line per part, times in loc.
func printStatus(w io.Writer, st *siteStatus, loc *time.Location, now time.Time) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	line := func(name, format string, a ...any) { fmt.Fprintf(tw, "%s\t%s\n", name, fmt.Sprintf(format, a...)) }

	if p := st.LastPass; p == nil {
		line("last pass", "none recorded yet")
	} else {
		what := p.Summary
		switch {
		case p.Error != "":
			what = "failed: " + oneLine(p.Error)
		case p.Interrupted:
			what = "interrupted (what it did is committed; the next run goes on): " + p.Summary
		}
		line("last pass", "%s on %s, took %s: %s", p.Finished.In(loc).Format(stamp), p.Host,
			p.Finished.Sub(p.Started).Round(time.Millisecond), what)
	}

	parts := make([]string, 0, len(st.Backlog))
	for _, b := range st.Backlog {
		if b.Started {
			parts = append(parts, fmt.Sprintf("%s %d", b.Source, b.Rows))
		} else {
			parts = append(parts, b.Source+" not started")
		}
	}
	if len(parts) > 0 {
		line("backlog", "%s", strings.Join(parts, ", "))
	}

	parts = parts[:0]
	for _, p := range st.Parked {
		part := fmt.Sprintf("%s %d", p.Kind, p.Parked)
		if p.Exhausted > 0 {
			part += fmt.Sprintf(" (%d %s for retry)", p.Exhausted, plural(p.Exhausted, "waits", "wait"))
		}
		parts = append(parts, part)
	}
	if len(parts) == 0 {
		line("parked", "none")
	} else {
		line("parked", "%s: see `modx-amocrm failed`", strings.Join(parts, ", "))
	}

	line("token", "%s", tokenLine(st.Token, loc, now))

	switch l := st.Leader; {
	case !l.Held:
		line("leader", "none: no daemon holds the instance lock")
	case l.Host != "":
		line("leader", "%s (pid %d) since %s, lock connection %d from %s", l.Host, l.PID, l.Since.In(loc).Format(stamp),
			l.ConnectionID, orDash(l.ClientHost))
	default:
		line("leader", "lock connection %d from %s", l.ConnectionID, orDash(l.ClientHost))
	}

	if e := st.LastError; e == nil {
		line("last error", "none")
	} else {
		line("last error", "%s on %s: %s", e.Finished.In(loc).Format(stamp), e.Host, oneLine(e.Error))
	}
	for _, u := range st.Unreadable {
		line("unreadable", "%s", oneLine(u))
	}
	return tw.Flush()
}

func tokenLine(t tokenStatus, loc *time.Location, now time.Time) string {
	if t.Problem != "" {
		return t.Problem
	}
	if t.Expiry == nil {
		return t.Mode + " token, no expiry known"
	}
	left := t.Expiry.Sub(now).Round(time.Minute)
	verb := fmt.Sprintf("expires %s (in %s)", t.Expiry.In(loc).Format(stamp), left)
	if left <= 0 {
		verb = fmt.Sprintf("expired %s", t.Expiry.In(loc).Format(stamp))
	}
	switch {
	case t.Mode == "oauth" && t.CanRefresh:
		return "oauth access token " + verb + "; refreshed before it expires"
	case t.Mode == "oauth":
		return "oauth access token " + verb + "; no refresh token: run `modx-amocrm auth`"
	}
	return fmt.Sprintf("%s token %s", t.Mode, verb)
}
