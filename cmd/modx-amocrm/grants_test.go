package main

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/jmoiron/sqlx"

	sqlfiles "github.com/modx-amocrm/modx-amocrm/sql"

	"github.com/modx-amocrm/modx-amocrm/internal/modx/modxtest"
	"github.com/modx-amocrm/modx-amocrm/internal/site"
	"github.com/modx-amocrm/modx-amocrm/internal/testdb"
)

// grantsUser creates the user of sql/grants.sql, with its names replaced:
// a user of its own, the test's shop and state databases. It returns the
// user and password; the user is dropped when the test ends.
func grantsUser(t *testing.T, admin *sqlx.DB, shopDB, stateDB string) (user, password string) {
	t.Helper()
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	user, password = "mxamo_g_"+hex.EncodeToString(b[:]), "pw-"+hex.EncodeToString(b[:])
	// A GRANT reads _ in a schema name as a wildcard, so there it is \_.
	grantName := func(db string) string { return strings.ReplaceAll(db, "_", `\_`) }
	script := strings.NewReplacer(
		"'modx_amocrm'@", "'"+user+"'@",
		"`modx_amocrm`", "`"+stateDB+"`",
		"`modx\\_amocrm`", "`"+grantName(stateDB)+"`",
		"`modx`.`", "`"+shopDB+"`.`", // a table grant takes its names literally
		"`modx`", "`"+grantName(shopDB)+"`",
		"'change-me'", "'"+password+"'",
	).Replace(sqlfiles.Grants)
	statements := sqlStatements(script)
	if all := strings.Join(statements, ";\n"); strings.Contains(all, "modx_amocrm") || strings.Contains(all, "`modx`") {
		t.Fatalf("grants.sql names modx or modx_amocrm in a way this test does not replace:\n%s", all)
	}
	t.Cleanup(func() {
		for _, host := range []string{"localhost", "127.0.0.1"} {
			if _, err := admin.Exec("DROP USER IF EXISTS '" + user + "'@'" + host + "'"); err != nil {
				t.Errorf("drop user: %v", err)
			}
		}
	})
	for _, stmt := range statements {
		if _, err := admin.Exec(stmt); err != nil {
			t.Fatalf("grants.sql: %s: %v", stmt, err)
		}
	}
	return user, password
}

// sqlStatements splits a script into its statements, leaving out comments.
func sqlStatements(script string) []string {
	var code []string
	for _, l := range strings.Split(script, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "--") {
			code = append(code, l)
		}
	}
	var out []string
	for _, s := range strings.Split(strings.Join(code, "\n"), ";") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// checksums returns CHECKSUM TABLE of every table of the schema db uses.
func checksums(t *testing.T, db *sqlx.DB) map[string]string {
	t.Helper()
	var tables []string
	if err := db.Select(&tables, "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() ORDER BY table_name"); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, name := range tables {
		var row struct {
			Table    string         `db:"Table"`
			Checksum sql.NullString `db:"Checksum"`
		}
		if err := db.Get(&row, "CHECKSUM TABLE `"+name+"` EXTENDED"); err != nil {
			t.Fatal(err)
		}
		out[name] = row.Checksum.String
	}
	return out
}

