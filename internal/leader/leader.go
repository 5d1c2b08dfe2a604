// Package leader keeps a single active modx-amocrm instance per site with a
// MySQL advisory lock (GET_LOCK) held on a pinned connection. A second
// instance waits as a standby and takes over when the first one's session
// ends; a holder whose connection fails learns it through Lease.Lost and must
// stop writing at once, since a standby may already be active.
package leader

import (
	"context"
	"crypto/sha1"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	_ "github.com/go-sql-driver/mysql" // registers the "mysql" driver
)

// ErrLost is the cause of a lease's loss (Lease.Err, context.Cause of
// Lease.Context): the lock's connection failed or no longer holds the lock.
var ErrLost = errors.New("instance lock lost")

const (
	namePrefix       = "modx-amocrm:"
	maxNameLen       = 64 // MySQL and MariaDB reject longer lock names
	defaultPoll      = 5 * time.Second
	defaultKeepalive = 5 * time.Second
)

// LockName derives the lock name of one site: the MODX database, its table
// prefix and the amoCRM account it writes to. Names longer than MySQL's 64
// characters become the prefix plus the SHA-1 of the whole name.
func LockName(database, tablePrefix, baseURL string) string {
	name := namePrefix + database + ":" + tablePrefix + ":" + baseURL
	if len(name) <= maxNameLen {
		return name
	}
	sum := sha1.Sum([]byte(name))
	return namePrefix + hex.EncodeToString(sum[:])
}

// Locker acquires one named lock. DSN and Name are required; zero durations
// take the defaults (5s).
type Locker struct {
	DSN  string
	Name string
	// Poll bounds one GET_LOCK wait of a standby; between waits it checks
	// ctx and logs a change of holder. The takeover itself is immediate.
	Poll time.Duration
	// Keepalive is how often a lease checks its connection, and the timeout
	// of that check.
	Keepalive time.Duration
	Logger    *slog.Logger
}

// Acquire takes the lock, waiting as a standby for as long as another
// session holds it, until ctx is done. The lease runs its keepalive until
// Release.
func (l *Locker) Acquire(ctx context.Context) (*Lease, error) {
	db, err := sql.Open("mysql", l.DSN)
	if err != nil {
		return nil, fmt.Errorf("open lock connection: %w", err)
	}
	// One connection, never recycled: the lock lives exactly as long as it.
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	conn, err := db.Conn(ctx)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open lock connection: %w", err)
	}
	lease, err := l.take(ctx, db, conn)
	if err != nil {
		conn.Close()
		db.Close()
		return nil, err
	}
	go lease.keepalive(or(l.Keepalive, defaultKeepalive))
	return lease, nil
}

func (l *Locker) take(ctx context.Context, db *sql.DB, conn *sql.Conn) (*Lease, error) {
	log := l.Logger
	if log == nil {
		log = slog.Default()
	}
	wait := max(int64(or(l.Poll, defaultPoll)/time.Second), 1)
	holder := int64(-1)
	for {
		var got sql.NullInt64
		err := conn.QueryRowContext(ctx, "SELECT GET_LOCK(?, ?)", l.Name, wait).Scan(&got)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if err != nil {
			return nil, fmt.Errorf("get lock %q: %w", l.Name, err)
		}
		if !got.Valid {
			return nil, fmt.Errorf("get lock %q: server returned NULL", l.Name)
		}
		if got.Int64 == 1 {
			break
		}
		var h sql.NullInt64
		if err := conn.QueryRowContext(ctx, "SELECT IS_USED_LOCK(?)", l.Name).Scan(&h); err != nil {
			return nil, fmt.Errorf("find holder of lock %q: %w", l.Name, err)
		}
		if h.Int64 != holder {
			holder = h.Int64
			log.Info("waiting for lock", "lock", l.Name, "holder_connection_id", holder)
		}
	}
	lease := &Lease{name: l.Name, db: db, conn: conn,
		lost: make(chan struct{}), stop: make(chan struct{}), done: make(chan struct{})}
	if err := conn.QueryRowContext(ctx, "SELECT CONNECTION_ID()").Scan(&lease.connID); err != nil {
		return nil, fmt.Errorf("read lock connection id: %w", err)
	}
	return lease, nil
}

