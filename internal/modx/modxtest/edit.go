package modxtest

import (
	"context"
	"crypto/md5"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"
)

// Edits of placed orders, written the way the shop's back office writes
// them. miniShop2, read from its processors at 2.4.19 (commit d736d565),
// 3.0.7 and 4.4.1 (core/components/minishop2/processors/mgr/orders/ and
// model/minishop2/msorder.class.php; the same code in all three except
// where noted):
//
//   - Saving the order window (update.class.php, msOrderUpdateProcessor):
//     the addr_* fields go into the address, updatedon = time(), then the
//     order is saved with its address: before it on 2.x and 3.0 (the order
//     points at the address through ms2_orders.address), after it on 4.x
//     (the address points at the order); then, when the status was changed,
//     changeOrderStatus(), which saves status and writes one log row and
//     never touches updatedon; last MODX's manager_log row "msOrder_update".
//     Only 4.4.0 and later (commit ffa5e0b0, 2023-07-20) let the window edit
//     delivery_cost, and then recompute cost = delivery_cost + cart_cost on
//     every save: the guard compares delivery_cost with a property the
//     processor never sets, so it always holds, and a payment surcharge that
//     checkout put into cost (msOrderHandler::getCost) is dropped.
//   - Adding, changing or removing a product line (product/create,
//     update, remove.class.php): the line is written, then
//     msOrder::updateProducts() sets cart_cost = Σ price × count, weight =
//     Σ weight × count and cost = cart_cost + delivery_cost and saves the
//     order without touching updatedon; the manager_log row is the line's
//     ("msOrderProduct_create", "_update", "_delete", item the line id).
//     All three refuse an order whose status is final.
//   - Deleting an order (remove.class.php, modObjectRemoveProcessor):
//     xPDO removes the order's composites first, one row at a time, in the
//     schema's order — the address (3.0 and 4.x; on 2.x the Address relation
//     is an aggregate, so the address row stays, an orphan), the lines, the
//     log rows — then the order; manager_log "object_delete" (the processor
//     sets no objectType).
//
// MiniShop3 1.x (modx-pro/MiniShop3, src/Services/Order/, read at the
// commits the code index holds: ManagerOrderMutationService 9adf16e2,
// ManagerOrderProductsService 6358105d, ManagerOrderCostRecalculator
// 1b2967d0, OrderLogService 3363e5f9, OrderStatusService 00df7338; the msOrder
// model map 0321fda3):
//
//   - Saving the order (ManagerOrderMutationService::update): the order's
//     fields are set, updatedon = now, the order saved — cost is NOT
//     recomputed when delivery_cost changes —, a log row action "field"
//     with the changed fields' old and new values; the address saved and
//     a log row "address"; a status change through OrderStatusService::
//     change(), which saves status_id (not updatedon) and logs
//     {"status_id":N}. MODX's manager_log gets nothing.
//   - "Пересчитать стоимость" (ManagerOrderCostRecalculator::recalculate)
//     writes cart_cost, delivery_cost, weight, cost and updatedon, and a
//     "field" log row.
//   - Product lines (ManagerOrderProductsService): the line is written,
//     a log row "products" ({"operation":"add"|"update"|"remove",...}),
//     then recalculateOrderTotals() sets cart_cost, weight and cost =
//     cart_cost + delivery_cost without updatedon. Adding refuses a final
//     status; removing refuses the last line. A line added there has
//     product_key md5(product_id . json_encode(options)), without the
//     "ms" of the cart's DBCart::getProductKey.
//   - Deleting (ManagerOrderMutationService::delete): the addresses and
//     lines one by one, then the order, whose composites take its log rows.
//
// Every helper takes the manager (a MODX user id) who works in the back
// office and the time the request ran.

// ErrRefused is what the shop's back office answers an edit it does not
// allow; nothing was written.
var ErrRefused = errors.New("the back office refuses")

