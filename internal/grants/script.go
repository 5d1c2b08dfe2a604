package grants

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
)

// Conn is one of the config's DSNs, as far as grants go.
type Conn struct {
	User   string
	Schema string
	Net    string // "tcp" or "unix"
	Addr   string // host:port, or the socket's path
}

// server names where the account lives: the same user on two servers is
// two accounts.
func (c Conn) server() string { return c.Net + "(" + c.Addr + ")" }

// StatusTargets are the writes of [shop_status] on one shop: UPDATE of
// Columns of Orders, INSERT into Logs (tables with their prefix).
type StatusTargets struct {
	Title   string // "miniShop2", "MiniShop3"
	Orders  string
	Columns []string
	Logs    string
}

// Site is what a config's grants depend on: its connections and what was
// found in the database.
type Site struct {
	MODX, State Conn
	// StateShared: state.dsn is empty, so the state tables live in the
	// MODX schema, next to MODX's own.
	StateShared bool
	Prefix      string   // modx.table_prefix
	StatePrefix string   // state.table_prefix
	StateTables []string // the state's tables, without the prefix (state.Tables)
	// Tables are the MODX tables the readers may read, with the prefix, as
	// found in the database; nil when it was not looked at: then SELECT
	// goes on the whole schema, as a GRANT on a missing table fails.
	Tables []string
	// Found says where the shop's tables were looked at, or why not, for
	// the script's header: "miniShop2 4.x, read as modx_amocrm".
	Found string
	// Writes are the targets of [shop_status]: the shop's, or both shops'
	// when it is not known (then only shown, commented).
	Writes     []StatusTargets
	ShopStatus bool // shop_status.enabled
	// Pools are the most sessions a process holds to the MODX database,
	// to the state and for the instance lock (internal/site), which
	// MaxUserConnections must leave room for.
	Pools struct{ MODX, State, Lock int }
}

// Hosts are the hosts every account is created at: the Unix socket's
// 'localhost' and TCP's '127.0.0.1' (README, Install).
var Hosts = []string{"localhost", "127.0.0.1"}

// MaxUserConnections caps each account's sessions; New's caller checks it
// against the pools it opens.
const MaxUserConnections = 40

// Privileges of the state's account on its tables: what the migrations
// (CREATE TABLE, ALTER TABLE ... ADD, indexes) and the store (reads,
// INSERT ... ON DUPLICATE KEY UPDATE, DELETE, SELECT ... FOR UPDATE) use.
var statePrivileges = []string{"SELECT", "INSERT", "UPDATE", "DELETE", "CREATE", "ALTER", "INDEX"}

// Script is the SQL of a config's accounts and what each of them needs.
type Script struct {
	sql   strings.Builder
	needs map[string][]Grant // by account key: server and user
}

// ErrShopUnknown: [shop_status] is on, but which shop's tables it writes
// is not known.
var ErrShopUnknown = errors.New("[shop_status] is on but the shop is not known: modx.shop is auto and the database was not looked at; " +
	"set modx.shop to minishop2 or minishop3, or let `modx-amocrm grants` read the database (-dsn with an administrator's DSN)")

// New builds the script of s.
func New(s Site) (*Script, error) {
	for key, c := range map[string]Conn{"modx.dsn": s.MODX, "state.dsn": s.State} {
		if c.User == "" || c.Schema == "" {
			return nil, fmt.Errorf("%s: want a user and a database in it, like \"modx_amocrm@tcp(127.0.0.1:3306)/modx\"", key)
		}
	}
	if s.ShopStatus && len(s.Writes) != 1 {
		return nil, ErrShopUnknown
	}
	sc := &Script{needs: map[string][]Grant{}}
	sc.header(s)
	sc.accounts(s)
	sc.reads(s)
	sc.writes(s)
	sc.state(s)
	sc.line("")
	sc.line("-- GET_LOCK / RELEASE_LOCK (the migration and instance locks) need no")
	sc.line("-- privilege, nor does reading the user's own sessions in PROCESSLIST (status).")
	return sc, nil
}

