package modx

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/modx-amocrm/modx-amocrm/internal/shop"
)

// The one write this package makes to the shop's own tables: an order's
// status, for [shop_status] (a manager moved the order's deal in amoCRM).
// What miniShop2 itself writes when a manager changes a status in the order
// window, read from its source:
//
//   - processors/mgr/orders/update.class.php (msOrderUpdateProcessor)
//     calls changeOrderStatus() and sets updatedon = time();
//   - changeOrderStatus() (model/minishop2/minishop2.class.php) refuses a
//     final old status, a fixed one unless the new status ranks higher, an
//     inactive or missing new one and the same one; it saves status and
//     calls orderLog(), one ms2_order_logs row: action "status", entry the
//     new id, user_id the acting manager, timestamp now and ip the JSON of
//     modRequest::getClientIp() ({"ip":…,"suspected":[…],"network":[…]});
//   - MiniShop3's OrderStatusService::change() applies the same rules
//     (position for rank) and saves status_id; OrderLogService::add() writes
//     the row with entry {"status_id":N} and visible 1.
//
// We write status (status_id) and updatedon, then the log row with user_id
// 0 (no MODX user made the change) and the ip a request without a client
// address gets. The rules are the planner's (package shopstatus); the
// shop's PHP events (msOnChangeOrderStatus, its e-mails) cannot fire.

// ipNone is getClientIp()'s answer for a request with no client address.
const ipNone = `{"ip":"","suspected":[],"network":[]}`

// OrderStates reads the orders' current status and newest log row, by id;
// ids the shop no longer has are absent.
func (db *DB) OrderStates(ctx context.Context, ids []int64) (map[int64]shop.OrderState, error) {
	out := make(map[int64]shop.OrderState, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	s, err := db.detected(ctx)
	if err != nil {
		return nil, err
	}
	n := s.names
	q := "SELECT o.id, " + s.col(n.orders, "o", "num", "''") + ", " + s.col(n.orders, "o", n.status, "0") + ", " +
		s.col(n.orders, "o", "updatedon", "NULL") + " FROM " + db.table(n.orders) + " o WHERE o.id IN (?)"
	err = db.each(ctx, fmt.Sprintf("read the status of %d orders", len(ids)), q, args(ids), func(rows *sql.Rows) error {
		var (
			o       shop.OrderState
			updated sql.NullTime
		)
		err := rows.Scan(&o.ID, &o.Num, &o.Status, &updated)
		o.UpdatedOn = db.wallTime(updated)
		out[o.ID] = o
		return err
	})
	if err != nil || !s.Has(n.logs, "") {
		return out, err
	}
	q = "SELECT l.order_id, MAX(l.id), MAX(CASE WHEN l.action = 'status' THEN l.`timestamp` END) FROM " +
		db.table(n.logs) + " l WHERE l.order_id IN (?) GROUP BY l.order_id"
	err = db.each(ctx, fmt.Sprintf("read the logs of %d orders", len(ids)), q, args(ids), func(rows *sql.Rows) error {
		var (
			id, last int64
			changed  sql.NullTime
		)
		if err := rows.Scan(&id, &last, &changed); err != nil {
			return err
		}
		if o, ok := out[id]; ok {
			o.LastLogID, o.Changed = last, db.wallTime(changed)
			out[id] = o
		}
		return nil
	})
	return out, err
}

// StatusWrite is one status change the connector makes to an order.
type StatusWrite struct {
	OrderID  int64
	From, To int64     // the status it was read at, and the one it gets
	At       time.Time // written as updatedon and as the log row's time
}

// ErrStatusMoved means the order was no longer at StatusWrite.From: the
// shop changed it since it was read, and nothing was written.
var ErrStatusMoved = errors.New("the order's status changed in the shop meanwhile")

// WriteStatus moves an order: status and updatedon, only while the order is
// still at w.From, then its log row, in one transaction. Where the tables
// are InnoDB (MiniShop3) that is atomic; on MyISAM, which has no
// transactions, the log row is written last, so a crash between the two
// leaves a moved order without its row, for LogStatus to complete. It
// returns the log row's id.
func (db *DB) WriteStatus(ctx context.Context, w StatusWrite) (int64, error) {
	s, err := db.detected(ctx)
	if err != nil {
		return 0, err
	}
	qctx, cancel := db.query(ctx)
	defer cancel()
	tx, err := db.sql.BeginTx(qctx, nil)
	if err != nil {
		return 0, fmt.Errorf("write status of order %d: %w", w.OrderID, err)
	}
	defer tx.Rollback() // after Commit a no-op; on MyISAM it undoes nothing
	n := s.names
	set := "`" + n.status + "` = ?"
	params := []any{w.To}
	if s.Has(n.orders, "updatedon") {
		set += ", updatedon = ?"
		params = append(params, db.wallString(w.At))
	}
	res, err := tx.ExecContext(qctx, "UPDATE "+db.table(n.orders)+" SET "+set+" WHERE id = ? AND `"+n.status+"` = ?",
		append(params, w.OrderID, w.From)...)
	if err != nil {
		return 0, fmt.Errorf("write status of order %d: %w", w.OrderID, grantsHint(err))
	}
	changed, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("write status of order %d: %w", w.OrderID, err)
	}
	if changed == 0 {
		return 0, fmt.Errorf("order %d is no longer at status %d: %w", w.OrderID, w.From, ErrStatusMoved)
	}
	id, err := db.insertLog(qctx, tx, s, w)
	if err != nil {
		return 0, err
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("write status of order %d: commit: %w", w.OrderID, err)
	}
	return id, nil
}

