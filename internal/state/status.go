package state

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// What `status` reads, kept as JSON in the meta table so that any process
// can show it: the daemon writes it, `status` runs beside it.
const (
	metaLastPass   = "last_pass"
	metaLastFailed = "last_failed_pass"
	metaLeader     = "leader"
)

// PassRecord is what a finished pass leaves for `status`.
type PassRecord struct {
	Started  time.Time      `json:"started"`
	Finished time.Time      `json:"finished"`
	Host     string         `json:"host"`
	PID      int            `json:"pid"`
	Summary  string         `json:"summary,omitempty"` // the pass's summary line; empty when it failed before it began
	Read     map[string]int `json:"read,omitempty"`    // rows read per source
	Parked   int            `json:"parked"`
	Error    string         `json:"error,omitempty"` // why the pass failed; never holds a secret
	// Interrupted: the pass was stopped (Ctrl-C, SIGTERM) before it was
	// through; what it did is committed, and the next run goes on from there.
	Interrupted bool `json:"interrupted,omitempty"`
}

// RecordPass keeps rec as the last pass and, when it failed, as the last
// failed one too.
func (s *Store) RecordPass(ctx context.Context, rec PassRecord) error {
	data, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("encode pass record: %w", err)
	}
	return s.Commit(ctx, func(tx *Tx) error {
		if err := tx.SetMeta(metaLastPass, string(data)); err != nil {
			return err
		}
		if rec.Error == "" {
			return nil
		}
		return tx.SetMeta(metaLastFailed, string(data))
	})
}

// LastPass returns the last recorded pass; ok is false before the first.
func (s *Store) LastPass(ctx context.Context) (rec PassRecord, ok bool, err error) {
	return metaJSON[PassRecord](ctx, s, metaLastPass)
}

// LastFailedPass returns the last pass that recorded an error.
func (s *Store) LastFailedPass(ctx context.Context) (rec PassRecord, ok bool, err error) {
	return metaJSON[PassRecord](ctx, s, metaLastFailed)
}

// LeaderRecord says which process took the instance lock, so `status` can
// name the host behind the lock's connection id.
type LeaderRecord struct {
	Host         string    `json:"host"`
	PID          int       `json:"pid"`
	ConnectionID int64     `json:"connection_id"` // the lock's MySQL session
	Since        time.Time `json:"since"`
}

// SetLeader records the process that holds the instance lock now.
func (s *Store) SetLeader(ctx context.Context, rec LeaderRecord) error {
	data, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("encode leader record: %w", err)
	}
	return s.SetMeta(ctx, metaLeader, string(data))
}

// Leader returns the last process that recorded taking the lock; whether it
// still holds it is for the lock to say.
func (s *Store) Leader(ctx context.Context) (rec LeaderRecord, ok bool, err error) {
	return metaJSON[LeaderRecord](ctx, s, metaLeader)
}

func metaJSON[T any](ctx context.Context, s *Store, name string) (v T, ok bool, err error) {
	data, ok, err := s.Meta(ctx, name)
	if err != nil || !ok {
		return v, false, err
	}
	if err := json.Unmarshal([]byte(data), &v); err != nil {
		return v, false, fmt.Errorf("decode meta %s: %w", name, err)
	}
	return v, true, nil
}

// ParkedCount is how many records of one kind are parked, and how many of
// them have used up their automatic retries and wait for `retry`.
type ParkedCount struct {
	Kind      string `db:"kind" json:"kind"`
	Parked    int    `db:"parked" json:"parked"`
	Exhausted int    `db:"exhausted" json:"waiting_for_retry"`
}

// ParkedCounts counts the parked records per kind.
func (s *Store) ParkedCounts(ctx context.Context) ([]ParkedCount, error) {
	var out []ParkedCount
	err := s.db.SelectContext(ctx, &out, s.q(`SELECT kind, COUNT(*) AS parked,
		CAST(COALESCE(SUM(next_attempt_at IS NULL), 0) AS SIGNED) AS exhausted
		FROM {{prefix}}failures GROUP BY kind ORDER BY kind`))
	if err != nil {
		return nil, fmt.Errorf("count failures: %w", err)
	}
	return out, nil
}

// NotParked returns the keys among keys that have no parked record.
func (s *Store) NotParked(ctx context.Context, keys []Key) ([]Key, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	var found []struct {
		Kind     string `db:"kind"`
		SourceID int64  `db:"source_id"`
	}
	args := make([]any, 0, 2*len(keys))
	for _, k := range keys {
		args = append(args, k.Kind, k.SourceID)
	}
	q := s.q(`SELECT kind, source_id FROM {{prefix}}failures WHERE (kind, source_id) IN (` +
		strings.Repeat("(?, ?), ", len(keys)-1) + `(?, ?))`)
	if err := s.db.SelectContext(ctx, &found, q, args...); err != nil {
		return nil, fmt.Errorf("look up failures: %w", err)
	}
	parked := make(map[Key]bool, len(found))
	for _, f := range found {
		parked[Key{Kind: f.Kind, SourceID: f.SourceID}] = true
	}
	var missing []Key
	for _, k := range keys {
		if !parked[k] {
			missing = append(missing, k)
		}
	}
	return missing, nil
}

// TokenNames lists the names under which an OAuth token is stored, so a
// missing token can be told from one stored for another account.
func (s *Store) TokenNames(ctx context.Context) ([]string, error) {
	var names []string
	if err := s.db.SelectContext(ctx, &names, s.q(`SELECT name FROM {{prefix}}tokens WHERE token_json <> '' ORDER BY name`)); err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	return names, nil
}
