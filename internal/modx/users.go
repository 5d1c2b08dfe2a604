package modx

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/shop"
)

// userActions are the manager_log actions that change a user or profile
// (MODX 2 and 3 processors; front-end profile edits leave no trace).
var userActions = []string{"user_update", "user_create", "save_profile"}

// userClasses are users.class_key values of plain users in MODX 2 and 3.
var userClasses = []string{"modUser", `MODX\Revolution\modUser`}

// Users reads one keyset page of users with their profiles, by id.
func (db *DB) Users(ctx context.Context, afterID int64, limit int) ([]shop.Customer, error) {
	s, err := db.detected(ctx)
	if err != nil {
		return nil, err
	}
	users, err := db.customers(ctx, fmt.Sprintf("read users after %d", afterID),
		customerSelect(db, s)+" WHERE u.id > ? ORDER BY u.id LIMIT ?", afterID, limit)
	if err != nil {
		return nil, err
	}
	return users, db.markStaff(ctx, s, users)
}

// UsersByIDs reads the given users with their profiles, ordered by id;
// unknown ids are absent from the result.
func (db *DB) UsersByIDs(ctx context.Context, ids []int64) ([]shop.Customer, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	s, err := db.detected(ctx)
	if err != nil {
		return nil, err
	}
	users, err := db.usersByIDs(ctx, s, ids)
	if err != nil {
		return nil, err
	}
	return users, db.markStaff(ctx, s, users)
}

// usersByIDs reads the users without their manager test, for the orders'
// customers, whose account facts (markAccounts) include it.
func (db *DB) usersByIDs(ctx context.Context, s *Schema, ids []int64) ([]shop.Customer, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	return db.customers(ctx, fmt.Sprintf("read %d users by id", len(ids)),
		customerSelect(db, s)+" WHERE u.id IN (?) ORDER BY u.id", ids)
}

// markStaff sets Manager on the users who work in the manager (accounts.go),
// one query a page: a user's own address at the shop's domain is then a
// mailbox of the shop's staff, not one checkout invented for a guest.
func (db *DB) markStaff(ctx context.Context, s *Schema, users []shop.Customer) error {
	if len(users) == 0 {
		return nil
	}
	ids := make([]int64, len(users))
	for i, u := range users {
		ids[i] = u.ID
	}
	managers, err := db.managers(ctx, s, ids)
	for i := range users {
		users[i].Manager = managers[users[i].ID]
	}
	return err
}

// RecentlyEditedUsers returns the ids of users the manager created or
// edited since the given time, from manager_log (empty when the table is
// absent). It only speeds up change detection; front-end edits are not logged.
func (db *DB) RecentlyEditedUsers(ctx context.Context, since time.Time) ([]int64, error) {
	s, err := db.detected(ctx)
	if err != nil {
		return nil, err
	}
	if !s.Has("manager_log", "") {
		return nil, nil
	}
	var ids []int64
	err = db.each(ctx, "read manager_log since "+since.Format(time.RFC3339),
		"SELECT DISTINCT item FROM "+db.table("manager_log")+" WHERE occurred >= ? AND action IN (?) AND classKey IN (?)",
		args(db.wallString(since), userActions, userClasses), func(rows *sql.Rows) error {
			var item string
			if err := rows.Scan(&item); err != nil {
				return err
			}
			if id, ok := parseID(item); ok {
				ids = append(ids, id)
			}
			return nil
		})
	return ids, err
}

// customerSelect selects users (u) with user_attributes (a); a user without
// a profile row still comes back, with empty profile fields.
func customerSelect(db *DB, s *Schema) string {
	a := func(col, fallback string) string { return s.col("user_attributes", "a", col, fallback) }
	cols := []string{
		"u.id", s.col("users", "u", "username", "''"), s.col("users", "u", "active", "0"),
		s.col("users", "u", "createdon", "0"), a("blocked", "0"),
		a("fullname", "''"), a("email", "''"), a("phone", "''"), a("mobilephone", "''"), a("fax", "''"),
		a("address", "''"), a("country", "''"), a("city", "''"), a("state", "''"), a("zip", "''"),
		a("website", "''"), a("dob", "0"), a("gender", "0"), a("comment", "''"),
		"a.extended",
	}
	if !s.Has("user_attributes", "extended") {
		cols[len(cols)-1] = "NULL"
	}
	return "SELECT " + strings.Join(cols, ", ") + " FROM " + db.table("users") + " u LEFT JOIN " +
		db.table("user_attributes") + " a ON a.internalKey = u.id"
}

func (db *DB) customers(ctx context.Context, what, q string, a ...any) ([]shop.Customer, error) {
	var out []shop.Customer
	err := db.each(ctx, what, q, a, func(rows *sql.Rows) error {
		var (
			c         shop.Customer
			createdOn int64
			extended  sql.NullString
		)
		err := rows.Scan(&c.ID, &c.Username, &c.Active, &createdOn, &c.Blocked,
			&c.FullName, &c.Email, &c.Phone, &c.MobilePhone, &c.Fax,
			&c.Address, &c.Country, &c.City, &c.State, &c.Zip,
			&c.Website, &c.DOB, &c.Gender, &c.Comment, &extended)
		c.CreatedOn = unixTime(createdOn)
		c.Extended = rawJSON(extended)
		out = append(out, c)
		return err
	})
	return out, err
}