// Holder is the session holding a lock, as the server sees it.
type Holder struct {
	ConnectionID int64
	// ClientHost is where the session connects from ("10.0.0.5:51234",
	// "localhost"); empty when the server does not show it to this user.
	ClientHost string
}

// Holder says which session holds the lock, without waiting for it; held is
// false when the lock is free. It opens a connection of its own for that.
func (l *Locker) Holder(ctx context.Context) (h Holder, held bool, err error) {
	db, err := sql.Open("mysql", l.DSN)
	if err != nil {
		return h, false, fmt.Errorf("open lock connection: %w", err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	var id sql.NullInt64
	if err := db.QueryRowContext(ctx, "SELECT IS_USED_LOCK(?)", l.Name).Scan(&id); err != nil {
		return h, false, fmt.Errorf("find holder of lock %q: %w", l.Name, err)
	}
	if !id.Valid {
		return h, false, nil
	}
	h.ConnectionID = id.Int64
	// Without the PROCESS privilege only the user's own sessions are listed,
	// which is every session of this site's daemons.
	var host sql.NullString
	err = db.QueryRowContext(ctx, "SELECT HOST FROM information_schema.PROCESSLIST WHERE ID = ?", id.Int64).Scan(&host)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return h, true, fmt.Errorf("find host of connection %d: %w", id.Int64, err)
	}
	h.ClientHost = host.String
	return h, true, nil
}

func or(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// Lease is a held lock.
type Lease struct {
	name   string
	connID int64
	db     *sql.DB
	conn   *sql.Conn

	lost     chan struct{} // closed when the lock is lost
	cause    error         // why; written before lost is closed
	stop     chan struct{} // closed by Release
	stopOnce sync.Once
	done     chan struct{} // closed when keepalive returns
}

// ConnectionID is the MySQL connection id holding the lock, as a standby's
// IS_USED_LOCK reports it.
func (l *Lease) ConnectionID() int64 { return l.connID }

// Lost is closed when the lock's connection fails a keepalive check. The
// holder must stop writing at once: the lock may already be someone else's.
func (l *Lease) Lost() <-chan struct{} { return l.lost }

// Err returns nil while the lease holds, and an error wrapping ErrLost and
// its cause once Lost is closed.
func (l *Lease) Err() error {
	select {
	case <-l.lost:
		return fmt.Errorf("%w: %w", ErrLost, l.cause)
	default:
		return nil
	}
}

// Context returns a context that is cancelled with cause ErrLost when the
// lease is lost, or when parent is done.
func (l *Lease) Context(parent context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(parent)
	go func() {
		select {
		case <-l.lost:
			cancel(l.Err())
		case <-ctx.Done():
		}
	}()
	return ctx, func() { cancel(context.Canceled) }
}

// keepalive checks every interval that the pinned connection still holds
// the lock, and closes lost when it does not.
func (l *Lease) keepalive(interval time.Duration) {
	defer close(l.done)
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-tick.C:
			if err := l.check(interval); err != nil {
				l.cause = err
				close(l.lost)
				return
			}
		}
	}
}

func (l *Lease) check(timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var held sql.NullBool
	err := l.conn.QueryRowContext(ctx, "SELECT IS_USED_LOCK(?) = CONNECTION_ID()", l.name).Scan(&held)
	switch {
	case err != nil:
		return fmt.Errorf("check lock connection: %w", err)
	case !held.Bool:
		return errors.New("lock no longer held by this connection")
	}
	return nil
}

// Release stops the keepalive, releases the lock and closes its
// connection. Call it once.
func (l *Lease) Release(ctx context.Context) error {
	l.stopOnce.Do(func() { close(l.stop) })
	<-l.done
	var err error
	if l.Err() == nil {
		if _, err = l.conn.ExecContext(ctx, "DO RELEASE_LOCK(?)", l.name); err != nil {
			err = fmt.Errorf("release lock %q: %w", l.name, err)
		}
	}
	// Closing the pool ends the session, which frees the lock in any case.
	l.conn.Close()
	if cerr := l.db.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("close lock connection: %w", cerr)
	}
	return err
}
