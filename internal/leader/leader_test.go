package leader

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jmoiron/sqlx"

	"github.com/modx-amocrm/modx-amocrm/internal/testdb"
)

// Environment of the helper process that holds a lock for the two-process tests.
const (
	helperDSN  = "LEADER_TEST_HELPER_DSN"
	helperLock = "LEADER_TEST_HELPER_LOCK"
)

func TestMain(m *testing.M) {
	if dsn := os.Getenv(helperDSN); dsn != "" {
		os.Exit(holdLock(dsn, os.Getenv(helperLock)))
	}
	os.Exit(m.Run())
}

// holdLock is the helper process: it takes the lock, says so on stdout and
// holds it until it is killed.
func holdLock(dsn, name string) int {
	lease, err := (&Locker{DSN: dsn, Name: name}).Acquire(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Printf("acquired %d\n", lease.ConnectionID())
	<-lease.Lost()
	return 1
}

// site returns a database and a lock name unique to the test.
func site(t *testing.T) (*sqlx.DB, string, string) {
	t.Helper()
	db, dsn := testdb.New(t)
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		t.Fatalf("parse test dsn: %v", err)
	}
	return db, dsn, LockName(cfg.DBName, "modx_", "http://127.0.0.1:8080")
}

// holder returns the connection id holding name, or 0 when it is free.
func holder(t *testing.T, db *sqlx.DB, name string) int64 {
	t.Helper()
	var id *int64
	if err := db.Get(&id, "SELECT IS_USED_LOCK(?)", name); err != nil {
		t.Fatalf("is_used_lock: %v", err)
	}
	if id == nil {
		return 0
	}
	return *id
}

// syncBuffer is a log sink safe for the locker's goroutine and the test.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type result struct {
	lease *Lease
	err   error
}

func TestStandbyTakesOverFromKilledProcess(t *testing.T) {
	db, dsn, name := site(t)

	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), helperDSN+"="+dsn, helperLock+"="+name)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatalf("stdout pipe: %v", err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start holder process: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("read holder process: %v", err)
	}
	var holderID int64
	if _, err := fmt.Sscanf(line, "acquired %d", &holderID); err != nil {
		t.Fatalf("holder process said %q: %v", line, err)
	}

	logs := &syncBuffer{}
	standby := &Locker{DSN: dsn, Name: name, Poll: time.Second,
		Logger: slog.New(slog.NewTextHandler(logs, nil))}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	got := make(chan result, 1)
	go func() {
		lease, err := standby.Acquire(ctx)
		got <- result{lease, err}
	}()

	select {
	case r := <-got:
		t.Fatalf("standby acquired a held lock: %v", r.err)
	case <-time.After(1500 * time.Millisecond):
	}
	want := fmt.Sprintf("holder_connection_id=%d", holderID)
	if s := logs.String(); !strings.Contains(s, "waiting for lock") || !strings.Contains(s, want) {
		t.Errorf("standby log: got %q, want \"waiting for lock\" with %s", s, want)
	}

	if err := cmd.Process.Kill(); err != nil { // SIGKILL: no release, the session just dies
		t.Fatalf("kill holder process: %v", err)
	}
	cmd.Wait()

	var r result
	select {
	case r = <-got:
	case <-time.After(10 * time.Second):
		t.Fatal("standby did not take over within 10s of the holder's death")
	}
	if r.err != nil {
		t.Fatalf("standby acquire: %v", r.err)
	}
	if h := holder(t, db, name); h != r.lease.ConnectionID() {
		t.Errorf("lock holder after takeover: got connection %d, want %d", h, r.lease.ConnectionID())
	}
	if err := r.lease.Release(context.Background()); err != nil {
		t.Fatalf("release: %v", err)
	}
	if h := holder(t, db, name); h != 0 {
		t.Errorf("lock holder after release: got connection %d, want none", h)
	}
}

func TestKilledConnectionLosesLease(t *testing.T) {
	db, dsn, name := site(t)
	lease, err := (&Locker{DSN: dsn, Name: name, Keepalive: 100 * time.Millisecond}).Acquire(context.Background())
	if err != nil {
		t.Fatalf("acquire: %v", err)
	}
	defer lease.Release(context.Background())
	ctx, cancel := lease.Context(context.Background())
	defer cancel()
	if err := lease.Err(); err != nil {
		t.Fatalf("Err of a held lease: got %v, want nil", err)
	}

	if _, err := db.Exec(fmt.Sprintf("KILL %d", lease.ConnectionID())); err != nil {
		t.Fatalf("kill lock connection: %v", err)
	}
	select {
	case <-lease.Lost():
	case <-time.After(2 * time.Second):
		t.Fatal("Lost not closed within 2s of the lock connection being killed")
	}
	if err := lease.Err(); !errors.Is(err, ErrLost) {
		t.Errorf("Err after loss: got %v, want ErrLost", err)
	}
	<-ctx.Done()
	if cause := context.Cause(ctx); !errors.Is(cause, ErrLost) {
		t.Errorf("lease context cause: got %v, want ErrLost", cause)
	}
}

func TestStandbyGivesUpWithContext(t *testing.T) {
	_, dsn, name := site(t)
	lease, err := (&Locker{DSN: dsn, Name: name}).Acquire(context.Background())
	if err != nil {
		t.Fatalf("acquire: %v", err)
	}
	defer lease.Release(context.Background())

	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	standby := &Locker{DSN: dsn, Name: name, Poll: time.Second,
		Logger: slog.New(slog.DiscardHandler)}
	if _, err := standby.Acquire(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("standby acquire: got %v, want context.DeadlineExceeded", err)
	}
}

func TestLockName(t *testing.T) {
	short := LockName("modx", "modx_", "https://shop.amocrm.ru")
	if want := "modx-amocrm:modx:modx_:https://shop.amocrm.ru"; short != want {
		t.Errorf("short name: got %q, want %q", short, want)
	}
	long := LockName("modx_production_database", "modx_", "https://a-rather-long-account-name.amocrm.ru")
	if len(long) > 64 || !strings.HasPrefix(long, "modx-amocrm:") {
		t.Errorf("long name: got %q (%d chars), want the prefix and at most 64 chars", long, len(long))
	}
	other := LockName("modx_production_database", "modx_", "https://another-rather-long-account.amocrm.ru")
	if long == other {
		t.Errorf("two sites share the lock name %q", long)
	}
}

// TestHolder: a free lock has no holder; a held one names its connection and
// the host that connection comes from.
func TestHolder(t *testing.T) {
	ctx := context.Background()
	_, dsn, name := site(t)
	l := &Locker{DSN: dsn, Name: name}
	if h, held, err := l.Holder(ctx); err != nil || held {
		t.Fatalf("free lock: holder %+v, held %v, %v; want none", h, held, err)
	}
	lease, err := l.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer lease.Release(ctx)
	h, held, err := l.Holder(ctx)
	if err != nil || !held || h.ConnectionID != lease.ConnectionID() {
		t.Fatalf("held lock: holder %+v, held %v, %v; want connection %d", h, held, err, lease.ConnectionID())
	}
	if !strings.HasPrefix(h.ClientHost, "127.0.0.1:") && !strings.HasPrefix(h.ClientHost, "localhost") {
		t.Errorf("client host %q, want the test's loopback address", h.ClientHost)
	}
}
