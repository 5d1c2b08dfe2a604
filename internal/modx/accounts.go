package modx

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/modx-amocrm/modx-amocrm/internal/shop"
)

// Whose account is an order's user_id? Not always the customer's
// (real-installs.md §5.4, §5.5): the 4.x back office puts the manager's own
// user_id on the orders a manager makes, and some shops place every guest
// order under one account. The transform then keeps the account's profile
// out of the contact; here we read the facts it decides on.
//
// A manager is a user MODX lets into the manager: users.sudo, or a member
// (member_groups) of a user group with access to the mgr context
// (access_context, principal_class modUserGroup; MODX 3 namespaces the
// class). A fresh install gives group 1, Administrator, mgr access, as the
// D4 dump of real-installs.md §1 shows (access_context rows 'mgr' and 'web'
// for principal 1, member_groups user 1 in group 1). A user who changed the
// status of someone else's order (an order log row by them on an order with
// another user_id, §5.3; among their newest accountSample rows) is a
// manager too, whatever the access tables say.

// userGroupClasses are access_context.principal_class values of user
// groups on MODX 2 and 3.
var userGroupClasses = []string{"modUserGroup", `MODX\Revolution\modUserGroup`}

// accountFacts are what markAccounts learns about one user.
type accountFacts struct {
	manager           bool
	receivers, phones int
}

// markAccounts sets Manager, Receivers and Phones on users, the customers
// behind orders' user_id. Facts are counted once a pass per user (ResetCaches).
func (db *DB) markAccounts(ctx context.Context, s *Schema, users []shop.Customer) error {
	if len(users) == 0 {
		return nil
	}
	db.mu.Lock()
	var ids []int64
	for _, u := range users {
		if _, ok := db.accounts[u.ID]; !ok && !slices.Contains(ids, u.ID) {
			ids = append(ids, u.ID)
		}
	}
	db.mu.Unlock()
	if len(ids) > 0 {
		managers, err := db.managers(ctx, s, ids)
		if err != nil {
			return err
		}
		// A manager's profile is never the customer's, however many
		// receivers: their back-office orders are not counted.
		spread, err := db.orderSpread(ctx, s, slices.DeleteFunc(slices.Clone(ids), func(id int64) bool { return managers[id] }))
		if err != nil {
			return err
		}
		db.mu.Lock()
		if db.accounts == nil {
			db.accounts = map[int64]accountFacts{}
		}
		for _, id := range ids {
			db.accounts[id] = accountFacts{manager: managers[id], receivers: spread[id][0], phones: spread[id][1]}
		}
		db.mu.Unlock()
	}
	db.mu.Lock()
	defer db.mu.Unlock()
	for i := range users {
		f := db.accounts[users[i].ID]
		users[i].Manager, users[i].Receivers, users[i].Phones = f.manager, f.receivers, f.phones
	}
	return nil
}

// accountSample is how many of a user's newest log rows and orders are
// read for their facts: enough to see a manager's moves and a shared
// account's receivers, which the transform needs only up to three.
const accountSample = 100

