package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/plan"
	"github.com/modx-amocrm/modx-amocrm/internal/site"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer"
)

// TestRun runs the whole demo on a small shop, with -keep, and stops it once
// it serves. It needs no database server, so it runs under CI too.
func TestRun(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	reportPath := filepath.Join(t.TempDir(), "dry-run.html")
	out := &cancelOn{marker: "(our state: database " + stateDB + ")\n", cancel: cancel,
		onMarker: func(got string) { checkKeep(t, got) }}

	err := Run(ctx, []string{"-orders", "40", "-users", "20", "-forms", "5", "-seed", "7", "-keep", "-report", reportPath}, out)
	got := out.String()
	if err != nil {
		t.Fatalf("Run: %v\noutput:\n%s", err, got)
	}

	for _, want := range []string{
		"shop generated in ",
		"MySQL (go-mysql-server, in memory) at 127.0.0.1:",
		"amoCRM sandbox at http://127.0.0.1:",
		"modx-amocrm dry run: nothing was written to amoCRM",
		"dry run: would create ",
		"amoCRM now holds 0 deals and 0 contacts\n",
		"the dry-run report: " + reportPath,
		"mysql -h127.0.0.1 -P ",
		"Authorization: Bearer " + demoToken,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q; got:\n%s", want, got)
		}
	}
	_, afterSync, _ := strings.Cut(got, "== sync:")
	if deals := number(t, afterSync, `amoCRM now holds (\d+) deals`); deals == 0 {
		t.Errorf("deals after the sync: got 0, want some; output:\n%s", got)
	}
	syncs := regexp.MustCompile(`(?m)^sync: created (\d+),`).FindAllStringSubmatch(got, -1)
	if len(syncs) != 2 {
		t.Fatalf("sync summaries: got %d, want 2; output:\n%s", len(syncs), got)
	}
	if syncs[0][1] == "0" {
		t.Errorf("first sync created nothing; output:\n%s", got)
	}
	if !strings.Contains(got, "sync: created 0, updated 0,") {
		t.Errorf("second sync wrote something; output:\n%s", got)
	}
	if entries, held := number(t, got, `(?m)^entries\s+(\d+)$`), number(t, got, `… (\d+) more entries`); entries != held+shownEntries {
		t.Errorf("dry-run entries: %d shown + %d held, report has %d", shownEntries, held, entries)
	}

	// Ctrl-C removes the config it wrote, and nothing it did not: the
	// binary built into its directory (checkKeep put one there) stays.
	if m := regexp.MustCompile(`written to (\S+):`).FindStringSubmatch(got); m == nil {
		t.Error("-keep did not say where it wrote the config")
	} else {
		if _, err := os.Stat(m[1]); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("the config of -keep outlives the demo: %v", err)
		}
		bin := filepath.Join(filepath.Dir(m[1]), "modx-amocrm")
		if _, err := os.Stat(bin); err != nil {
			t.Errorf("the demo removed %s, which it did not make: %v", bin, err)
		}
		if want := "kept " + filepath.Dir(m[1]) + ", which holds what the demo did not make: modx-amocrm\n"; !strings.Contains(got, want) {
			t.Errorf("output lacks %q", want)
		}
		os.RemoveAll(filepath.Dir(m[1]))
	}

	html, err := os.ReadFile(reportPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(html, []byte("order:1")) {
		t.Errorf("HTML report %s lacks order:1", reportPath)
	}
}

