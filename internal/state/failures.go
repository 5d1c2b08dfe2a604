package state

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// ErrBadKey is returned by ParseKey for text that is not KIND:ID.
var ErrBadKey = errors.New("invalid record key")

var kindRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)

// backoff is the delay before the next automatic attempt after the 1st, 2nd,
// 3rd and later failures.
var backoff = []time.Duration{time.Minute, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour}

// Key names a MODX record: "order:123", "form:45", "user:6".
type Key struct {
	Kind     string
	SourceID int64
}

func (k Key) String() string { return k.Kind + ":" + strconv.FormatInt(k.SourceID, 10) }

// ParseKey parses "kind:id" as the failed and retry commands print and take it.
func ParseKey(s string) (Key, error) {
	kind, id, ok := strings.Cut(s, ":")
	n, err := strconv.ParseInt(id, 10, 64)
	if !ok || !kindRE.MatchString(kind) || err != nil || n < 1 {
		return Key{}, fmt.Errorf("%w %q: want KIND:ID such as order:123, form:45 or user:6", ErrBadKey, s)
	}
	return Key{Kind: kind, SourceID: n}, nil
}

// Failure is a parked record.
type Failure struct {
	Kind          string     `db:"kind"`
	SourceID      int64      `db:"source_id"`
	Reason        string     `db:"reason"`
	Attempts      int        `db:"attempts"`
	NextAttemptAt *time.Time `db:"next_attempt_at"` // nil: automatic retries used up, waits for retry
	FirstFailedAt time.Time  `db:"first_failed_at"`
	LastFailedAt  time.Time  `db:"last_failed_at"`
	Payload       string     `db:"payload"` // what was sent, when there was something to send
}

const failureColumns = `kind, source_id, reason, attempts, next_attempt_at, first_failed_at, last_failed_at, COALESCE(payload, '') AS payload`

// Failures returns every parked record, by kind and id.
func (s *Store) Failures(ctx context.Context) ([]Failure, error) {
	var out []Failure
	if err := s.db.SelectContext(ctx, &out, s.q(`SELECT `+failureColumns+` FROM {{prefix}}failures ORDER BY kind, source_id`)); err != nil {
		return nil, fmt.Errorf("read failures: %w", err)
	}
	return out, nil
}

// DueFailures returns at most limit parked records of kind whose next attempt
// is at or before now, earliest first.
func (s *Store) DueFailures(ctx context.Context, kind string, now time.Time, limit int) ([]Failure, error) {
	var out []Failure
	if err := s.db.SelectContext(ctx, &out, s.q(`SELECT `+failureColumns+` FROM {{prefix}}failures
		WHERE kind = ? AND next_attempt_at <= ? ORDER BY next_attempt_at, source_id LIMIT ?`),
		kind, now.UTC(), limit); err != nil {
		return nil, fmt.Errorf("read due %s failures: %w", kind, err)
	}
	return out, nil
}

// Park records that f.Kind/f.SourceID failed with f.Reason (and f.Payload).
// Attempts and the next attempt are computed here: a new failure gets
// attempt 1 in a minute; each repeat backs off (1m, 5m, 30m, 2h), and after
// the store's max attempts the record waits for Retry.
func (tx *Tx) Park(f Failure) error {
	attempts, _, err := getOptional[int](tx.ctx, tx.tx, tx.s.q(`SELECT attempts FROM {{prefix}}failures
		WHERE kind = ? AND source_id = ? FOR UPDATE`), f.Kind, f.SourceID)
	if err != nil {
		return fmt.Errorf("park %s %d: %w", f.Kind, f.SourceID, err)
	}
	attempts++
	var next *time.Time
	if attempts < tx.s.maxAttempts {
		t := tx.now.Add(backoff[min(attempts, len(backoff))-1])
		next = &t
	}
	// An empty payload keeps the one stored by an earlier failure.
	return tx.exec(fmt.Sprintf("park %s %d", f.Kind, f.SourceID),
		`INSERT INTO {{prefix}}failures (kind, source_id, reason, attempts, next_attempt_at, first_failed_at, last_failed_at, payload)
		VALUES (?, ?, ?, ?, ?, ?, ?, NULLIF(?, ''))
		ON DUPLICATE KEY UPDATE reason = VALUES(reason), attempts = VALUES(attempts), next_attempt_at = VALUES(next_attempt_at),
			last_failed_at = VALUES(last_failed_at), payload = COALESCE(VALUES(payload), payload)`,
		f.Kind, f.SourceID, f.Reason, attempts, next, tx.now, tx.now, f.Payload)
}

// Resolve deletes the failure of a record that has now been handled.
func (tx *Tx) Resolve(kind string, sourceID int64) error {
	return tx.exec(fmt.Sprintf("resolve %s %d", kind, sourceID),
		`DELETE FROM {{prefix}}failures WHERE kind = ? AND source_id = ?`, kind, sourceID)
}

// Retry makes the given parked records (or all, when all is true) due now
// with a fresh count of attempts, and returns how many of them were parked.
func (s *Store) Retry(ctx context.Context, all bool, keys []Key) (int, error) {
	if !all && len(keys) == 0 {
		return 0, nil
	}
	where, args := "", []any{}
	if !all {
		where = ` WHERE (kind, source_id) IN (` + strings.Repeat("(?, ?), ", len(keys)-1) + `(?, ?))`
		for _, k := range keys {
			args = append(args, k.Kind, k.SourceID)
		}
	}
	// Counted under lock: the UPDATE's own count leaves out rows it did not change.
	var n int
	err := s.Commit(ctx, func(tx *Tx) error {
		if err := tx.tx.GetContext(ctx, &n, s.q(`SELECT COUNT(*) FROM {{prefix}}failures`+where+` FOR UPDATE`), args...); err != nil {
			return fmt.Errorf("retry failures: %w", err)
		}
		return tx.exec("retry failures", `UPDATE {{prefix}}failures SET attempts = 0, next_attempt_at = ?`+where,
			append([]any{tx.now}, args...)...)
	})
	return n, err
}

// ResolveAll deletes the failures of records of kind that have now been handled.
func (tx *Tx) ResolveAll(kind string, ids []int64) error {
	return tx.deleteIDs("resolve "+kind+" failures", "failures", kind, ids)
}
