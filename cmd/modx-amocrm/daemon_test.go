package main

import (
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/modx/modxtest"
	"github.com/modx-amocrm/modx-amocrm/internal/sandbox"
)

// childArgs holds, in a re-executed test binary, the command line main gets
// (arguments separated by \x1f).
const childArgs = "MODX_AMOCRM_TEST_CHILD_ARGS"

// TestMain lets a test run the real binary: the test binary re-executes
// itself with childArgs set and becomes modx-amocrm, signals and all.
func TestMain(m *testing.M) {
	if args := os.Getenv(childArgs); args != "" {
		os.Args = append([]string{"modx-amocrm"}, strings.Split(args, "\x1f")...)
		main()
	}
	os.Exit(m.Run())
}

// child is modx-amocrm running in its own process.
type child struct {
	cmd    *exec.Cmd
	stderr lockedBuffer
	exited chan struct{}
}

func startChild(t *testing.T, env []string, args ...string) *child {
	t.Helper()
	c := &child{cmd: exec.Command(os.Args[0]), exited: make(chan struct{})}
	c.cmd.Env = append(os.Environ(), append(env, childArgs+"="+strings.Join(args, "\x1f"))...)
	c.cmd.Stderr = &c.stderr
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		c.cmd.Wait()
		close(c.exited)
	}()
	t.Cleanup(func() {
		c.cmd.Process.Kill()
		<-c.exited
		if t.Failed() {
			t.Logf("child %v stderr:\n%s", args, c.stderr.String())
		}
	})
	return c
}

func (c *child) signal(t *testing.T, sig os.Signal) {
	t.Helper()
	if err := c.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
}

// exitCode waits up to d for the child to exit; ok is false if it did not.
func (c *child) exitCode(d time.Duration) (code int, ok bool) {
	select {
	case <-c.exited:
		return c.cmd.ProcessState.ExitCode(), true
	case <-time.After(d):
		return 0, false
	}
}

// waitFor polls cond until it holds or d passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// inFlight starts a daemon over a 200-order backlog on a slow sandbox and
// returns once it has started writing deals.
func inFlight(t *testing.T) (*shopEnv, *modxtest.Dataset, string, *child) {
	t.Helper()
	e := newShopEnv(t, modxtest.Options{})
	ds := e.generate(200)
	cfg := e.config("")
	e.box.SetFaults(sandbox.Faults{Latency: 300 * time.Millisecond})
	c := startChild(t, nil, "run", "-config", cfg)
	waitFor(t, 30*time.Second, "the first write", func() bool { return e.writes() > 0 })
	return e, ds, cfg, c
}

func TestDaemonStopsGracefullyMidBatch(t *testing.T) {
	e, ds, cfg, c := inFlight(t)
	c.signal(t, syscall.SIGTERM)
	signalled := time.Now()
	code, ok := c.exitCode(stopGrace + 5*time.Second)
	if !ok {
		t.Fatalf("daemon still running %s after SIGTERM", stopGrace+5*time.Second)
	}
	if code != exitOK {
		t.Fatalf("exit %d after SIGTERM, want %d", code, exitOK)
	}
	t.Logf("stopped %s after SIGTERM with %d deals of the backlog written", time.Since(signalled).Round(time.Millisecond), len(e.box.Leads()))

	e.box.SetFaults(sandbox.Faults{})
	if code, _, errOut := runMain(t, "run", "-config", cfg, "-once"); code != exitOK {
		t.Fatalf("run -once after the stop: exit %d; stderr:\n%s", code, errOut)
	}
	assertOneDealPerOrder(t, e, ds)
}

func TestDaemonSecondSignalExitsAtOnce(t *testing.T) {
	_, _, _, c := inFlight(t)
	c.signal(t, syscall.SIGTERM)
	time.Sleep(50 * time.Millisecond)
	c.signal(t, syscall.SIGTERM)
	// Well under stopGrace, which a graceful stop may take, and loose
	// enough for a loaded machine running the race detector.
	code, ok := c.exitCode(10 * time.Second)
	if !ok {
		t.Fatal("daemon still running 10s after a second SIGTERM")
	}
	if code != exitFatal {
		t.Errorf("exit %d after a second signal, want %d", code, exitFatal)
	}
}

// notifySocket listens where a child's sd_notify messages go.
func notifySocket(t *testing.T) (path string, msgs <-chan string) {
	t.Helper()
	// Unix socket paths are short (108 bytes): t.TempDir() may be too long.
	dir, err := os.MkdirTemp("", "mxa")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	path = filepath.Join(dir, "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	ch := make(chan string, 64)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				close(ch)
				return
			}
			ch <- string(buf[:n])
		}
	}()
	return path, ch
}

// expectNotify waits for a message starting with prefix, skipping others.
func expectNotify(t *testing.T, msgs <-chan string, prefix string, d time.Duration) string {
	t.Helper()
	timeout := time.After(d)
	for {
		select {
		case m, ok := <-msgs:
			if !ok {
				t.Fatalf("notify socket closed waiting for %s", prefix)
			}
			if strings.HasPrefix(m, prefix) {
				return m
			}
		case <-timeout:
			t.Fatalf("no %s within %s", prefix, d)
		}
	}
}

// freeAddr returns a 127.0.0.1 address no one listens on right now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func get(url string) (int, string, error) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), err
}

