// Package notify speaks systemd's sd_notify protocol: readiness, status,
// stopping and watchdog keep-alives over the datagram socket named by
// $NOTIFY_SOCKET. Every call is a no-op when the variable is unset, so the
// daemon behaves the same in a terminal and under systemd.
package notify

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
)

// Ready tells systemd that start-up finished (Type=notify units count as
// started only from here).
func Ready() error { return send("READY=1") }

// Stopping tells systemd that a graceful shutdown has begun.
func Stopping() error { return send("STOPPING=1") }

// Status sets the one-line status shown by systemctl status.
func Status(s string) error {
	// The protocol is newline-separated: a newline would start a new assignment.
	return send("STATUS=" + strings.ReplaceAll(s, "\n", " "))
}

// Watchdog sends one watchdog keep-alive.
func Watchdog() error { return send("WATCHDOG=1") }

// WatchdogInterval returns the watchdog timeout systemd expects keep-alives
// within ($WATCHDOG_USEC), and false when there is none or it is meant for
// another process ($WATCHDOG_PID set to a pid that is not ours).
func WatchdogInterval() (time.Duration, bool) {
	usec, err := strconv.ParseInt(os.Getenv("WATCHDOG_USEC"), 10, 64)
	if err != nil || usec <= 0 {
		return 0, false
	}
	if pid := os.Getenv("WATCHDOG_PID"); pid != "" && pid != strconv.Itoa(os.Getpid()) {
		return 0, false
	}
	return time.Duration(usec) * time.Microsecond, true
}

func send(state string) error {
	socket := os.Getenv("NOTIFY_SOCKET")
	if socket == "" {
		return nil
	}
	// net maps a leading '@' to Linux's abstract socket namespace, as systemd means it.
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: socket, Net: "unixgram"})
	if err != nil {
		return fmt.Errorf("sd_notify %s: %w", state, err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte(state)); err != nil {
		return fmt.Errorf("sd_notify %s: %w", state, err)
	}
	return nil
}
