package grants

import (
	"fmt"
	"strings"
)

// Held is what SHOW GRANTS says an account has.
type Held struct {
	Grants []Grant
	// Roles are roles granted to the account: their privileges are not in
	// SHOW GRANTS' lines for it, so what it lacks may come from them.
	Roles []string
}

// Parse reads the lines of SHOW GRANTS, as MariaDB and MySQL print them:
//
//	GRANT USAGE ON *.* TO `u`@`h` IDENTIFIED BY PASSWORD '*...' WITH MAX_USER_CONNECTIONS 40
//	GRANT SELECT, INSERT ON `modx\_amocrm`.* TO `u`@`h`
//	GRANT SELECT (`id`), UPDATE (`status`, `updatedon`) ON `modx`.`modx_ms2_orders` TO `u`@`h`
//	GRANT `role` TO `u`@`h`
//
// USAGE (no privilege) is left out, WITH GRANT OPTION is a GRANT OPTION
// grant, and grants on routines and proxies are ignored: the connector
// needs none and they give it no access to tables. Nothing of a line past
// its account (a password hash) is kept.
func Parse(lines []string) (Held, error) {
	var h Held
	for _, line := range lines {
		if err := h.parse(line); err != nil {
			// The line may hold a password hash: name its start only.
			head, _, _ := strings.Cut(line, " TO ")
			return Held{}, fmt.Errorf("read SHOW GRANTS line %q: %w", head, err)
		}
	}
	return h, nil
}

func (h *Held) parse(line string) error {
	rest, ok := strings.CutPrefix(strings.TrimSpace(line), "GRANT ")
	if !ok {
		return fmt.Errorf("not a GRANT")
	}
	privs, on, found := cutTop(rest, " ON ")
	if !found {
		// GRANT `role` TO `user`@`host`: a role.
		role, _, _ := strings.Cut(rest, " TO ")
		name, _, err := ident(strings.TrimSpace(role))
		if err != nil {
			return err
		}
		h.Roles = append(h.Roles, name)
		return nil
	}
	object, tail, _ := strings.Cut(on, " TO ")
	if strings.HasPrefix(object, "PROCEDURE ") || strings.HasPrefix(object, "FUNCTION ") ||
		strings.HasPrefix(object, "PACKAGE ") || strings.HasPrefix(privs, "PROXY") {
		return nil
	}
	at, err := parseObject(object)
	if err != nil {
		return err
	}
	for _, p := range splitTop(privs) {
		name, cols, hasCols := strings.Cut(p, " (")
		name = strings.ToUpper(strings.TrimSpace(name))
		switch {
		case name == "USAGE":
		case name == "ALL" || name == allPrivileges:
			h.Grants = append(h.Grants, at.with(allPrivileges, ""))
		case hasCols:
			for _, c := range splitTop(strings.TrimSuffix(cols, ")")) {
				col, _, err := ident(strings.TrimSpace(c))
				if err != nil {
					return err
				}
				h.Grants = append(h.Grants, at.with(name, col))
			}
		default:
			h.Grants = append(h.Grants, at.with(name, ""))
		}
	}
	if strings.Contains(tail, " WITH GRANT OPTION") {
		h.Grants = append(h.Grants, at.with(grantOption, ""))
	}
	return nil
}

// with is a grant of priv on g's object, on col alone when col is set.
func (g Grant) with(priv, col string) Grant {
	g.Privilege = priv
	if col != "" {
		g.Level, g.Column = Column, col
	}
	return g
}

// parseObject reads *.*, `db`.* or `db`.`table` (backticks optional).
func parseObject(s string) (Grant, error) {
	s = strings.TrimSpace(s)
	if s == "*.*" || s == "*" {
		return Grant{Level: Global}, nil
	}
	schema, rest, err := ident(s)
	if err != nil {
		return Grant{}, err
	}
	rest, ok := strings.CutPrefix(rest, ".")
	if !ok {
		return Grant{}, fmt.Errorf("object %q: want schema.table", s)
	}
	if rest == "*" {
		return Grant{Level: Schema, Schema: schema}, nil
	}
	table, rest, err := ident(rest)
	if err != nil || rest != "" {
		return Grant{}, fmt.Errorf("object %q: want schema.table", s)
	}
	return Grant{Level: Table, Schema: schema, Table: table}, nil
}

// ident reads a name at the start of s, in backticks (two stand for one)
// or bare up to a dot, and returns it with the rest of s.
func ident(s string) (name, rest string, err error) {
	if !strings.HasPrefix(s, "`") {
		i := strings.IndexAny(s, ". ")
		if i < 0 {
			i = len(s)
		}
		if i == 0 {
			return "", "", fmt.Errorf("name expected at %q", s)
		}
		return s[:i], s[i:], nil
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		if s[i] != '`' {
			b.WriteByte(s[i])
			continue
		}
		if i+1 < len(s) && s[i+1] == '`' {
			b.WriteByte('`')
			i++
			continue
		}
		return b.String(), s[i+1:], nil
	}
	return "", "", fmt.Errorf("unterminated name %q", s)
}

// cutTop is strings.Cut outside backticks and parentheses.
func cutTop(s, sep string) (before, after string, found bool) {
	depth, quoted := 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '`':
			quoted = !quoted
		case quoted:
		case c == '(':
			depth++
		case c == ')':
			depth--
		case depth == 0 && strings.HasPrefix(s[i:], sep):
			return s[:i], s[i+len(sep):], true
		}
	}
	return s, "", false
}

// splitTop splits s at the commas outside backticks and parentheses.
func splitTop(s string) []string {
	var out []string
	for {
		before, after, found := cutTop(s, ",")
		out = append(out, strings.TrimSpace(before))
		if !found {
			return out
		}
		s = after
	}
}