// OrderSave is what a manager changed in the order window; zero fields are
// left as they are.
type OrderSave struct {
	Manager int64     // who saves: the log rows are theirs
	At      time.Time // when: updatedon and the log rows; default DefaultTime
	Status  int64     // a new status, through changeOrderStatus()
	// DeliveryCost is a new delivery cost; miniShop2's window has the field
	// from 4.4.0 (Gen4x here), MiniShop3's always.
	DeliveryCost      string
	Delivery, Payment int64
	Comment           *string        // the manager's comment: order_comment (comment on 2.4)
	Address           map[string]any // address columns by miniShop2 name (receiver, city, comment...)
}

// SaveOrder saves the order window (see the facts above).
func SaveOrder(ctx context.Context, db *sqlx.DB, o Options, orderID int64, s OrderSave) error {
	if s.At.IsZero() {
		s.At = DefaultTime
	}
	if o.ms3() {
		return saveMS3Order(ctx, db, o, orderID, s)
	}
	if s.DeliveryCost != "" && o.gen() != Gen4x {
		return fmt.Errorf("save order %d: %w: miniShop2's order window shows the delivery cost read-only before 4.4.0", orderID, ErrRefused)
	}
	set := map[string]any{"updatedon": o.wall(s.At)}
	if s.Delivery != 0 {
		set["delivery"] = s.Delivery
	}
	if s.Payment != 0 {
		set["payment"] = s.Payment
	}
	if s.Comment != nil {
		set[commentColumn(o)] = *s.Comment
	}
	if o.gen() == Gen4x {
		var row struct{ Delivery, Cart string }
		q := "SELECT COALESCE(delivery_cost, 0) AS delivery, COALESCE(cart_cost, 0) AS cart FROM `" + o.Prefix + "ms2_orders` WHERE id = ?"
		if err := db.GetContext(ctx, &row, q, orderID); err != nil {
			return fmt.Errorf("save order %d: %w", orderID, err)
		}
		delivery := or(s.DeliveryCost, row.Delivery)
		cost, err := addMoney(delivery, row.Cart)
		if err != nil {
			return fmt.Errorf("save order %d: %w", orderID, err)
		}
		set["delivery_cost"], set["cost"] = delivery, cost
	}
	if len(s.Address) > 0 && o.gen() != Gen4x { // the order points at its address: saved first
		if _, err := updateAddress(ctx, db, o, orderID, s.Address); err != nil {
			return err
		}
	}
	if err := update(ctx, db, o, "ms2_orders", orderID, set); err != nil {
		return err
	}
	if len(s.Address) > 0 && o.gen() == Gen4x {
		if _, err := updateAddress(ctx, db, o, orderID, s.Address); err != nil {
			return err
		}
	}
	if s.Status != 0 {
		if err := ChangeStatusBy(ctx, db, o, orderID, s.Status, s.Manager, s.At); err != nil {
			return err
		}
	}
	return managerLog(ctx, db, o, s.Manager, "msOrder_update", "msOrder", orderID, s.At)
}

