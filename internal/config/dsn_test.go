package config

import (
	"testing"

	"github.com/go-sql-driver/mysql"
)

// TestSplitDSNAgreesWithTheDriver: the password this package finds (to
// redact it, to warn that the file holds it) is the one the driver reads,
// and a DSN checkDSN refuses is one the driver refuses.
func TestSplitDSNAgreesWithTheDriver(t *testing.T) {
	for _, s := range []string{
		"modx@tcp(127.0.0.1:3306)/modx",
		"modx:pw@tcp(127.0.0.1:3306)/modx?charset=utf8mb4",
		"modx:p:w@d@tcp(db:3306)/modx",
		"modx:@unix(/run/mysqld/mysqld.sock)/modx",
		"/modx",
		"user:pass@/db",
		"modx:pw@tcp(127.0.0.1:3306/modx",
		"modx:pw@tcp(db)",
		"no slash at all",
	} {
		parsed, perr := mysql.ParseDSN(s)
		cerr := checkDSN(s)
		if (perr != nil) != (cerr != nil) {
			t.Errorf("%q: driver says %v, checkDSN says %v", s, perr, cerr)
			continue
		}
		if perr != nil {
			continue
		}
		d, ok := splitDSN(s)
		if !ok || d.pass != parsed.Passwd || d.user != parsed.User || d.String() != s {
			t.Errorf("%q: got user %q pass %q (%q), want user %q pass %q", s, d.user, d.pass, d.String(), parsed.User, parsed.Passwd)
		}
	}
}
