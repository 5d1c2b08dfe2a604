package state

import (
	"context"
	"fmt"
)

// What the state keeps to follow orders edited or deleted in the shop after
// their deal was made (sql/0004_order_edits.sql): per linked order, the
// signature of the row whose mapping its deal last got, and what the deal
// got, field by field. Both are written in the commit that records the
// deal's write; the comparison pages the signatures, and reads the
// snapshots only of orders whose signature changed.

// OrderSent is what is recorded for an order once its deal holds the
// mapping of one read of it: that read's signature (transform.SignatureOf)
// and snapshot (transform.Sent, encoded).
type OrderSent struct {
	OrderID   int64
	Signature int64
	Sent      []byte
}

// OrderSignatures reads one keyset page of the signatures recorded for
// linked orders after afterID, deleted ones left out: order id ->
// signature, and the page's last id (afterID when the page is empty). A
// page with fewer than limit orders is the last. One statement.
func (s *Store) OrderSignatures(ctx context.Context, afterID int64, limit int) (map[int64]int64, int64, error) {
	rows, err := s.db.QueryxContext(ctx, s.q(`SELECT order_id, signature FROM {{prefix}}order_signatures
		WHERE order_id > ? AND deleted_at IS NULL ORDER BY order_id LIMIT ?`), afterID, limit)
	if err != nil {
		return nil, afterID, fmt.Errorf("read order signatures after %d: %w", afterID, err)
	}
	defer rows.Close()
	out := make(map[int64]int64, limit)
	last := afterID
	for rows.Next() {
		var id, sig int64
		if err := rows.Scan(&id, &sig); err != nil {
			return nil, afterID, fmt.Errorf("read order signatures after %d: %w", afterID, err)
		}
		out[id], last = sig, id
	}
	if err := rows.Err(); err != nil {
		return nil, afterID, fmt.Errorf("read order signatures after %d: %w", afterID, err)
	}
	return out, last, nil
}

// SentOrders reads what the deals of the orders ids last got, by order id;
// orders with nothing recorded are absent. One statement per inChunk ids.
func (s *Store) SentOrders(ctx context.Context, ids []int64) (map[int64][]byte, error) {
	rows, err := selectIn[struct {
		OrderID int64  `db:"order_id"`
		Sent    []byte `db:"sent"`
	}](ctx, s, fmt.Sprintf("read what %d deals got", len(ids)), `SELECT order_id, sent FROM {{prefix}}order_sent WHERE order_id IN (?)`, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[int64][]byte, len(rows))
	for _, r := range rows {
		out[r.OrderID] = r.Sent
	}
	return out, nil
}

// LinkedWithoutSignature reads one keyset page of the orders linked as kind
// (the deals' link kind) that have no signature yet, after afterID: orders
// sent before the connector followed edits, to be recorded as they are
// before the comparison can watch them. One statement.
func (s *Store) LinkedWithoutSignature(ctx context.Context, kind string, afterID int64, limit int) ([]int64, error) {
	var ids []int64
	err := s.db.SelectContext(ctx, &ids, s.q(`SELECT l.source_id FROM {{prefix}}links l
		LEFT JOIN {{prefix}}order_signatures g ON g.order_id = l.source_id
		WHERE l.kind = ? AND l.source_id > ? AND g.order_id IS NULL ORDER BY l.source_id LIMIT ?`), kind, afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("read %s links without a signature after %d: %w", kind, afterID, err)
	}
	return ids, nil
}

// PutOrdersSent records signatures and snapshots, two statements per
// rowsPerInsert orders. A deleted order stays deleted.
func (tx *Tx) PutOrdersSent(rows []OrderSent) error {
	sigs := make([]any, 0, 3*len(rows))
	sent := make([]any, 0, 3*len(rows))
	for _, r := range rows {
		sigs = append(sigs, r.OrderID, r.Signature, tx.now)
		sent = append(sent, r.OrderID, r.Sent, tx.now)
	}
	what := fmt.Sprintf("record what %d deals got", len(rows))
	if err := tx.insertRows(what, `INSERT INTO {{prefix}}order_signatures (order_id, signature, updated_at)`,
		`ON DUPLICATE KEY UPDATE signature = VALUES(signature), updated_at = VALUES(updated_at)`, 3, sigs); err != nil {
		return err
	}
	return tx.insertRows(what, `INSERT INTO {{prefix}}order_sent (order_id, sent, updated_at)`,
		`ON DUPLICATE KEY UPDATE sent = VALUES(sent), updated_at = VALUES(updated_at)`, 3, sent)
}

// MarkOrdersDeleted records that the orders ids are gone from the shop and
// their deals were handled: the comparison skips them from then on (an
// order never recorded gets a tombstone too), and their snapshots are
// dropped. Two statements per inChunk ids.
func (tx *Tx) MarkOrdersDeleted(ids []int64) error {
	what := fmt.Sprintf("mark %d orders deleted", len(ids))
	tombstones := make([]any, 0, 4*len(ids))
	for _, id := range ids {
		tombstones = append(tombstones, id, 0, tx.now, tx.now)
	}
	if err := tx.insertRows(what, `INSERT INTO {{prefix}}order_signatures (order_id, signature, deleted_at, updated_at)`,
		`ON DUPLICATE KEY UPDATE deleted_at = VALUES(deleted_at), updated_at = VALUES(updated_at)`, 4, tombstones); err != nil {
		return err
	}
	return tx.deleteIn(what, `DELETE FROM {{prefix}}order_sent WHERE order_id IN (?)`, ids)
}