// saveMS3Order is ManagerOrderMutationService::update.
func saveMS3Order(ctx context.Context, db *sqlx.DB, o Options, orderID int64, s OrderSave) error {
	var cur struct {
		Delivery, Payment int64
		DeliveryCost      string
		Comment           sql.NullString
		Status            int64
	}
	q := "SELECT delivery_id AS delivery, payment_id AS payment, COALESCE(delivery_cost, 0) AS deliverycost, " +
		"order_comment AS comment, status_id AS status FROM `" + o.Prefix + "ms3_orders` WHERE id = ?"
	if err := db.GetContext(ctx, &cur, q, orderID); err != nil {
		return fmt.Errorf("save order %d: %w", orderID, err)
	}
	set := map[string]any{"updatedon": o.wall(s.At)}
	changed := map[string]any{}
	field := func(column string, from, to any) {
		set[column] = to
		if fmt.Sprint(from) != fmt.Sprint(to) {
			changed[column] = map[string]any{"old": from, "new": to}
		}
	}
	if s.Delivery != 0 {
		field("delivery_id", cur.Delivery, s.Delivery)
	}
	if s.Payment != 0 {
		field("payment_id", cur.Payment, s.Payment)
	}
	if s.DeliveryCost != "" {
		field("delivery_cost", cur.DeliveryCost, s.DeliveryCost)
	}
	if s.Comment != nil {
		field("order_comment", cur.Comment.String, *s.Comment)
	}
	if err := update(ctx, db, o, "ms3_orders", orderID, set); err != nil {
		return err
	}
	if len(changed) > 0 {
		if err := ms3Log(ctx, db, o, orderID, s.Manager, "field", map[string]any{"fields": changed}, s.At); err != nil {
			return err
		}
	}
	if len(s.Address) > 0 {
		changed, err := updateAddress(ctx, db, o, orderID, s.Address)
		if err != nil {
			return err
		}
		if len(changed) > 0 {
			if err := ms3Log(ctx, db, o, orderID, s.Manager, "address", map[string]any{"fields": changed}, s.At); err != nil {
				return err
			}
		}
	}
	if s.Status != 0 && s.Status != cur.Status {
		return ChangeStatusBy(ctx, db, o, orderID, s.Status, s.Manager, s.At)
	}
	return nil
}

// RecalculateOrder is MiniShop3's "Пересчитать стоимость" with the delivery
// cost typed by the manager (ManagerOrderCostRecalculator, manual mode):
// the totals from the lines, cost = cart_cost + delivery_cost (the default
// payment adds nothing), updatedon, and a "field" log row.
func RecalculateOrder(ctx context.Context, db *sqlx.DB, o Options, orderID int64, deliveryCost string, by int64, at time.Time) error {
	if !o.ms3() {
		return fmt.Errorf("recalculate order %d: %w: miniShop2 has no such action", orderID, ErrRefused)
	}
	if at.IsZero() {
		at = DefaultTime
	}
	cart, weight, err := lineTotals(ctx, db, o, orderID)
	if err != nil {
		return err
	}
	cost, err := addMoney(cart, deliveryCost)
	if err != nil {
		return fmt.Errorf("recalculate order %d: %w", orderID, err)
	}
	set := map[string]any{"cart_cost": cart, "weight": weight, "delivery_cost": deliveryCost, "cost": cost, "updatedon": o.wall(at)}
	if err := update(ctx, db, o, "ms3_orders", orderID, set); err != nil {
		return err
	}
	return ms3Log(ctx, db, o, orderID, by, "field", map[string]any{"fields": map[string]any{"cost": map[string]any{"new": cost}}}, at)
}

// LineChange is a line's new count, price or unit weight; zero fields stay.
type LineChange struct {
	Count         int64
	Price, Weight string
}

// AddOrderLine adds a product line in the back office and returns its id.
func AddOrderLine(ctx context.Context, db *sqlx.DB, o Options, orderID int64, l LineSpec, by int64, at time.Time) (int64, error) {
	if at.IsZero() {
		at = DefaultTime
	}
	if err := refuseFinal(ctx, db, o, orderID, "add a line to"); err != nil {
		return 0, err
	}
	key := ""
	if o.ms3() {
		options := or(l.Options, "[]") // json_encode of no options
		sum := md5.Sum([]byte(strconv.FormatInt(l.ProductID, 10) + options))
		key = hex.EncodeToString(sum[:])
	}
	id, err := insertLine(ctx, db, o, orderID, l, key)
	if err != nil {
		return 0, err
	}
	return id, lineWritten(ctx, db, o, orderID, id, by, at, "create", map[string]any{"operation": "add", "product_id": l.ProductID,
		"product_name": or(l.Name, "Товар"), "count": orID(l.Count, 1), "price": or(l.Price, "100.00")})
}