// number returns the integer the first group of pattern captures in s.
func number(t *testing.T, s, pattern string) int {
	t.Helper()
	m := regexp.MustCompile(pattern).FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("output lacks %s; got:\n%s", pattern, s)
	}
	n, err := strconv.Atoi(m[1])
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// checkKeep checks, while -keep serves, that the printed config is the file
// it names, that it points at the live servers, and the commands to run.
func checkKeep(t *testing.T, out string) {
	t.Helper()
	m := regexp.MustCompile(`The config of these servers, written to (\S+):\n\n((?:    .*\n|\n)+)`).FindStringSubmatch(out)
	if m == nil {
		t.Errorf("-keep printed no config:\n%s", out)
		return
	}
	path := m[1]
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if printed := strings.TrimSpace(strings.ReplaceAll(m[2], "\n    ", "\n")); printed != strings.TrimSpace(string(data)) {
		t.Errorf("printed config differs from %s:\n%s\nfile:\n%s", path, printed, data)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("%s: %v, mode %v; want 0600 (it holds the token)", path, err, fi.Mode())
	}
	cfg, err := site.LoadConfig(path)
	if err == nil {
		err = cfg.Validate()
	}
	if err != nil {
		t.Fatalf("the printed config: %v", err)
	}
	s, err := site.Open(context.Background(), cfg, site.Options{})
	if err != nil {
		t.Fatalf("the printed config does not reach the servers: %v", err)
	}
	defer s.Close()
	if mark, ok, err := s.Store.Watermark(context.Background(), "orders"); err != nil || !ok || mark == 0 {
		t.Errorf("orders watermark through the printed config: %d, %v, %v; want the synced one", mark, ok, err)
	}
	// `status` shows the demo's last sync.
	if rec, ok, err := s.Store.LastPass(context.Background()); err != nil || !ok || !strings.HasPrefix(rec.Summary, "created 0, updated 0,") {
		t.Errorf("last pass in the state: %+v, %v, %v; want the demo's second sync", rec, ok, err)
	}
	// The real binary has the orders placed after the sync to send, once
	// they are older than sync.settle, as a person running it later finds them.
	time.Sleep(cfg.Sync.Settle.Duration + 500*time.Millisecond)
	eng, err := s.Engine(site.EngineOptions{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	res, err := eng.Pass(context.Background(), syncer.PassOptions{})
	switch {
	case err != nil:
		t.Errorf("a dry run through the printed config: %v", err)
	case res.Count("lead", plan.Create) != keepOrders:
		t.Errorf("a dry run through the printed config would create %d deals, want %d", res.Count("lead", plan.Create), keepOrders)
	}
	// As if the user built the binary where the demo said.
	if err := os.WriteFile(filepath.Join(filepath.Dir(path), "modx-amocrm"), []byte("built by the user"), 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(filepath.Dir(path), "modx-amocrm")
	want := "  go build -o " + bin + " ./cmd/modx-amocrm\n"
	for _, c := range keepCommands {
		want += "  " + bin + " " + c + " -config " + path + "\n"
	}
	if !strings.Contains(out, want) {
		t.Errorf("-keep output lacks the commands\n%s\ngot:\n%s", want, out)
	}
}

// cancelOn collects the output and, once marker appears in it, calls
// onMarker with the output so far and cancels, standing in for the user's
// Ctrl-C.
type cancelOn struct {
	mu       sync.Mutex
	buf      bytes.Buffer
	marker   string
	onMarker func(string)
	cancel   context.CancelFunc
	seen     bool
}

func (c *cancelOn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n, err := c.buf.Write(p)
	if !c.seen && strings.Contains(c.buf.String(), c.marker) {
		c.seen = true
		if c.onMarker != nil {
			c.onMarker(c.buf.String())
		}
		c.cancel()
	}
	return n, err
}

func (c *cancelOn) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.buf.String()
}

func TestParseOptionsUsage(t *testing.T) {
	for _, args := range [][]string{
		{"-orders", "x"},
		{"-users", "0"},
		{"-forms", "-1"},
		{"extra"},
	} {
		_, err := parseOptions(args, io.Discard)
		var uerr usageError
		if !errors.As(err, &uerr) {
			t.Errorf("parseOptions(%q): got %v, want a usage error", args, err)
		}
	}
	var uerr usageError
	if err := Run(context.Background(), []string{"-report", filepath.Join(t.TempDir(), "r.txt")}, io.Discard); !errors.As(err, &uerr) {
		t.Errorf("Run(-report r.txt): got %v, want a usage error", err)
	}
	if _, err := parseOptions([]string{"-h"}, io.Discard); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("parseOptions(-h): got %v, want flag.ErrHelp", err)
	}
}

func TestCount(t *testing.T) {
	for _, tc := range []struct {
		n          int
		noun, want string
	}{
		{1, "draft", "1 draft"}, {0, "draft", "0 drafts"}, {82, "draft", "82 drafts"},
		{1, "category", "1 category"}, {40, "category", "40 categories"},
	} {
		if got := count(tc.n, tc.noun); got != tc.want {
			t.Errorf("count(%d, %q) = %q, want %q", tc.n, tc.noun, got, tc.want)
		}
	}
}
