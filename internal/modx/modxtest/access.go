package modxtest

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
)

// The tables by which MODX lets a user into the manager: user groups, their
// members and their access to contexts. A fresh install has the
// Administrator group (1) with access to mgr and web; we add a customers'
// group with web access only, which makes nobody a manager.
const (
	AdminGroup    = 1
	CustomerGroup = 2
)

// accessDDL returns member_groups, membergroup_names and access_context as
// MODX 2.8 and 3 declare them.
func accessDDL(o Options) []string {
	t := o.createTable
	return []string{
		t("membergroup_names", idColumn+"name varchar(191) NOT NULL DEFAULT '',\ndescription text,\n"+
			"parent int(10) unsigned NOT NULL DEFAULT 0,\n`rank` int(10) unsigned NOT NULL DEFAULT 0,\n"+
			"dashboard int(10) unsigned NOT NULL DEFAULT 1,\nPRIMARY KEY (id),\nUNIQUE KEY name (name)", ""),
		t("member_groups", idColumn+"user_group int(10) unsigned NOT NULL DEFAULT 0,\nmember int(10) unsigned NOT NULL DEFAULT 0,\n"+
			"role int(10) unsigned NOT NULL DEFAULT 1,\n`rank` int(10) unsigned NOT NULL DEFAULT 0,\n"+
			"PRIMARY KEY (id),\nKEY role (role),\nKEY `rank` (`rank`)", ""),
		t("access_context", idColumn+"target varchar(100) NOT NULL DEFAULT '',\n"+
			"principal_class varchar(100) NOT NULL DEFAULT 'modPrincipal',\nprincipal int(10) unsigned NOT NULL DEFAULT 0,\n"+
			"authority int(10) unsigned NOT NULL DEFAULT 9999,\npolicy int(10) unsigned NOT NULL DEFAULT 0,\n"+
			"PRIMARY KEY (id),\nKEY target (target),\nKEY principal_class (principal_class),\nKEY principal (principal)", ""),
	}
}

// accessSeed returns the groups and their context access: anonymous web
// access, the Administrator's mgr and web, the customers' web.
func accessSeed(o Options) []string {
	p := func(name string) string { return "`" + o.Prefix + name + "`" }
	group := quote(o.classKey("modUserGroup"))
	return []string{
		"INSERT INTO " + p("membergroup_names") + " (id, name) VALUES (1, 'Administrator'), (2, 'Покупатели')",
		fmt.Sprintf("INSERT INTO %s (target, principal_class, principal, authority, policy) VALUES "+
			"('web', %s, 0, 9999, 3), ('mgr', %s, %d, 0, 2), ('web', %s, %d, 0, 2), ('web', %s, %d, 9999, 3)",
			p("access_context"), group, group, AdminGroup, group, AdminGroup, group, CustomerGroup),
	}
}

// JoinGroup makes a user a member of a user group, as the user's "Access
// permissions" tab does: AdminGroup makes a manager, CustomerGroup does not.
func JoinGroup(ctx context.Context, db *sqlx.DB, o Options, userID, group int64) error {
	_, err := insertRow(ctx, db, o.Prefix, "member_groups", map[string]any{"user_group": group, "member": userID, "role": 1})
	return err
}

// SetSudo gives a user (or takes away) MODX's sudo flag: every permission,
// in the manager too.
func SetSudo(ctx context.Context, db *sqlx.DB, o Options, userID int64, sudo bool) error {
	return update(ctx, db, o, "users", userID, map[string]any{"sudo": sudo})
}

// LogBy records that a user wrote an order log row: a manager changing a
// customer's order writes the log under their own user id.
func LogBy(ctx context.Context, db *sqlx.DB, o Options, logID, userID int64) error {
	return update(ctx, db, o, o.shop("order_logs"), logID, map[string]any{"user_id": userID})
}