// TestDaemonStandbyNotifyMetrics runs two daemons on one site, as two
// hosts would: the second tells systemd it is ready, stands by without
// writing while serving its metrics (leader 0) and /healthz, feeds the
// watchdog, takes over when the first is killed, passes, serves metrics as
// the leader and stops on SIGTERM, saying so before it exits.
func TestDaemonStandbyNotifyMetrics(t *testing.T) {
	e := newShopEnv(t, modxtest.Options{})
	for i := range 3 {
		e.order(modxtest.OrderSpec{Address: map[string]any{"phone": "+7 913 000-00-0" + strconv.Itoa(i)}})
	}
	addrA, addrB := freeAddr(t), freeAddr(t)
	sockA, msgsA := notifySocket(t)
	first := startChild(t, []string{"NOTIFY_SOCKET=" + sockA}, "run", "-config", e.config("\n[metrics]\nlisten = \""+addrA+"\"\n"))
	expectNotify(t, msgsA, "READY=1", 15*time.Second)
	expectNotify(t, msgsA, "STATUS=last pass", 15*time.Second)

	sockB, msgsB := notifySocket(t)
	second := startChild(t, []string{"NOTIFY_SOCKET=" + sockB, "WATCHDOG_USEC=900000"}, "run", "-config",
		e.config("\n[metrics]\nlisten = \""+addrB+"\"\n"))
	expectNotify(t, msgsB, "READY=1", 15*time.Second)
	expectNotify(t, msgsB, "STATUS=standing by", 5*time.Second)
	expectNotify(t, msgsB, "WATCHDOG=1", 5*time.Second)
	deadline := time.After(1500 * time.Millisecond)
	for standing := true; standing; {
		select {
		case m := <-msgsB:
			if !strings.HasPrefix(m, "WATCHDOG=1") {
				t.Fatalf("standby sent %q while the first daemon holds the lock", m)
			}
		case <-deadline:
			standing = false
		}
	}
	metricsHas(t, addrB, "modx_amocrm_leader 0")
	if code, _, err := get("http://" + addrB + "/healthz"); err != nil || code != http.StatusOK {
		t.Errorf("standby /healthz: %d, %v; want 200", code, err)
	}

	first.signal(t, syscall.SIGKILL)
	status := expectNotify(t, msgsB, "STATUS=last pass", 20*time.Second)
	expectNotify(t, msgsB, "WATCHDOG=1", 5*time.Second)
	if !strings.Contains(status, "created 0,") {
		t.Errorf("the second daemon's pass: %q; want nothing created again", status)
	}
	if got := len(e.box.Leads()); got != 3 {
		t.Errorf("deals: got %d, want 3", got)
	}
	metricsHas(t, addrB, "modx_amocrm_leader 1", "modx_amocrm_entities_written_total")
	if code, _, err := get("http://" + addrB + "/healthz"); err != nil || code != http.StatusOK {
		t.Errorf("/healthz: %d, %v; want 200", code, err)
	}

	second.signal(t, syscall.SIGTERM)
	expectNotify(t, msgsB, "STOPPING=1", 30*time.Second)
	code, ok := second.exitCode(10 * time.Second)
	if !ok || code != exitOK {
		t.Errorf("after SIGTERM: exited %v with %d, want %d", ok, code, exitOK)
	}
	if _, _, err := get("http://" + addrB + "/metrics"); err == nil || !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("metrics still served after the daemon stopped: %v", err)
	}
}

// metricsHas fails t unless addr's /metrics holds every line start in want.
func metricsHas(t *testing.T, addr string, want ...string) {
	t.Helper()
	code, body, err := get("http://" + addr + "/metrics")
	if err != nil || code != http.StatusOK {
		t.Fatalf("/metrics on %s: %d, %v; want 200", addr, code, err)
	}
	for _, w := range want {
		if !strings.Contains(body, "\n"+w) {
			t.Errorf("/metrics on %s lacks %q", addr, w)
		}
	}
}

// TestDaemonQuietIdlePasses: a pass is logged at INFO only when it did
// something; idle passes every second leave the log alone.
func TestDaemonQuietIdlePasses(t *testing.T) {
	e := newShopEnv(t, modxtest.Options{})
	e.order(modxtest.OrderSpec{Address: map[string]any{"phone": "+7 913 000-00-01"}})
	text := strings.NewReplacer(`level = "warn"`, `level = "info"`, `cron = "@every 1h"`, `cron = "@every 1s"`).Replace(e.configText(""))
	sock, msgs := notifySocket(t)
	c := startChild(t, []string{"NOTIFY_SOCKET=" + sock}, "run", "-config", writeText(t, text, 0o600))
	for range 3 {
		expectNotify(t, msgs, "STATUS=last pass", 15*time.Second)
	}
	c.signal(t, syscall.SIGTERM)
	if _, ok := c.exitCode(30 * time.Second); !ok {
		t.Fatal("daemon still running 30s after SIGTERM")
	}
	logged := c.stderr.String()
	if n := strings.Count(logged, `msg="pass done"`); n != 1 || !strings.Contains(logged, `summary="created `) {
		t.Errorf("%d INFO lines \"pass done\" over 3 passes, want 1 (the pass that created the deal):\n%s", n, logged)
	}
}
