package notify

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"
)

// listen opens a datagram socket standing in for systemd's and points
// $NOTIFY_SOCKET at it.
func listen(t *testing.T, name string) *net.UnixConn {
	t.Helper()
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		t.Fatalf("listen %s: %v", name, err)
	}
	t.Cleanup(func() { conn.Close() })
	t.Setenv("NOTIFY_SOCKET", name)
	return conn
}

// receive returns the next datagram, or "" when none arrives within wait.
func receive(t *testing.T, conn *net.UnixConn, wait time.Duration) string {
	t.Helper()
	if err := conn.SetReadDeadline(time.Now().Add(wait)); err != nil {
		t.Fatalf("set deadline: %v", err)
	}
	buf := make([]byte, 4096)
	n, err := conn.Read(buf)
	if err != nil {
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			return ""
		}
		t.Fatalf("read notify socket: %v", err)
	}
	return string(buf[:n])
}

func TestMessages(t *testing.T) {
	sockets := map[string]string{
		"path":     filepath.Join(t.TempDir(), "notify.sock"),
		"abstract": "@modx-amocrm-test-" + strconv.Itoa(os.Getpid()),
	}
	for kind, name := range sockets {
		t.Run(kind, func(t *testing.T) {
			conn := listen(t, name)
			tests := []struct {
				send func() error
				want string
			}{
				{Ready, "READY=1"},
				{func() error { return Status("last pass ok\nat 12:00") }, "STATUS=last pass ok at 12:00"},
				{Watchdog, "WATCHDOG=1"},
				{Stopping, "STOPPING=1"},
			}
			for _, tt := range tests {
				if err := tt.send(); err != nil {
					t.Fatalf("send %q: %v", tt.want, err)
				}
				if got := receive(t, conn, time.Second); got != tt.want {
					t.Errorf("got %q, want %q", got, tt.want)
				}
			}
		})
	}
}

func TestNoSocketIsNoop(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "")
	if err := Ready(); err != nil {
		t.Errorf("Ready without NOTIFY_SOCKET: got %v, want nil", err)
	}
}

func TestMissingSocketFails(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", filepath.Join(t.TempDir(), "absent.sock"))
	if err := Ready(); err == nil {
		t.Error("Ready to a missing socket: got nil error, want one")
	}
}

func TestWatchdogInterval(t *testing.T) {
	self := strconv.Itoa(os.Getpid())
	tests := []struct {
		usec, pid string
		want      time.Duration
		wantOK    bool
	}{
		{"", "", 0, false},
		{"300000000", "", 5 * time.Minute, true},
		{"300000000", self, 5 * time.Minute, true},
		{"300000000", "1", 0, false},
		{"0", "", 0, false},
		{"soon", "", 0, false},
	}
	for _, tt := range tests {
		t.Setenv("WATCHDOG_USEC", tt.usec)
		t.Setenv("WATCHDOG_PID", tt.pid)
		got, ok := WatchdogInterval()
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("WATCHDOG_USEC=%q WATCHDOG_PID=%q: got %v, %v, want %v, %v",
				tt.usec, tt.pid, got, ok, tt.want, tt.wantOK)
		}
	}
}

// beat stands in for a healthy scheduler loop; stop waits until it has stopped.
func beat(hb *Heartbeat, every time.Duration) (stop func()) {
	quit, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			select {
			case <-quit:
				return
			case <-tick.C:
				hb.Beat()
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() { close(quit) })
		<-stopped
	}
}

func TestHeartbeatPingsWhileBeating(t *testing.T) {
	conn := listen(t, filepath.Join(t.TempDir(), "notify.sock"))
	const interval = 100 * time.Millisecond
	hb := NewHeartbeat()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- hb.Run(ctx, interval) }()

	// A healthy loop beats more often than the interval: pings keep coming.
	stop := beat(hb, interval/10)
	for i := range 4 {
		if got := receive(t, conn, 2*time.Second); got != "WATCHDOG=1" {
			t.Fatalf("ping %d while beating: got %q, want WATCHDOG=1", i, got)
		}
	}
	stop()

	// A wedged loop stops beating: after at most one interval the pings stop.
	time.Sleep(2 * interval)
	for receive(t, conn, time.Millisecond) != "" {
	}
	if got := receive(t, conn, 3*interval); got != "" {
		t.Errorf("ping from a wedged loop: got %q, want none", got)
	}

	// Progress resumes the pings.
	stop = beat(hb, interval/10)
	defer stop()
	if got := receive(t, conn, 2*time.Second); got != "WATCHDOG=1" {
		t.Errorf("ping after the loop recovered: got %q, want WATCHDOG=1", got)
	}

	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: got %v, want nil after cancel", err)
	}
}

func TestNilHeartbeatBeat(t *testing.T) {
	var hb *Heartbeat
	hb.Beat() // must not panic: callers outside systemd pass nil
}

// BenchmarkBeat backs the claim that a beat is cheap enough for every batch.
func BenchmarkBeat(b *testing.B) {
	hb := NewHeartbeat()
	for b.Loop() {
		hb.Beat()
	}
}
