// Package grants is the least-privilege MySQL account a config needs: the
// statements `modx-amocrm grants` prints (sql/grants.sql is its output for
// config.example.toml), and what `check` reports when it compares them
// with the grants the account has (SHOW GRANTS). It does no I/O: the
// caller looks at the database and says what it found.
package grants

import (
	"fmt"
	"slices"
	"strings"
)

// Level is what a grant is on.
type Level int

const (
	Global Level = iota // *.*
	Schema              // every table of a schema: `db`.*
	Table               // `db`.`table`
	Column              // some columns of a table
)

// Grant is one privilege on one object.
type Grant struct {
	Privilege string // upper case: "SELECT", "ALL PRIVILEGES", "GRANT OPTION"
	Level     Level
	// Schema is the schema's name; at the Schema level it is the pattern
	// GRANT reads there, where _ and % are wildcards and \ escapes them
	// (SchemaPattern). Table and Column levels take names literally.
	Schema string
	Table  string
	Column string
}

// String names the grant for people: "UPDATE (`status`) on `modx`.`modx_ms2_orders`".
func (g Grant) String() string {
	priv := g.Privilege
	if g.Level == Column {
		priv += " (" + Ident(g.Column) + ")"
	}
	return priv + " on " + g.object()
}

// object is the ON part of a GRANT.
func (g Grant) object() string {
	switch g.Level {
	case Global:
		return "*.*"
	case Schema:
		return Ident(g.Schema) + ".*"
	}
	return Ident(g.Schema) + "." + Ident(g.Table)
}

// covers reports whether holding g grants need.
func (g Grant) covers(need Grant) bool {
	if g.Privilege != need.Privilege && (g.Privilege != allPrivileges || need.Privilege == grantOption) {
		return false
	}
	switch g.Level {
	case Global:
		return true
	case Schema:
		if need.Level == Schema {
			return g.Schema == need.Schema || like(g.Schema, unescape(need.Schema))
		}
		return need.Level > Schema && like(g.Schema, need.Schema)
	case Table:
		return need.Level >= Table && g.Schema == need.Schema && g.Table == need.Table
	}
	return g == need
}

const (
	allPrivileges = "ALL PRIVILEGES"
	grantOption   = "GRANT OPTION"
)

// Ident quotes a schema, table or column name for SQL.
func Ident(name string) string { return "`" + strings.ReplaceAll(name, "`", "``") + "`" }

// SchemaPattern is a schema name as a schema-level GRANT must write it to
// mean that schema only: _ and % are wildcards there, so they and the
// escape character \ are escaped ("modx_amocrm" -> `modx\_amocrm`, which
// would otherwise also cover a schema "modxXamocrm").
func SchemaPattern(name string) string {
	return strings.NewReplacer(`\`, `\\`, `_`, `\_`, `%`, `\%`).Replace(name)
}

// unescape is the literal name a SchemaPattern of it stands for.
func unescape(pattern string) string {
	var b strings.Builder
	for i := 0; i < len(pattern); i++ {
		if pattern[i] == '\\' && i+1 < len(pattern) {
			i++
		}
		b.WriteByte(pattern[i])
	}
	return b.String()
}

// like matches name against a schema pattern: _ one character, % any run,
// \ the next character literally. Case-sensitive, as schema names are on
// the usual Linux server (lower_case_table_names=0).
func like(pattern, name string) bool {
	if pattern == "" {
		return name == ""
	}
	switch c := pattern[0]; c {
	case '%':
		for i := 0; i <= len(name); i++ {
			if like(pattern[1:], name[i:]) {
				return true
			}
		}
		return false
	case '_':
		return name != "" && like(pattern[1:], name[1:])
	case '\\':
		if len(pattern) > 1 {
			return name != "" && name[0] == pattern[1] && like(pattern[2:], name[1:])
		}
	}
	return name != "" && name[0] == pattern[0] && like(pattern[1:], name[1:])
}

// Compare tells what have lacks of need (missing) and what it holds beyond
// need (extra). A grant of have is needed when need holds the same
// privilege on the same object; one that covers more (SELECT on a whole
// schema where tables are needed, UPDATE on every column where two are)
// is extra.
func Compare(need, have []Grant) (missing, extra []Grant) {
	for _, n := range need {
		if !slices.ContainsFunc(have, func(h Grant) bool { return h.covers(n) }) {
			missing = append(missing, n)
		}
	}
	for _, h := range have {
		if !slices.Contains(need, h) {
			extra = append(extra, h)
		}
	}
	return missing, extra
}

// Join lists grants for a check line: "SELECT on `modx`.*, ...".
func Join(gs []Grant) string {
	s := make([]string, len(gs))
	for i, g := range gs {
		s[i] = g.String()
	}
	return strings.Join(s, ", ")
}

// Statement is the GRANT of privileges on one object to accounts, each
// privilege with its columns when it is column-level; gs must share the
// object (their Schema and Table).
func Statement(gs []Grant, to []Account) string {
	var privs []string
	cols := map[string][]string{}
	for _, g := range gs {
		if !slices.Contains(privs, g.Privilege) {
			privs = append(privs, g.Privilege)
		}
		if g.Level == Column {
			cols[g.Privilege] = append(cols[g.Privilege], Ident(g.Column))
		}
	}
	for i, p := range privs {
		if c := cols[p]; len(c) > 0 {
			privs[i] = p + " (" + strings.Join(c, ", ") + ")"
		}
	}
	return fmt.Sprintf("GRANT %s ON %s TO %s;", strings.Join(privs, ", "), gs[0].object(), accounts(to))
}

// Account is a MySQL account: a user at a host.
type Account struct{ User, Host string }

func (a Account) String() string { return quote(a.User) + "@" + quote(a.Host) }

func accounts(as []Account) string {
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = a.String()
	}
	return strings.Join(s, ", ")
}

// quote is a SQL string literal.
func quote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}
