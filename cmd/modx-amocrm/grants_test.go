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

// grantsAccount is a fresh account name and password for a test; the
// account, at both hosts, is dropped when the test ends.
func grantsAccount(t *testing.T, admin *sqlx.DB) (user, password string) {
	t.Helper()
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	user, password = "mxamo_g_"+hex.EncodeToString(b[:]), "pw-"+hex.EncodeToString(b[:])
	t.Cleanup(func() {
		for _, host := range []string{"localhost", "127.0.0.1"} {
			if _, err := admin.Exec("DROP USER IF EXISTS '" + user + "'@'" + host + "'"); err != nil {
				t.Errorf("drop user: %v", err)
			}
		}
	})
	return user, password
}

// runGrants prints the grants of cfg (args are more flags) and runs them as
// the administrator, the password put where the script says. It returns
// the script.
func runGrantsScript(t *testing.T, admin *sqlx.DB, cfg, password string, args ...string) string {
	t.Helper()
	code, script, errOut := runMain(t, append([]string{"grants", "-config", cfg}, args...)...)
	if code != exitOK {
		t.Fatalf("grants: exit %d\n%s", code, errOut)
	}
	if strings.Contains(script+errOut, password) {
		t.Fatal("grants printed the config's password")
	}
	for _, stmt := range sqlStatements(strings.ReplaceAll(script, "'change-me'", "'"+password+"'")) {
		if _, err := admin.Exec(stmt); err != nil {
			t.Fatalf("grants: %s: %v", stmt, err)
		}
	}
	return script
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

// TestGrantsWholeJob runs every command as the account `grants` prints
// for a shop whose prefix is not modx_, the tables read through an
// administrator's -dsn, over TCP and over the socket, with the state in its
// own schema: they all work, check finds the account holding exactly what
// it needs, and the MODX tables are exactly as before (checksums).
func TestGrantsWholeJob(t *testing.T) {
	e := newShopEnv(t, modxtest.Options{Prefix: "shop_", OldExtra: true, FormIt: true})
	ds := e.generate(60)
	stateDB, stateDSN := testdb.New(t)
	server, err := mysql.ParseDSN(testdb.ServerDSN())
	if err != nil {
		t.Fatal(err)
	}
	if host, _, _ := net.SplitHostPort(server.Addr); server.Net != "tcp" || (host != "127.0.0.1" && host != "localhost") {
		t.Skipf("grants names loopback accounts; the test server is at %s %s", server.Net, server.Addr)
	}
	shopName, stateName := dbName(t, e.dsn), dbName(t, stateDSN)
	user, password := grantsAccount(t, e.db)
	tcp := func(db string) string {
		return fmt.Sprintf("%s:%s@tcp(127.0.0.1:%s)/%s", user, password, port(server.Addr), db)
	}
	cfg := e.grantsConfig(tcp(shopName), tcp(stateName))
	script := runGrantsScript(t, e.db, cfg, password, "-dsn", e.dsn)
	for _, want := range []string{"GRANT SELECT ON `" + shopName + "`.`shop_ms2_orders`", "GRANT SELECT ON `" + shopName + "`.`shop_formit_forms`",
		"GRANT SELECT ON `" + shopName + "`.`shop_amocrm_leads`", "ON `" + strings.ReplaceAll(stateName, "_", `\_`) + "`.* TO"} {
		if !strings.Contains(script, want) {
			t.Errorf("the script lacks %q:\n%s", want, script)
		}
	}
	if strings.Contains(script, "`modx_") {
		t.Errorf("the script names a modx_ table of a shop_ shop:\n%s", script)
	}
	before := checksums(t, e.db)

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
		if s.args[0] == "check" && (strings.Contains(out, "FAIL") || !strings.Contains(out, "ok    grants      "+user+"@127.0.0.1 holds the ")) {
			t.Errorf("check as %s: want the account holding exactly what it needs\n%s", user, out)
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

// TestGrantsStateInMODXSchema: with the state in the MODX schema, [shop_status]
// on a MiniShop3 shop named by modx.shop, and no database to look at, the
// script grants SELECT on the schema, the two writes and each state table by
// name: the state is created and written, orders move, and nothing else of
// MODX's can be changed. check says the schema-wide SELECT is more than
// needed, and names a write that was taken away.
func TestGrantsStateInMODXSchema(t *testing.T) {
	e := newShopEnv(t, modxtest.Options{Generation: modxtest.GenMS3})
	e.order(modxtest.OrderSpec{Address: map[string]any{"phone": "+7 999 111-22-33"}})
	user, password := grantsAccount(t, e.db)
	server, err := mysql.ParseDSN(e.dsn)
	if err != nil {
		t.Fatal(err)
	}
	shopName := dbName(t, e.dsn)
	extra := "\n[shop_status]\nenabled = true\nmap = { \"142\" = 3 }\n"
	text := strings.Replace(e.configText(extra), "table_prefix = \"modx_\"\n", "table_prefix = \"modx_\"\nshop = \"minishop3\"\n", 1)
	text = strings.Replace(text, fmt.Sprintf("dsn = %q\n", e.dsn), fmt.Sprintf("dsn = %q\n", fmt.Sprintf("%s:%s@tcp(%s)/%s", user, password, server.Addr, shopName)), 1)
	cfg := writeText(t, text, 0o600)
	script := runGrantsScript(t, e.db, cfg, password) // the account does not exist yet: nothing is looked at
	for _, want := range []string{"GRANT SELECT ON `" + strings.ReplaceAll(shopName, "_", `\_`) + "`.* TO",
		"GRANT UPDATE (`status_id`, `updatedon`) ON `" + shopName + "`.`modx_ms3_orders` TO",
		"GRANT INSERT ON `" + shopName + "`.`modx_ms3_order_logs` TO",
		"GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER, INDEX ON `" + shopName + "`.`amocrm_sync_links` TO"} {
		if !strings.Contains(script, want) {
			t.Errorf("the script lacks %q:\n%s", want, script)
		}
	}
	if strings.Contains(script, "-- GRANT UPDATE") || strings.Contains(script, "-- GRANT INSERT") || strings.Contains(script, "ms2_") {
		t.Errorf("with [shop_status] on and the shop named, only MiniShop3's writes are granted, none shown commented:\n%s", script)
	}

	code, out, errOut := runMain(t, "check", "-config", cfg)
	if code != exitOK || !strings.Contains(out, "ok    writes") ||
		!strings.Contains(out, "warn  grants      "+user+"@127.0.0.1 holds more than this config needs: SELECT on `"+strings.ReplaceAll(shopName, "_", `\_`)+"`.*;") {
		t.Errorf("check: exit %d, want 0 with the writes granted and the schema-wide SELECT more than needed\n%s\n%s", code, out, errOut)
	}
	if code, _, errOut := runMain(t, "run", "-once", "-config", cfg); code != exitOK {
		t.Errorf("run -once: exit %d\n%s", code, errOut)
	}
	as := sqlx.MustOpen("mysql", fmt.Sprintf("%s:%s@tcp(%s)/%s", user, password, server.Addr, shopName))
	defer as.Close()
	var links int
	if err := as.Get(&links, "SELECT COUNT(*) FROM amocrm_sync_links"); err != nil || links == 0 {
		t.Errorf("the state in the MODX schema: %d links, %v; want the order's", links, err)
	}
	for _, q := range []string{"UPDATE modx_ms3_orders SET num = 'x'", "UPDATE modx_users SET username = 'x'", "DELETE FROM modx_ms3_order_logs",
		"CREATE TABLE modx_other (id int)", "DROP TABLE amocrm_sync_links"} {
		if _, err := as.Exec(q); err == nil {
			t.Errorf("the account may %s", q)
		}
	}

	if _, err := e.db.Exec("REVOKE INSERT ON `" + shopName + "`.`modx_ms3_order_logs` FROM '" + user + "'@'127.0.0.1'"); err != nil {
		t.Fatal(err)
	}
	code, out, _ = runMain(t, "check", "-config", cfg)
	if code != exitFatal || !strings.Contains(out, "FAIL  grants      "+user+"@127.0.0.1 lacks INSERT on `"+shopName+"`.`modx_ms3_order_logs`: run what `modx-amocrm grants` prints") {
		t.Errorf("check without the log write: exit %d, want 1 naming it\n%s", code, out)
	}
}

// TestGrantsExampleFile holds sql/grants.sql to what `grants` prints for
// config.example.toml when its database cannot be looked at.
func TestGrantsExampleFile(t *testing.T) {
	example, err := os.ReadFile("../../config.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	// Port 1: nothing answers, so the output does not depend on this machine.
	text := strings.Replace(string(example), "@tcp(127.0.0.1:3306)/", "@tcp(127.0.0.1:1)/", 1)
	code, out, errOut := runMain(t, "grants", "-config", writeText(t, text, 0o600))
	if code != exitOK || !strings.Contains(errOut, "not looked at") {
		t.Fatalf("grants: exit %d, want 0 and a word on stderr that the database was not looked at\n%s", code, errOut)
	}
	if out != sqlfiles.Grants {
		t.Errorf("sql/grants.sql is not what `modx-amocrm grants` prints for config.example.toml; write it with\n"+
			"  sed 's/127.0.0.1:3306/127.0.0.1:1/' config.example.toml > /tmp/c.toml && go run ./cmd/modx-amocrm grants -config /tmp/c.toml > sql/grants.sql\ngot:\n%s", out)
	}
}

// TestGrantsShopUnknown: with [shop_status] on, the writes name the shop's
// tables, so an unknown shop is an error, not a guess.
func TestGrantsShopUnknown(t *testing.T) {
	text := "[modx]\ndsn = \"modx_amocrm@tcp(127.0.0.1:1)/modx\"\n[shop_status]\nenabled = true\n[orders.status_map]\n\"2\" = \"Оплачен\"\n"
	code, out, errOut := runMain(t, "grants", "-config", writeText(t, text, 0o600))
	if code != exitFatal || out != "" || !strings.Contains(errOut, "set modx.shop to minishop2 or minishop3") {
		t.Errorf("exit %d, want 1 asking for modx.shop\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
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
	comments := strings.Join(strings.Fields(strings.ReplaceAll(sqlfiles.Grants, "\n--", " ")), " ")
	if !strings.Contains(comments, fmt.Sprintf("at most %d sessions (MODX pool %d, state pool %d, instance lock %d)", daemon, site.ShopConns, site.StateConns, site.LockConns)) {
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