// SQL is the script.
func (sc *Script) SQL() string { return sc.sql.String() }

// Needs is what the account c connects as must hold.
func (sc *Script) Needs(c Conn) []Grant { return sc.needs[key(c)] }

func key(c Conn) string { return c.server() + " " + c.User }

func (sc *Script) line(format string, a ...any) {
	fmt.Fprintf(&sc.sql, format, a...)
	sc.sql.WriteByte('\n')
}

// para writes text as a comment, wrapped.
func (sc *Script) para(text string) {
	line := "--"
	for _, w := range strings.Fields(text) {
		if len(line)+1+len(w) > 80 && line != "--" {
			sc.line("%s", line)
			line = "--"
		}
		line += " " + w
	}
	sc.line("%s", line)
}

func (sc *Script) header(s Site) {
	sc.para("Least-privilege MySQL/MariaDB account of modx-amocrm, as `modx-amocrm grants` prints it " +
		"for its config; `modx-amocrm check` compares it with what the account has. Run it as an " +
		"administrator (mariadb -uroot < grants.sql) after replacing 'change-me' with the password, " +
		"which the connector reads from modx.password (state.password), their _file keys or systemd " +
		"credentials. Print it again after changing the config: it names only what this config reads and writes.")
	sc.line("--")
	sc.para(fmt.Sprintf("MODX: schema %s, table prefix %q; %s.", Ident(s.MODX.Schema), s.Prefix, s.Found))
	if s.StateShared {
		sc.para(fmt.Sprintf("State: in the MODX schema (state.dsn is empty), tables %s*.", s.StatePrefix))
	} else {
		sc.para(fmt.Sprintf("State: schema %s (state.dsn), tables %s*.", Ident(s.State.Schema), s.StatePrefix))
	}
	sc.line("--")
	sc.para("Two accounts, one per way in: MySQL matches an account by the client's host, and " +
		"'localhost' is only the Unix socket (DSN unix(/run/mysqld/mysqld.sock)). A TCP connection " +
		"to 127.0.0.1 is the account '127.0.0.1', always so with skip_name_resolve (common). " + way(s.MODX))
	sc.line("--")
	p := s.Pools
	per := p.MODX + p.State + p.Lock
	sc.para(fmt.Sprintf("Connections: a daemon holds at most %d sessions (MODX pool %d, state pool %d, instance lock %d); "+
		"each command beside it (check, status, failed, retry, run -once) at most %d while it runs; a standby daemon as "+
		"many as a daemon. %d per account leaves room for a daemon, a standby and two commands at once.",
		per, p.MODX, p.State, p.Lock, per, MaxUserConnections))
}

// way says which account a DSN connects as.
func way(c Conn) string {
	if c.Net == "unix" {
		return "modx.dsn connects over the socket: 'localhost'; drop the other."
	}
	host, _, err := net.SplitHostPort(c.Addr)
	if err != nil {
		host = c.Addr
	}
	switch host {
	case "127.0.0.1", "localhost", "::1", "":
		return "modx.dsn connects over TCP to " + host + ": '127.0.0.1'; drop the other."
	}
	return "modx.dsn connects to " + host + " over TCP, so neither: replace both hosts with the address " +
		"this machine connects from, as the server sees it."
}

// accounts creates every account of the script, on each server.
func (sc *Script) accounts(s Site) {
	sc.line("")
	conns := []Conn{s.MODX}
	if s.State.server() != s.MODX.server() || s.State.User != s.MODX.User {
		conns = append(conns, s.State)
	}
	for _, c := range conns {
		if c.server() != s.MODX.server() {
			sc.line("-- On the state's server (%s):", c.Addr)
		}
		for _, a := range accountsOf(c) {
			sc.line("CREATE USER IF NOT EXISTS %s IDENTIFIED BY 'change-me' WITH MAX_USER_CONNECTIONS %d;", a, MaxUserConnections)
		}
	}
}