// UpdateOrderLine changes a product line in the back office.
func UpdateOrderLine(ctx context.Context, db *sqlx.DB, o Options, lineID int64, c LineChange, by int64, at time.Time) error {
	if at.IsZero() {
		at = DefaultTime
	}
	orderID, err := lineOrder(ctx, db, o, lineID)
	if err != nil {
		return err
	}
	if !o.ms3() { // MiniShop3's update does not look at the status
		if err := refuseFinal(ctx, db, o, orderID, "change a line of"); err != nil {
			return err
		}
	}
	set := map[string]any{}
	if c.Count != 0 {
		set["count"] = c.Count
	}
	if c.Price != "" {
		set["price"] = c.Price
	}
	if c.Weight != "" {
		set["weight"] = c.Weight
	}
	if err := update(ctx, db, o, o.shop("order_products"), lineID, set); err != nil {
		return err
	}
	q := "UPDATE `" + o.Prefix + o.shop("order_products") + "` SET cost = price * count WHERE id = ?"
	if _, err := db.ExecContext(ctx, q, lineID); err != nil {
		return fmt.Errorf("update line %d: %w", lineID, err)
	}
	return lineWritten(ctx, db, o, orderID, lineID, by, at, "update", map[string]any{"operation": "update", "changes": set})
}

// RemoveOrderLine removes a product line in the back office.
func RemoveOrderLine(ctx context.Context, db *sqlx.DB, o Options, lineID int64, by int64, at time.Time) error {
	if at.IsZero() {
		at = DefaultTime
	}
	orderID, err := lineOrder(ctx, db, o, lineID)
	if err != nil {
		return err
	}
	lines := "`" + o.Prefix + o.shop("order_products") + "`"
	if o.ms3() {
		var n int
		if err := db.GetContext(ctx, &n, "SELECT COUNT(*) FROM "+lines+" WHERE order_id = ?", orderID); err != nil {
			return fmt.Errorf("remove line %d: %w", lineID, err)
		}
		if n <= 1 {
			return fmt.Errorf("remove line %d: %w the last line of an order", lineID, ErrRefused)
		}
	} else if err := refuseFinal(ctx, db, o, orderID, "remove a line of"); err != nil {
		return err
	}
	if _, err := db.ExecContext(ctx, "DELETE FROM "+lines+" WHERE id = ?", lineID); err != nil {
		return fmt.Errorf("remove line %d: %w", lineID, err)
	}
	return lineWritten(ctx, db, o, orderID, lineID, by, at, "delete", map[string]any{"operation": "remove", "line": lineID})
}

// lineWritten does what follows a line's write: miniShop2 recomputes the
// order's totals, then MODX logs the manager action; MiniShop3 logs the
// change, then recomputes.
func lineWritten(ctx context.Context, db *sqlx.DB, o Options, orderID, lineID, by int64, at time.Time, action string, entry map[string]any) error {
	if o.ms3() {
		if err := ms3Log(ctx, db, o, orderID, by, "products", entry, at); err != nil {
			return err
		}
		return updateTotals(ctx, db, o, orderID)
	}
	if err := updateTotals(ctx, db, o, orderID); err != nil {
		return err
	}
	return managerLog(ctx, db, o, by, "msOrderProduct_"+action, "msOrderProduct", lineID, at)
}

// updateTotals is msOrder::updateProducts() (MiniShop3:
// recalculateOrderTotals()): the totals from the lines, updatedon untouched.
func updateTotals(ctx context.Context, db *sqlx.DB, o Options, orderID int64) error {
	cart, weight, err := lineTotals(ctx, db, o, orderID)
	if err != nil {
		return err
	}
	q := "UPDATE `" + o.Prefix + o.shop("orders") + "` SET cost = ? + COALESCE(delivery_cost, 0), cart_cost = ?, weight = ? WHERE id = ?"
	if _, err := db.ExecContext(ctx, q, cart, cart, weight, orderID); err != nil {
		return fmt.Errorf("update the totals of order %d: %w", orderID, err)
	}
	return nil
}

