package config

import (
	"errors"
	"strings"
)

// dsn is a go-sql-driver/mysql DSN cut into the parts this package needs:
// "[user[:password]@][net[(addr)]]/dbname[?params]". Opening one is
// internal/site's job (it applies the driver's own parser); here a DSN is
// only checked for its shape and its password found, without importing a
// database driver into the config the pure core reads.
type dsn struct {
	user, pass string
	hasPass    bool
	rest       string // from net on: "tcp(127.0.0.1:3306)/modx?charset=utf8mb4"
}

// splitDSN cuts s the way the driver does: the last '/' ends the address,
// the last '@' before it ends the credentials, the first ':' in them starts
// the password (which may itself hold ':' and '@').
func splitDSN(s string) (dsn, bool) {
	slash := strings.LastIndexByte(s, '/')
	if slash < 0 {
		return dsn{}, false
	}
	at := strings.LastIndexByte(s[:slash], '@')
	if at < 0 {
		return dsn{rest: s}, true
	}
	d := dsn{user: s[:at], rest: s[at+1:]}
	if colon := strings.IndexByte(d.user, ':'); colon >= 0 {
		d.user, d.pass, d.hasPass = d.user[:colon], d.user[colon+1:], true
	}
	return d, true
}

// String puts the parts back together.
func (d dsn) String() string {
	cred := d.user
	if d.hasPass {
		cred += ":" + d.pass
	}
	if cred == "" {
		return d.rest
	}
	return cred + "@" + d.rest
}

// checkDSN reports a DSN whose shape the driver would refuse: no '/' before
// the database name, or an address whose parenthesis does not close just
// before it. Parameters are the driver's to judge when the DSN is opened.
func checkDSN(s string) error {
	d, ok := splitDSN(s)
	if !ok {
		return errors.New("invalid DSN: missing the slash separating the database name")
	}
	addr := d.rest[:strings.LastIndexByte(d.rest, '/')]
	if open := strings.IndexByte(addr, '('); open >= 0 && !strings.HasSuffix(addr, ")") {
		return errors.New("invalid DSN: network address not terminated (missing closing brace)")
	}
	return nil
}
