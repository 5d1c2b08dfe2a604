package modx

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
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
// another user_id, §5.3) is a manager too, whatever the access tables say.

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
		spread, err := db.orderSpread(ctx, s, ids)
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
		// The users' log rows as a derived table: MySQL and MariaDB merge it
		// into the plain join's plan (range on logs.user_id, eq_ref on the
		// orders' PRIMARY; EXPLAIN on MariaDB 10.11), while go-mysql-server,
		// the demo's embedded server, hash-joins those few rows instead of
		// looking up every order's logs (8 min a batch at 8,000 orders).
		parts = append(parts, "SELECT l.user_id FROM (SELECT user_id, order_id FROM "+db.table(n.logs)+
			" WHERE user_id IN (?)) l JOIN "+db.table(n.orders)+" o ON o.id = l.order_id WHERE o.user_id <> l.user_id")
		a = append(a, ids)
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
	if !s.Has(n.addresses, "") {
		return nil, nil
	}
	owner, from := "a.user_id", db.table(n.addresses)+" a"
	if !s.Has(n.addresses, "user_id") {
		if !s.Has(n.addresses, "order_id") || !s.Has(n.orders, "user_id") {
			return nil, nil
		}
		owner, from = "o.user_id", db.table(n.orders)+" o JOIN "+db.table(n.addresses)+" a ON a.order_id = o.id"
	}
	q := "SELECT " + owner + ", COUNT(DISTINCT NULLIF(TRIM(" + s.receiver() + "), '')), COUNT(DISTINCT NULLIF(TRIM(" +
		s.col(n.addresses, "a", "phone", "''") + "), '')) FROM " + from + " WHERE " + owner + " IN (?) GROUP BY " + owner
	out := map[int64][2]int{}
	err := db.each(ctx, fmt.Sprintf("count receivers of %d users", len(ids)), q, args(ids), func(rows *sql.Rows) error {
		var id int64
		var c [2]int
		err := rows.Scan(&id, &c[0], &c[1])
		out[id] = c
		return err
	})
	return out, err
}
