package state

import (
	"context"
	"fmt"
	"time"
)

// PendingCreate marks an amoCRM create that was started and not yet
// recorded as a link (DESIGN rule 2). After a crash, the entity is looked
// up by Key before anything is created again.
type PendingCreate struct {
	Kind        string `db:"kind"`
	SourceID    int64  `db:"source_id"`
	Key         string `db:"lookup_key"` // the order number, or a contact's phone/e-mail key
	PayloadHash string `db:"payload_hash"`
	// AboveID is the highest amoCRM id of the entity's kind known before the
	// create (0 on an empty account): what the create stored, if anything,
	// has a higher id. NoBound on markers written before it was recorded.
	AboveID   int64     `db:"above_id"`
	CreatedAt time.Time `db:"created_at"`
}

// NoBound is the AboveID of a marker written before bounds were recorded.
const NoBound = -1

// Waiting is a row seen but not ready yet (an order still at status 0); it is
// remembered so the watermark can move past it.
type Waiting struct {
	Kind     string    `db:"kind"`
	SourceID int64     `db:"source_id"`
	Since    time.Time `db:"since"`
	Reason   string    `db:"reason"`
}

// MarkPending records p in its own committed transaction, so the marker is
// durable before the API create starts. CreatedAt is set to now.
func (s *Store) MarkPending(ctx context.Context, p PendingCreate) error {
	return s.MarkPendings(ctx, []PendingCreate{p})
}

// MarkPendings records a batch's markers in one committed transaction, so
// they are durable before the batch's create request starts.
func (s *Store) MarkPendings(ctx context.Context, ps []PendingCreate) error {
	if len(ps) == 0 {
		return nil
	}
	return s.Commit(ctx, func(tx *Tx) error { return tx.MarkPendings(ps) })
}

// MarkPendings records markers with the rest of the transaction (what the
// creates' bound was, say), which must commit before the creates start.
// CreatedAt is set to now.
func (tx *Tx) MarkPendings(ps []PendingCreate) error {
	args := make([]any, 0, 6*len(ps))
	for _, p := range ps {
		args = append(args, p.Kind, p.SourceID, p.Key, p.PayloadHash, p.AboveID, tx.now)
	}
	return tx.insertRows(fmt.Sprintf("mark %d creates pending", len(ps)),
		`INSERT INTO {{prefix}}pending (kind, source_id, lookup_key, payload_hash, above_id, created_at)`,
		`ON DUPLICATE KEY UPDATE lookup_key = VALUES(lookup_key), payload_hash = VALUES(payload_hash),
		above_id = VALUES(above_id), created_at = VALUES(created_at)`,
		6, args)
}

// Pending returns the pending creates of kind, oldest first.
func (s *Store) Pending(ctx context.Context, kind string) ([]PendingCreate, error) {
	var out []PendingCreate
	if err := s.db.SelectContext(ctx, &out, s.q(`SELECT kind, source_id, lookup_key, payload_hash, above_id, created_at
		FROM {{prefix}}pending WHERE kind = ? ORDER BY created_at, source_id`), kind); err != nil {
		return nil, fmt.Errorf("read pending %s creates: %w", kind, err)
	}
	return out, nil
}

// ClearPending removes the marker, in the transaction that records the outcome.
func (tx *Tx) ClearPending(kind string, sourceID int64) error {
	return tx.exec(fmt.Sprintf("clear pending %s %d", kind, sourceID),
		`DELETE FROM {{prefix}}pending WHERE kind = ? AND source_id = ?`, kind, sourceID)
}

// Waiting returns the waiting rows of kind, oldest first.
func (s *Store) Waiting(ctx context.Context, kind string) ([]Waiting, error) {
	var out []Waiting
	if err := s.db.SelectContext(ctx, &out, s.q(`SELECT kind, source_id, since, reason
		FROM {{prefix}}waiting WHERE kind = ? ORDER BY since, source_id`), kind); err != nil {
		return nil, fmt.Errorf("read waiting %s rows: %w", kind, err)
	}
	return out, nil
}

// PutWaiting records w; a zero Since means now. A row already waiting keeps
// its Since and takes the new reason.
func (tx *Tx) PutWaiting(w Waiting) error {
	if w.Since.IsZero() {
		w.Since = tx.now
	}
	return tx.exec(fmt.Sprintf("put waiting %s %d", w.Kind, w.SourceID),
		`INSERT INTO {{prefix}}waiting (kind, source_id, since, reason) VALUES (?, ?, ?, ?)
		ON DUPLICATE KEY UPDATE reason = VALUES(reason)`,
		w.Kind, w.SourceID, w.Since.UTC(), w.Reason)
}

// DeleteWaiting forgets a waiting row once it was handled.
func (tx *Tx) DeleteWaiting(kind string, sourceID int64) error {
	return tx.exec(fmt.Sprintf("delete waiting %s %d", kind, sourceID),
		`DELETE FROM {{prefix}}waiting WHERE kind = ? AND source_id = ?`, kind, sourceID)
}

// ClearPendings removes the markers of kind for ids, in the transaction
// that records their outcome.
func (tx *Tx) ClearPendings(kind string, ids []int64) error {
	return tx.deleteIDs("clear pending "+kind, "pending", kind, ids)
}

// DeleteWaitings forgets waiting rows of kind once they were handled.
func (tx *Tx) DeleteWaitings(kind string, ids []int64) error {
	return tx.deleteIDs("delete waiting "+kind, "waiting", kind, ids)
}

// AllPending returns the markers of every kind, in one statement, in the
// order Pending returns a kind's.
func (s *Store) AllPending(ctx context.Context) ([]PendingCreate, error) {
	var out []PendingCreate
	if err := s.db.SelectContext(ctx, &out, s.q(`SELECT kind, source_id, lookup_key, payload_hash, above_id, created_at
		FROM {{prefix}}pending ORDER BY created_at, source_id`)); err != nil {
		return nil, fmt.Errorf("read pending creates: %w", err)
	}
	return out, nil
}

// AllWaiting returns the waiting rows of every kind, in one statement, in
// the order Waiting returns a kind's.
func (s *Store) AllWaiting(ctx context.Context) ([]Waiting, error) {
	var out []Waiting
	if err := s.db.SelectContext(ctx, &out, s.q(`SELECT kind, source_id, since, reason
		FROM {{prefix}}waiting ORDER BY since, source_id`)); err != nil {
		return nil, fmt.Errorf("read waiting rows: %w", err)
	}
	return out, nil
}