// managers returns which of ids are managers, by every test the schema
// allows.
func (db *DB) managers(ctx context.Context, s *Schema, ids []int64) (map[int64]bool, error) {
	var parts []string
	var a []any
	if s.Has("users", "sudo") {
		parts = append(parts, "SELECT u.id FROM "+db.table("users")+" u WHERE u.id IN (?) AND u.sudo = 1")
		a = append(a, ids)
	}
	if s.Has("member_groups", "member") && s.Has("access_context", "principal_class") {
		parts = append(parts, "SELECT mg.member FROM "+db.table("member_groups")+" mg JOIN "+db.table("access_context")+
			" ac ON ac.principal = mg.user_group AND ac.target = 'mgr' AND ac.principal_class IN (?) WHERE mg.member IN (?)")
		a = append(a, userGroupClasses, ids)
	}
	if n := s.names; s.Has(n.logs, "user_id") && s.Has(n.orders, "user_id") {
		// Each user's newest accountSample log rows, not all of them: a manager
		// logs every status change of the shop, 1.2 million rows on a shop
		// of 1,000,000 orders, and an account taking every guest order one
		// per order; joining them all took 52 s, past the query timeout, so
		// every pass that met such a user failed. The rows as a derived
		// table, a query an id with its own LIMIT: MySQL and MariaDB read
		// the user_id index backwards, and go-mysql-server, the demo's
		// embedded server, hash-joins those few rows with the orders (a
		// correlated EXISTS or a scalar subquery it cannot run fast or at all).
		newest := "SELECT user_id, order_id FROM " + db.table(n.logs) + " WHERE user_id = ? ORDER BY id DESC LIMIT " +
			strconv.Itoa(accountSample)
		each, eachArgs := perID(newest, ids)
		parts = append(parts, "SELECT l.user_id FROM ("+each+") l JOIN "+db.table(n.orders)+
			" o ON o.id = l.order_id WHERE o.user_id <> l.user_id")
		a = append(a, eachArgs...)
	}
	out := map[int64]bool{}
	if len(parts) == 0 {
		return out, nil
	}
	err := db.each(ctx, fmt.Sprintf("find managers among %d users", len(ids)), strings.Join(parts, " UNION "), a,
		func(rows *sql.Rows) error {
			var id int64
			err := rows.Scan(&id)
			out[id] = true
			return err
		})
	return out, err
}

// orderSpread counts, per user, the different receivers and phones of the
// addresses of their orders: by the address's own user_id where it has
// one (every miniShop2 generation; also addresses an upgrade left without
// order_id), else through the order (MiniShop3 1.x).
func (db *DB) orderSpread(ctx context.Context, s *Schema, ids []int64) (map[int64][2]int, error) {
	n := s.names
	if len(ids) == 0 || !s.Has(n.addresses, "") {
		return nil, nil
	}
	owner, newestFirst, from := "a.user_id", "a.id DESC", db.table(n.addresses)+" a"
	if !s.Has(n.addresses, "user_id") {
		if !s.Has(n.addresses, "order_id") || !s.Has(n.orders, "user_id") {
			return nil, nil
		}
		owner, newestFirst, from = "o.user_id", "o.id DESC", db.table(n.orders)+" o JOIN "+db.table(n.addresses)+" a ON a.order_id = o.id"
	}
	// Each user's newest accountSample orders, not all of them: an
	// account that takes every guest order has one per order of the shop.
	newest := "SELECT " + owner + " AS owner, " + s.receiver() + " AS receiver, " + s.col(n.addresses, "a", "phone", "''") +
		" AS phone FROM " + from + " WHERE " + owner + " = ? ORDER BY " + newestFirst + " LIMIT " + strconv.Itoa(accountSample)
	each, a := perID(newest, ids)
	q := "SELECT owner, COUNT(DISTINCT NULLIF(TRIM(receiver), '')), COUNT(DISTINCT NULLIF(TRIM(phone), '')) FROM (" +
		each + ") spread GROUP BY owner"
	out := map[int64][2]int{}
	err := db.each(ctx, fmt.Sprintf("count receivers of %d users", len(ids)), q, a, func(rows *sql.Rows) error {
		var id int64
		var c [2]int
		err := rows.Scan(&id, &c[0], &c[1])
		out[id] = c
		return err
	})
	return out, err
}

// perID is q, whose one parameter is a user id, once for each of ids,
// joined by UNION ALL, and its arguments: a query an id, each with its own
// LIMIT, in one statement. Each copy is in parentheses to keep its LIMIT;
// a single copy goes bare, as go-mysql-server takes ((q)) for a derived
// table without alias.
func perID(q string, ids []int64) (string, []any) {
	a := make([]any, len(ids))
	for i, id := range ids {
		a[i] = id
	}
	if len(ids) == 1 {
		return q, a
	}
	q = "(" + q + ")"
	return strings.Repeat(q+" UNION ALL ", len(ids)-1) + q, a
}