// lineTotals sums an order's lines: Σ price × count and Σ weight × count.
func lineTotals(ctx context.Context, db *sqlx.DB, o Options, orderID int64) (cart, weight string, err error) {
	q := "SELECT CAST(COALESCE(SUM(price * count), 0) AS DECIMAL(12,2)), CAST(COALESCE(SUM(weight * count), 0) AS DECIMAL(13,3)) FROM `" +
		o.Prefix + o.shop("order_products") + "` WHERE order_id = ?"
	if err := db.QueryRowContext(ctx, q, orderID).Scan(&cart, &weight); err != nil {
		return "", "", fmt.Errorf("sum the lines of order %d: %w", orderID, err)
	}
	return cart, weight, nil
}

// DeleteOrder deletes an order in the back office (see the facts above).
func DeleteOrder(ctx context.Context, db *sqlx.DB, o Options, orderID, by int64, at time.Time) error {
	if at.IsZero() {
		at = DefaultTime
	}
	del := func(table, where string, arg int64) error {
		ids, err := idsWhere(ctx, db, o, table, where, arg)
		if err != nil {
			return err
		}
		for _, id := range ids { // xPDO removes each related object on its own
			if _, err := db.ExecContext(ctx, "DELETE FROM `"+o.Prefix+table+"` WHERE id = ?", id); err != nil {
				return fmt.Errorf("delete %s %d of order %d: %w", table, id, orderID, err)
			}
		}
		return nil
	}
	var steps []func() error
	switch o.gen() {
	case GenMS3:
		steps = append(steps, func() error { return del("ms3_order_addresses", "order_id", orderID) })
	case Gen4x:
		steps = append(steps, func() error { return delFirst(ctx, db, o, "ms2_order_addresses", orderID) })
	case Gen30:
		steps = append(steps, func() error {
			addr, err := idsWhere(ctx, db, o, "ms2_orders", "id", orderID, "address")
			if err != nil || len(addr) == 0 {
				return err
			}
			return del("ms2_order_addresses", "id", addr[0])
		})
	}
	steps = append(steps,
		func() error { return del(o.shop("order_products"), "order_id", orderID) },
		func() error { return del(o.shop("order_logs"), "order_id", orderID) },
		func() error { return del(o.shop("orders"), "id", orderID) },
	)
	if !o.ms3() {
		steps = append(steps, func() error { return managerLog(ctx, db, o, by, "object_delete", "msOrder", orderID, at) })
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

// delFirst removes the address xPDO's getOne('Address') finds for a 4.x
// order: the first row pointing at it (a shop with duplicates keeps the rest).
func delFirst(ctx context.Context, db *sqlx.DB, o Options, table string, orderID int64) error {
	q := "DELETE FROM `" + o.Prefix + table + "` WHERE order_id = ? ORDER BY id LIMIT 1"
	if _, err := db.ExecContext(ctx, q, orderID); err != nil {
		return fmt.Errorf("delete the address of order %d: %w", orderID, err)
	}
	return nil
}

// PluginEdit changes columns of one shop row directly, as plugins, imports
// and scripts do: no updatedon, no log row, no trace. table is the shop
// table without its prefix ("orders", "order_addresses", "order_products").
func PluginEdit(ctx context.Context, db *sqlx.DB, o Options, table string, id int64, set map[string]any) error {
	return update(ctx, db, o, o.shop(table), id, set)
}

// updateAddress writes the order window's address fields (miniShop2 names;
// MiniShop3 1.x keeps receiver as first_name and last_name) into the
// order's address row, and returns the columns whose value changed, with
// their old and new values, as MiniShop3 logs them.
func updateAddress(ctx context.Context, db *sqlx.DB, o Options, orderID int64, fields map[string]any) (map[string]any, error) {
	link, where := "order_id", orderID
	if o.gen() == Gen24 || o.gen() == Gen30 {
		ids, err := idsWhere(ctx, db, o, "ms2_orders", "id", orderID, "address")
		if err != nil {
			return nil, err
		}
		if len(ids) == 0 {
			return nil, nil // getOne('Address') finds nothing: the fields are dropped
		}
		link, where = "id", ids[0]
	}
	ids, err := idsWhere(ctx, db, o, o.shop("order_addresses"), link, where)
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	set := map[string]any{}
	for k, v := range fields {
		set[k] = v
	}
	if r, ok := set["receiver"]; ok && o.ms3() {
		delete(set, "receiver")
		set["first_name"], set["last_name"] = splitName(r)
	}
	changed := map[string]any{}
	for _, col := range sortedKeys(set) {
		var old sql.NullString
		q := "SELECT `" + col + "` FROM `" + o.Prefix + o.shop("order_addresses") + "` WHERE id = ?"
		if err := db.GetContext(ctx, &old, q, ids[0]); err != nil {
			return nil, fmt.Errorf("read address %d: %w", ids[0], err)
		}
		if null := set[col] == nil; old.Valid == null || old.Valid && old.String != fmt.Sprint(set[col]) {
			changed[col] = map[string]any{"old": old.String, "new": set[col]}
		}
	}
	return changed, update(ctx, db, o, o.shop("order_addresses"), ids[0], set)
}

// ms3Log is OrderLogService::addEntry: a log row of the acting manager
// with the entry as JSON.
func ms3Log(ctx context.Context, db *sqlx.DB, o Options, orderID, by int64, action string, entry map[string]any, at time.Time) error {
	_, err := InsertStatusLog(ctx, db, o, LogSpec{OrderID: orderID, UserID: by, Action: action, Entry: PHPJSON(entry), At: at})
	return err
}

// refuseFinal answers ms2_err_status_final for an order at a final status.
func refuseFinal(ctx context.Context, db *sqlx.DB, o Options, orderID int64, what string) error {
	status := "status"
	if o.ms3() {
		status = "status_id"
	}
	var final []bool
	q := "SELECT COALESCE(s.final, 0) FROM `" + o.Prefix + o.shop("orders") + "` o JOIN `" + o.Prefix + o.shop("order_statuses") +
		"` s ON s.id = o." + status + " WHERE o.id = ?"
	if err := db.SelectContext(ctx, &final, q, orderID); err != nil {
		return fmt.Errorf("read the status of order %d: %w", orderID, err)
	}
	if len(final) > 0 && final[0] {
		return fmt.Errorf("%s order %d: %w an order at a final status", what, orderID, ErrRefused)
	}
	return nil
}

// lineOrder is the order a line belongs to.
func lineOrder(ctx context.Context, db *sqlx.DB, o Options, lineID int64) (int64, error) {
	ids, err := idsWhere(ctx, db, o, o.shop("order_products"), "id", lineID, "order_id")
	if err != nil {
		return 0, err
	}
	if len(ids) == 0 {
		return 0, fmt.Errorf("line %d: no such line", lineID)
	}
	return ids[0], nil
}

// idsWhere reads one integer column (default id) of table's rows whose
// where column equals arg, in id order.
func idsWhere(ctx context.Context, db *sqlx.DB, o Options, table, where string, arg int64, column ...string) ([]int64, error) {
	col := "id"
	if len(column) > 0 {
		col = column[0]
	}
	var ids []int64
	q := "SELECT COALESCE(" + col + ", 0) FROM `" + o.Prefix + table + "` WHERE " + where + " = ? ORDER BY id"
	if err := db.SelectContext(ctx, &ids, q, arg); err != nil {
		return nil, fmt.Errorf("read %s of %s where %s = %d: %w", col, table, where, arg, err)
	}
	return ids, nil
}

// commentColumn is the order's own comment column of o's generation.
func commentColumn(o Options) string {
	if o.gen() == Gen24 {
		return "comment"
	}
	return "order_comment"
}

// addMoney adds two decimals of two places exactly.
func addMoney(a, b string) (string, error) {
	x, err := kopecks(a)
	if err != nil {
		return "", err
	}
	y, err := kopecks(b)
	if err != nil {
		return "", err
	}
	return money(int(x + y)), nil
}

func kopecks(s string) (int64, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("money %q: %w", s, err)
	}
	if f < 0 {
		return int64(f*100 - 0.5), nil
	}
	return int64(f*100 + 0.5), nil
}