// TestGrantsWholeJob runs every command as the user of sql/grants.sql, over
// TCP and over the socket, with the state in its own schema: they all work,
// and the MODX tables are exactly as before (checksums).
func TestGrantsWholeJob(t *testing.T) {
	e := newShopEnv(t, modxtest.Options{OldExtra: true, FormIt: true})
	ds := e.generate(60)
	stateDB, stateDSN := testdb.New(t)
	server, err := mysql.ParseDSN(testdb.ServerDSN())
	if err != nil {
		t.Fatal(err)
	}
	if host, _, _ := net.SplitHostPort(server.Addr); server.Net != "tcp" || (host != "127.0.0.1" && host != "localhost") {
		t.Skipf("grants.sql names loopback accounts; the test server is at %s %s", server.Net, server.Addr)
	}
	shopName, stateName := dbName(t, e.dsn), dbName(t, stateDSN)
	user, password := grantsUser(t, e.db, shopName, stateName)
	before := checksums(t, e.db)

	tcp := func(db string) string {
		return fmt.Sprintf("%s:%s@tcp(127.0.0.1:%s)/%s", user, password, port(server.Addr), db)
	}
	cfg := e.grantsConfig(tcp(shopName), tcp(stateName))
	// Orders that name no customer are parked: a run then exits 3.
	ran := exitOK
	if len(ds.NoContactOrders) > 0 {
		ran = exitParked
	}
	steps := []struct {
		args []string
		code int
	}{
		{[]string{"check"}, exitOK},
		{[]string{"run", "-once", "-dry-run"}, exitOK},
		{[]string{"run", "-once"}, ran},
		{[]string{"failed"}, exitOK},
		{[]string{"retry", "-all"}, exitOK},
		{[]string{"status"}, exitOK},
		{[]string{"run", "-once"}, ran},
	}
	for _, s := range steps {
		code, out, errOut := runMain(t, append(s.args, "-config", cfg)...)
		if code != s.code {
			t.Errorf("%v as %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", s.args, user, code, s.code, out, errOut)
		}
		if s.args[0] == "check" && strings.Contains(out, "FAIL") {
			t.Errorf("check as %s:\n%s", user, out)
		}
	}
	assertOneDealPerOrder(t, e, ds)

	var socket string
	if err := e.db.Get(&socket, "SELECT @@socket"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(socket); err != nil {
		t.Logf("socket %s is not on this machine (%v): TCP only", socket, err)
	} else {
		unix := func(db string) string { return fmt.Sprintf("%s:%s@unix(%s)/%s", user, password, socket, db) }
		cfg := e.grantsConfig(unix(shopName), unix(stateName))
		for _, args := range [][]string{{"check"}, {"run", "-once"}, {"status"}} {
			want := exitOK
			if args[0] == "run" {
				want = ran
			}
			if code, out, errOut := runMain(t, append(args, "-config", cfg)...); code != want {
				t.Errorf("%v over the socket: exit %d\nstdout:\n%s\nstderr:\n%s", args, code, out, errOut)
			}
		}
	}

	after := checksums(t, e.db)
	if fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("MODX tables changed:\nbefore %v\nafter  %v", before, after)
	}
	var n int
	if err := stateDB.Get(&n, "SELECT COUNT(*) FROM amocrm_sync_links"); err != nil || n == 0 {
		t.Errorf("state schema: %d links, %v; want the run's links there", n, err)
	}
}

// TestGrantsConnectionCap: grants.sql's MAX_USER_CONNECTIONS fits a daemon,
// a standby and two commands at once, each at its pools' limits.
func TestGrantsConnectionCap(t *testing.T) {
	caps := regexp.MustCompile(`MAX_USER_CONNECTIONS (\d+)`).FindAllStringSubmatch(sqlfiles.Grants, -1)
	if len(caps) != 2 {
		t.Fatalf("grants.sql: %d MAX_USER_CONNECTIONS, want one per account (2)", len(caps))
	}
	daemon := site.ShopConns + site.StateConns + site.LockConns
	command := site.ShopConns + site.StateConns + site.LockConns // status reads the lock too
	for _, c := range caps {
		if n, _ := strconv.Atoi(c[1]); n < 2*daemon+2*command {
			t.Errorf("MAX_USER_CONNECTIONS %d: want at least %d (a daemon and a standby of %d, two commands of %d)", n, 2*daemon+2*command, daemon, command)
		}
	}
	if !strings.Contains(sqlfiles.Grants, fmt.Sprintf("at most %d sessions (MODX pool %d, state pool %d,\n-- instance lock %d)", daemon, site.ShopConns, site.StateConns, site.LockConns)) {
		t.Error("grants.sql's comment does not give the pool sizes of internal/site")
	}
}

// grantsConfig writes e's config with the given MODX and state DSNs.
func (e *shopEnv) grantsConfig(modxDSN, stateDSN string) string {
	text := strings.Replace(e.configText(""), fmt.Sprintf("dsn = %q\n", e.dsn), fmt.Sprintf("dsn = %q\n", modxDSN), 1)
	return writeText(e.t, text+fmt.Sprintf("\n[state]\ndsn = %q\n", stateDSN), 0o600)
}

func dbName(t *testing.T, dsn string) string {
	t.Helper()
	c, err := mysql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	return c.DBName
}

func port(addr string) string {
	_, p, _ := net.SplitHostPort(addr)
	return p
}