// LogStatus writes only w's log row: it completes a write whose status a
// crash left without its row.
func (db *DB) LogStatus(ctx context.Context, w StatusWrite) (int64, error) {
	s, err := db.detected(ctx)
	if err != nil {
		return 0, err
	}
	qctx, cancel := db.query(ctx)
	defer cancel()
	return db.insertLog(qctx, db.sql, s, w)
}

// execer is a transaction or the pool.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func (db *DB) insertLog(ctx context.Context, x execer, s *Schema, w StatusWrite) (int64, error) {
	t := s.names.logs
	cols := []string{"user_id", "order_id", "`timestamp`", "action", "entry", "ip"}
	vals := []any{0, w.OrderID, db.wallString(w.At), "status", logEntry(s, w.To), ipNone}
	if s.Has(t, "visible") {
		cols, vals = append(cols, "visible"), append(vals, 1)
	}
	res, err := x.ExecContext(ctx, "INSERT INTO "+db.table(t)+" ("+strings.Join(cols, ", ")+") VALUES (?"+
		strings.Repeat(", ?", len(cols)-1)+")", vals...)
	if err != nil {
		return 0, fmt.Errorf("log status %d of order %d: %w", w.To, w.OrderID, grantsHint(err))
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, fmt.Errorf("log status %d of order %d: %w", w.To, w.OrderID, err)
	}
	return id, nil
}

// grantsHint says where the grants are when the server refused one.
func grantsHint(err error) error {
	var me *mysql.MySQLError
	if errors.As(err, &me) && (me.Number == 1142 || me.Number == 1143) { // table or column access denied
		return fmt.Errorf("%w (sql/grants.sql lists the grants shop_status needs)", err)
	}
	return err
}

// logEntry is a status row's entry as the shop writes it: miniShop2 the
// bare id, MiniShop3 a JSON object.
func logEntry(s *Schema, status int64) string {
	if s.Shop == ShopMiniShop3 {
		return `{"status_id":` + strconv.FormatInt(status, 10) + `}`
	}
	return strconv.FormatInt(status, 10)
}

// StatusLogged reports whether a status log row we write (user 0) moving
// orderID to status exists above afterLogID: after a crash, whether a
// write got as far as its row.
func (db *DB) StatusLogged(ctx context.Context, orderID, status, afterLogID int64) (bool, error) {
	s, err := db.detected(ctx)
	if err != nil {
		return false, err
	}
	q := "SELECT l.entry FROM " + db.table(s.names.logs) +
		" l WHERE l.order_id = ? AND l.id > ? AND l.action = 'status' AND l.user_id = 0"
	found := false
	err = db.each(ctx, fmt.Sprintf("look up the status log of order %d", orderID), q, args(orderID, afterLogID), func(rows *sql.Rows) error {
		var entry string
		if err := rows.Scan(&entry); err != nil {
			return err
		}
		got, ok := statusEntry(entry)
		found = found || ok && got == status
		return nil
	})
	return found, err
}

// CheckStatusWrites asks the server whether WriteStatus may run, writing
// nothing: UPDATE of the status column and updatedon on the orders table
// and INSERT on the log table are checked before a statement runs, even
// one that matches no row.
func (db *DB) CheckStatusWrites(ctx context.Context) error {
	s, err := db.detected(ctx)
	if err != nil {
		return err
	}
	n := s.names
	set := "`" + n.status + "` = `" + n.status + "`"
	if s.Has(n.orders, "updatedon") {
		set += ", updatedon = updatedon"
	}
	probes := []string{
		"UPDATE " + db.table(n.orders) + " SET " + set + " WHERE 1 = 0",
		"INSERT INTO " + db.table(n.logs) + " (user_id, order_id, `timestamp`, action, entry, ip) SELECT 0, 0, NULL, '', '', '' FROM DUAL WHERE 1 = 0",
	}
	qctx, cancel := db.query(ctx)
	defer cancel()
	var errs []error
	for _, q := range probes {
		if _, err := db.sql.ExecContext(qctx, q); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
