package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/modx/modxtest"
	"github.com/modx-amocrm/modx-amocrm/internal/sandbox"
)

// TestStatus follows a site from its first config to a daemon: the screen
// says what the state holds at each step.
func TestStatus(t *testing.T) {
	e := newShopEnv(t, modxtest.Options{})
	cfg := e.config("")

	code, out, errOut := runMain(t, "status", "-config", cfg)
	want := "last pass   none recorded yet\n" +
		"backlog     orders not started, order_logs not started\n" +
		"parked      none\n" +
		"token       long-lived token, no expiry known\n" +
		"leader      none: no daemon holds the instance lock\n" +
		"last error  none\n"
	if code != exitOK || out != want {
		t.Fatalf("before any pass: exit %d, stderr %q, got\n%s\nwant\n%s", code, errOut, out, want)
	}

	// A pass amoCRM refuses is the last error; the pass after it is the last pass.
	e.order(modxtest.OrderSpec{Address: map[string]any{"phone": "+7 999 111-22-33"}})
	e.order(brokenOrder)
	e.box.SetFaults(sandbox.Faults{Unpaid: true})
	if code, _, _ := runMain(t, "run", "-once", "-config", cfg); code != exitFatal {
		t.Fatalf("unpaid run: exit %d, want %d", code, exitFatal)
	}
	e.box.SetFaults(sandbox.Faults{})
	if code, _, errOut := runMain(t, "run", "-once", "-config", cfg); code != exitParked {
		t.Fatalf("run: exit %d: %s", code, errOut)
	}
	host, _ := os.Hostname()
	const when = `\d{4}-\d\d-\d\d \d\d:\d\d:\d\d MSK` // the generated shop's date_timezone
	wantRE := regexp.MustCompile(`^last pass   ` + when + ` on ` + regexp.QuoteMeta(host) + `, took [\d.]+m?s: created \d+, .*parked 1;.*\n` +
		`backlog     orders 0, order_logs 0\n` +
		"parked      order 1: see `modx-amocrm failed`\n" +
		`token       long-lived token, no expiry known\n` +
		`leader      none: no daemon holds the instance lock\n` +
		`last error  ` + when + ` on ` + regexp.QuoteMeta(host) + `: .*not paid.*\n$`)
	_, out, _ = runMain(t, "status", "-config", cfg)
	if !wantRE.MatchString(out) {
		t.Errorf("after the passes, got\n%s\nwant\n%s", out, wantRE)
	}

	// A daemon holds the lock: the leader is its host, pid and connection.
	child := startChild(t, nil, "run", "-config", cfg)
	leader := regexp.MustCompile(`(?m)^leader      ` + regexp.QuoteMeta(host) + ` \(pid (\d+)\) since ` + when +
		`, lock connection \d+ from (127\.0\.0\.1:\d+|localhost)$`)
	var m []string
	waitFor(t, 15*time.Second, "the daemon's lock", func() bool {
		_, out, _ = runMain(t, "status", "-config", cfg)
		m = leader.FindStringSubmatch(out)
		return m != nil
	})
	if m[1] != strconv.Itoa(child.cmd.Process.Pid) {
		t.Errorf("leader pid %s, want the daemon's %d:\n%s", m[1], child.cmd.Process.Pid, out)
	}

	_, out, _ = runMain(t, "status", "-config", cfg, "-json")
	var st siteStatus
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("status -json: %v\n%s", err, out)
	}
	if st.LastPass == nil || st.LastError == nil || !strings.Contains(st.LastError.Error, "not paid") ||
		len(st.Parked) != 1 || st.Parked[0].Parked != 1 || !st.Leader.Held || st.Leader.Host != host ||
		len(st.Backlog) != 2 || !st.Backlog[0].Started || st.Token.Mode != "long-lived" {
		t.Errorf("status -json: got %s", out)
	}
}

// TestStatusAfterInterruptedRun: a backfill stopped by Ctrl-C is the last
// pass, shown as interrupted with what it did.
func TestStatusAfterInterruptedRun(t *testing.T) {
	e := newShopEnv(t, modxtest.Options{})
	e.generate(200)
	cfg := e.config("")
	e.box.SetFaults(sandbox.Faults{Latency: 200 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var errOut bytes.Buffer
	exited := make(chan int, 1)
	go func() { exited <- Main(ctx, []string{"run", "-once", "-config", cfg}, io.Discard, &errOut) }()
	waitFor(t, 30*time.Second, "the first write", func() bool { return e.writes() > 0 })
	cancel() // Ctrl-C
	if code := <-exited; code != exitFatal || !strings.Contains(errOut.String(), "interrupted: what was done is committed") {
		t.Fatalf("interrupted run: exit %d, stderr:\n%s", code, errOut.String())
	}
	e.box.SetFaults(sandbox.Faults{})
	_, out, _ := runMain(t, "status", "-config", cfg)
	if !regexp.MustCompile(`(?m)^last pass   .*: interrupted \(what it did is committed; the next run goes on\): created \d+`).MatchString(out) {
		t.Errorf("status after an interrupted run:\n%s", out)
	}
	_, out, _ = runMain(t, "status", "-config", cfg, "-json")
	var st siteStatus
	if err := json.Unmarshal([]byte(out), &st); err != nil || st.LastPass == nil || !st.LastPass.Interrupted || st.LastError != nil {
		t.Errorf("status -json after an interrupted run: %v, %s; want last_pass.interrupted and no last error", err, out)
	}
}
