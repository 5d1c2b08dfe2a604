package modx

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/modx-amocrm/modx-amocrm/internal/shop"
)

// MiniShop3 is the rewrite of miniShop2 for MODX 3 (modx-pro/MiniShop3). The
// readers of orders.go and logs.go serve it through shopNames; this file
// holds what is MiniShop3's own. Facts, read from the MiniShop3 source:
//
//   - Versions read: the pre-release snapshot of 2024-03-25 (commit 3df7e5b,
//     branch draft) and the 1.x beta line (1.0.0-beta1 of 2026-01-05 onward,
//     core/components/minishop3/docs/changelog.txt), whose schema was read at
//     commit 00df7338 (core/components/minishop3/schema/minishop3.mysql.schema.xml)
//     with the Phinx migrations in core/components/minishop3/migrations/.
//     Tables come from the model maps (src/Model/mysql/*.php) through
//     xPDO's createObjectContainer (migrations/20251020000000_initial_schema.php),
//     InnoDB, under MODX's own table prefix.
//   - Tables are ms3_*: ms3_orders, ms3_order_addresses, ms3_order_products
//     (adds product_key), ms3_order_logs, ms3_order_statuses, ms3_products,
//     ms3_product_categories, ms3_deliveries, ms3_payments,
//     ms3_delivery_payments, and the new ms3_customers. Products and
//     categories are site_content rows with class_key
//     MiniShop3\Model\msProduct and MiniShop3\Model\msCategory.
//   - ms3_orders renames status, delivery and payment to status_id,
//     delivery_id and payment_id and has token (the cart's session) instead
//     of session_id. 1.x adds customer_id (-> ms3_customers.id), uuid (unique),
//     idempotency_key (migrations/20260809140000_add_order_idempotency_key.php)
//     and makes num unique and NULL on drafts
//     (migrations/20260716120000_add_unique_index_on_order_num.php). There is
//     no address column: addresses link by ms3_order_addresses.order_id.
//   - ms3_order_addresses: the pre-release has miniShop2 4.x's columns
//     (user_id, receiver, ...); 1.x drops user_id and splits receiver into
//     first_name and last_name. We read the receiver as "first last".
//   - ms3_order_statuses has position instead of rank. Statuses are seeded
//     with fixed ids: 1 draft, 2 new, 3 paid, 4 sent, 5 cancelled (4 and 5
//     final) by _build/resolvers/resolver_04_statuses.php and
//     migrations/20251023000000_seed_order_statuses.php; 1.x stores the
//     lexicon keys as names ("ms3_order_status_new") and the manager shows
//     the lexicon's text, so the five default keys are translated here with
//     lexicon/ru/manager.inc.php.
//   - Settings: ms3_status_draft (default 1; the code reads
//     getOption('ms3_status_draft', null, 1) ?: 1), ms3_status_new (installed
//     0, set to 2 by the seed migration; code fallback 2), ms3_status_paid,
//     ms3_status_canceled.
//   - Every order starts as a draft row: OrderDraftManager::createDraft
//     (src/Services/Order/OrderDraftManager.php) inserts the order at the
//     draft status with token, uuid, createdon = the cart's start and user_id
//     = the logged-in MODX user, plus an empty address row. The cart adds
//     lines, the checkout form fills the address. Checkout
//     (OrderSubmitHandler::submit), the manager's "create draft order" and
//     finalize (OrderFinalizeService::finalize) and integrations
//     (ProgrammaticOrderService) then link or create the customer, set num
//     and costs, set user_id (0 unless ms3_order_register_user_on_submit), and
//     call OrderStatusService::change(id, ms3_status_new), which saves
//     status_id and writes the log row. createdon stays the cart's time. So a
//     draft is a cart, not an order, and a placement always arrives through
//     the log; old drafts are deleted by the cleanupDrafts scheduler task.
//   - Log rows (OrderLogService::add): action "status", entry a JSON object
//     {"status_id":2}; entry is TEXT since
//     migrations/20251216120000_alter_order_logs_table.php, which also added
//     visible. Products, field, address and payment changes are logged too
//     (ms3_order_log_actions) and are not status changes. The pre-release's
//     OrderStatus::change passed entry and action swapped to OrderLog::process,
//     but nothing called it yet (MiniShop3::changeOrderStatus was commented
//     out and Order::submit returned []), so no such rows exist.
//   - Customers are their own entity, optionally linked to a MODX user:
//     ms3_customers (first_name, last_name, phone, email, user_id, is_active,
//     is_blocked, created_at...). To reach a customer MiniShop3 itself takes
//     the order's address first, then the msCustomer, then the modUserProfile
//     of user_id (OrderStatusService::getCustomerRecipient); so do we: the
//     transform takes the address first, and an order's Customer is its
//     ms3_customers row, else its MODX user.
//   - DATETIMEs are PHP local time (xPDO formats time()), as in miniShop2.