func accountsOf(c Conn) []Account {
	out := make([]Account, len(Hosts))
	for i, h := range Hosts {
		out[i] = Account{User: c.User, Host: h}
	}
	return out
}

// grant adds the GRANT of gs (one object) to c's accounts, or, commented,
// shows it without adding it to what c needs.
func (sc *Script) grant(c Conn, gs []Grant, commented bool) {
	stmt := Statement(gs, accountsOf(c))
	if commented {
		sc.line("-- %s", stmt)
		return
	}
	sc.line("%s", stmt)
	sc.needs[key(c)] = append(sc.needs[key(c)], gs...)
}

func (sc *Script) reads(s Site) {
	sc.line("")
	sc.line("-- Read the shop: orders, logs, forms, users, settings, the old extra's tables.")
	if s.Tables == nil {
		sc.para("The whole schema, as which of them exist was not looked at. In a schema-level " +
			"GRANT, _ and % in the name are wildcards: written \\_ and \\% they are meant literally.")
		sc.grant(s.MODX, []Grant{{Privilege: "SELECT", Level: Schema, Schema: SchemaPattern(s.MODX.Schema)}}, false)
		return
	}
	sc.line("-- Only those that exist: a GRANT on a missing table fails. Table grants take")
	sc.line("-- names literally.")
	for _, t := range s.Tables {
		sc.grant(s.MODX, []Grant{{Privilege: "SELECT", Level: Table, Schema: s.MODX.Schema, Table: t}}, false)
	}
}

func (sc *Script) writes(s Site) {
	sc.line("")
	const what = "an order's status and updatedon (column-level: no other column of an order), and new log rows (no UPDATE or DELETE of any)."
	if s.ShopStatus {
		sc.para("[shop_status] is on: when a manager moves a deal in amoCRM, its order follows. It writes two things into the shop and nothing else: " + what)
	} else {
		sc.para("[shop_status] is off: nothing is written into the shop. Turned on, it moves an order when its deal moves in amoCRM, and needs these two grants as well: " + what)
	}
	for _, w := range s.Writes {
		if len(s.Writes) > 1 {
			sc.line("-- %s:", w.Title)
		}
		update := make([]Grant, len(w.Columns))
		for i, col := range w.Columns {
			update[i] = Grant{Privilege: "UPDATE", Level: Column, Schema: s.MODX.Schema, Table: w.Orders, Column: col}
		}
		sc.grant(s.MODX, update, !s.ShopStatus)
		sc.grant(s.MODX, []Grant{{Privilege: "INSERT", Level: Table, Schema: s.MODX.Schema, Table: w.Logs}}, !s.ShopStatus)
	}
}

func (sc *Script) state(s Site) {
	sc.line("")
	if s.StateShared {
		sc.para("The state tables, each by name with CREATE, so they can be created and migrated before they exist: " +
			"the account may change these and no other table of the MODX schema. A later version with a new table " +
			"needs its grant (`modx-amocrm check` says).")
		for _, t := range slices.Sorted(slices.Values(s.StateTables)) {
			sc.grant(s.State, privileges(Table, s.State.Schema, s.StatePrefix+t), false)
		}
		return
	}
	if s.State.server() != s.MODX.server() {
		sc.line("-- On the state's server (%s):", s.State.Addr)
	}
	sc.line("-- Own the state schema: create, migrate and write the state tables.")
	sc.line("CREATE DATABASE IF NOT EXISTS %s CHARACTER SET utf8mb4;", Ident(s.State.Schema))
	sc.grant(s.State, privileges(Schema, SchemaPattern(s.State.Schema), ""), false)
}

// privileges are the state's privileges on one object.
func privileges(level Level, schema, table string) []Grant {
	out := make([]Grant, len(statePrivileges))
	for i, p := range statePrivileges {
		out[i] = Grant{Privilege: p, Level: level, Schema: schema, Table: table}
	}
	return out
}