// miniShop3 names MiniShop3's tables, renamed columns and settings.
var miniShop3 = shopNames{
	shop: ShopMiniShop3, title: "MiniShop3",
	orders: "ms3_orders", addresses: "ms3_order_addresses", products: "ms3_order_products",
	logs: "ms3_order_logs", statuses: "ms3_order_statuses",
	productData: "ms3_products", productCategories: "ms3_product_categories",
	deliveries: "ms3_deliveries", payments: "ms3_payments",
	status: "status_id", delivery: "delivery_id", payment: "payment_id", rank: "position",
	draftSetting: "ms3_status_draft", newSetting: "ms3_status_new",
	markers: []string{"ms3_orders.customer_id", "ms3_orders.uuid", "ms3_orders.idempotency_key",
		"ms3_order_addresses.first_name", "ms3_order_addresses.receiver", "ms3_order_logs.visible"},
}

// ms3Customers is MiniShop3's customer table.
const ms3Customers = "ms3_customers"

// ms3StatusNames are the lexicon keys MiniShop3 1.x seeds as the default
// statuses' names, with the text its ru lexicon shows for them.
var ms3StatusNames = map[string]string{
	"ms3_order_status_draft":     "Черновик",
	"ms3_order_status_new":       "Новый",
	"ms3_order_status_paid":      "Оплачен",
	"ms3_order_status_sent":      "Отправлен",
	"ms3_order_status_cancelled": "Отменен",
}

// statusName is a status's name as the shop's manager shows it.
func statusName(name string) string {
	if text, ok := ms3StatusNames[name]; ok {
		return text
	}
	return name
}

// fullName selects "first_name last_name" of a MiniShop3 table.
func (s *Schema) fullName(table, alias string) string {
	return "TRIM(CONCAT(" + s.col(table, alias, "first_name", "''") + ", ' ', " + s.col(table, alias, "last_name", "''") + "))"
}

// receiver selects an address's receiver: MiniShop3 1.x keeps it as
// first_name and last_name.
func (s *Schema) receiver() string {
	t := s.names.addresses
	if s.Has(t, "receiver") || !s.Has(t, "first_name") {
		return s.col(t, "a", "receiver", "''")
	}
	return s.fullName(t, "a")
}

// shopCustomers reads MiniShop3's customers by id (ms3_customers) as
// Customers whose ID is the linked MODX user (0 for a guest). It is empty
// on miniShop2, whose customers are MODX users.
func (db *DB) shopCustomers(ctx context.Context, s *Schema, ids []int64) (map[int64]*shop.Customer, error) {
	if len(ids) == 0 || !s.Has(ms3Customers, "") {
		return nil, nil
	}
	c := func(col, fallback string) string { return s.col(ms3Customers, "c", col, fallback) }
	created := "NULL"
	if s.Has(ms3Customers, "created_at") {
		created = "c.created_at"
	}
	q := "SELECT c.id, " + c("user_id", "0") + ", " + s.fullName(ms3Customers, "c") + ", " + c("email", "''") + ", " +
		c("phone", "''") + ", " + c("is_active", "1") + ", " + c("is_blocked", "0") + ", " + created +
		" FROM " + db.table(ms3Customers) + " c WHERE c.id IN (?)"
	out := make(map[int64]*shop.Customer, len(ids))
	err := db.each(ctx, fmt.Sprintf("read %d customers", len(ids)), q, args(ids), func(rows *sql.Rows) error {
		var (
			id        int64
			cu        shop.Customer
			createdAt sql.NullTime
		)
		if err := rows.Scan(&id, &cu.ID, &cu.FullName, &cu.Email, &cu.Phone, &cu.Active, &cu.Blocked, &createdAt); err != nil {
			return err
		}
		cu.CreatedOn = db.wallTime(createdAt)
		out[id] = &cu
		return nil
	})
	return out, err
}
