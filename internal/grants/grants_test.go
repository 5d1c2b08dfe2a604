package grants

import (
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

func TestSchemaPattern(t *testing.T) {
	for _, tt := range []struct{ name, pattern string }{
		{"modx", "modx"},
		{"modx_amocrm", `modx\_amocrm`},
		{"shop%1", `shop\%1`},
		{`back\slash`, `back\\slash`},
	} {
		if got := SchemaPattern(tt.name); got != tt.pattern {
			t.Errorf("SchemaPattern(%q) = %q, want %q", tt.name, got, tt.pattern)
		}
		if got := unescape(tt.pattern); got != tt.name {
			t.Errorf("unescape(%q) = %q, want %q", tt.pattern, got, tt.name)
		}
		if !like(tt.pattern, tt.name) {
			t.Errorf("%q does not match its own name %q", tt.pattern, tt.name)
		}
	}
	for _, tt := range []struct {
		pattern, name string
		want          bool
	}{
		{"modx_amocrm", "modxXamocrm", true}, // what an unescaped _ lets through
		{`modx\_amocrm`, "modxXamocrm", false},
		{"shop%", "shop_two", true},
		{"shop%", "sho", false},
		{"Modx", "modx", false},
	} {
		if got := like(tt.pattern, tt.name); got != tt.want {
			t.Errorf("like(%q, %q) = %v, want %v", tt.pattern, tt.name, got, tt.want)
		}
	}
}

func TestIdent(t *testing.T) {
	if got, want := Ident("odd`name"), "`odd``name`"; got != want {
		t.Errorf("Ident = %s, want %s", got, want)
	}
	if got, want := (Account{User: "o'brien", Host: "127.0.0.1"}).String(), `'o\'brien'@'127.0.0.1'`; got != want {
		t.Errorf("Account = %s, want %s", got, want)
	}
}

// SHOW GRANTS as MariaDB 10.11 prints it (read from a real server).
var mariadbLines = []string{
	"GRANT USAGE ON *.* TO `u`@`127.0.0.1` IDENTIFIED BY PASSWORD '*B69027D44F6E5EDC07F1AEAD1477967B16F28227' WITH MAX_USER_CONNECTIONS 40",
	"GRANT SELECT, INSERT ON `i24\\_probe`.* TO `u`@`127.0.0.1`",
	"GRANT ALL PRIVILEGES ON `other\\_db`.* TO `u`@`127.0.0.1` WITH GRANT OPTION",
	"GRANT SELECT (`ra``nk`, `id`), INSERT, UPDATE (`status`, `updatedon`) ON `i24_probe`.`t` TO `u`@`127.0.0.1`",
	"GRANT `reader` TO `u`@`127.0.0.1`",
	"GRANT EXECUTE ON PROCEDURE `db`.`p` TO `u`@`127.0.0.1`",
	"GRANT PROXY ON ''@'%' TO 'root'@'localhost' WITH GRANT OPTION",
}

func TestParse(t *testing.T) {
	h, err := Parse(mariadbLines)
	if err != nil {
		t.Fatal(err)
	}
	want := []Grant{
		{Privilege: "SELECT", Level: Schema, Schema: `i24\_probe`},
		{Privilege: "INSERT", Level: Schema, Schema: `i24\_probe`},
		{Privilege: allPrivileges, Level: Schema, Schema: `other\_db`},
		{Privilege: grantOption, Level: Schema, Schema: `other\_db`},
		{Privilege: "SELECT", Level: Column, Schema: "i24_probe", Table: "t", Column: "ra`nk"},
		{Privilege: "SELECT", Level: Column, Schema: "i24_probe", Table: "t", Column: "id"},
		{Privilege: "INSERT", Level: Table, Schema: "i24_probe", Table: "t"},
		{Privilege: "UPDATE", Level: Column, Schema: "i24_probe", Table: "t", Column: "status"},
		{Privilege: "UPDATE", Level: Column, Schema: "i24_probe", Table: "t", Column: "updatedon"},
	}
	if !slices.Equal(h.Grants, want) {
		t.Errorf("grants:\n got %v\nwant %v", h.Grants, want)
	}
	if !slices.Equal(h.Roles, []string{"reader"}) {
		t.Errorf("roles: got %q, want reader", h.Roles)
	}
}

func TestParseErrorHidesPassword(t *testing.T) {
	_, err := Parse([]string{"GRANT SELECT ON `unterminated TO `u`@`h` IDENTIFIED BY PASSWORD '*SECRETHASH'"})
	if err == nil || strings.Contains(err.Error(), "SECRETHASH") {
		t.Errorf("got %v, want an error that does not show the password hash", err)
	}
}

func TestCompare(t *testing.T) {
	table := func(priv, tbl string) Grant {
		return Grant{Privilege: priv, Level: Table, Schema: "modx_shop", Table: tbl}
	}
	column := func(priv, tbl, col string) Grant {
		return Grant{Privilege: priv, Level: Column, Schema: "modx_shop", Table: tbl, Column: col}
	}
	schema := func(priv, pattern string) Grant { return Grant{Privilege: priv, Level: Schema, Schema: pattern} }
	need := []Grant{
		table("SELECT", "modx_users"), table("SELECT", "modx_ms2_orders"),
		column("UPDATE", "modx_ms2_orders", "status"), column("UPDATE", "modx_ms2_orders", "updatedon"),
		table("INSERT", "modx_ms2_order_logs"),
		schema("SELECT", `modx\_amocrm`), schema("CREATE", `modx\_amocrm`),
	}
	for _, tt := range []struct {
		name           string
		have           []Grant
		missing, extra []Grant
	}{
		{"exactly", need, nil, nil},
		{"schema-wide reads", append([]Grant{schema("SELECT", `modx\_shop`)}, need[2:]...), nil, []Grant{schema("SELECT", `modx\_shop`)}},
		{"every column", append(slices.Clone(need[:2]), append([]Grant{table("UPDATE", "modx_ms2_orders")}, need[4:]...)...),
			nil, []Grant{table("UPDATE", "modx_ms2_orders")}},
		{"a write missing", slices.Concat(need[:4], need[5:]), []Grant{table("INSERT", "modx_ms2_order_logs")}, nil},
		{"a wildcard schema", append(slices.Clone(need[:5]), schema(allPrivileges, "modx_amocrm"), schema(grantOption, "modx_amocrm")),
			nil, []Grant{schema(allPrivileges, "modx_amocrm"), schema(grantOption, "modx_amocrm")}},
		{"everything", []Grant{{Privilege: allPrivileges, Level: Global}}, nil, []Grant{{Privilege: allPrivileges, Level: Global}}},
		{"nothing", nil, need, nil},
		{"grant option is not all privileges", []Grant{{Privilege: grantOption, Level: Global}}, need, []Grant{{Privilege: grantOption, Level: Global}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			missing, extra := Compare(need, tt.have)
			if !slices.Equal(missing, tt.missing) || !slices.Equal(extra, tt.extra) {
				t.Errorf("missing %v\nwant    %v\nextra   %v\nwant    %v", missing, tt.missing, extra, tt.extra)
			}
		})
	}
}

func TestStatement(t *testing.T) {
	to := []Account{{"u", "localhost"}, {"u", "127.0.0.1"}}
	got := Statement([]Grant{
		{Privilege: "UPDATE", Level: Column, Schema: "modx", Table: "modx_ms2_orders", Column: "status"},
		{Privilege: "UPDATE", Level: Column, Schema: "modx", Table: "modx_ms2_orders", Column: "updatedon"},
	}, to)
	if want := "GRANT UPDATE (`status`, `updatedon`) ON `modx`.`modx_ms2_orders` TO 'u'@'localhost', 'u'@'127.0.0.1';"; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// The script of a few configs; testdata holds what each prints.
func TestScripts(t *testing.T) {
	ms2 := StatusTargets{Title: "miniShop2", Orders: "shop_ms2_orders", Columns: []string{"status", "updatedon"}, Logs: "shop_ms2_order_logs"}
	ms3 := StatusTargets{Title: "MiniShop3", Orders: "shop_ms3_orders", Columns: []string{"status_id", "updatedon"}, Logs: "shop_ms3_order_logs"}
	base := func() Site {
		s := Site{
			MODX:   Conn{User: "modx_amocrm", Schema: "shop_db", Net: "tcp", Addr: "127.0.0.1:3306"},
			Prefix: "shop_", StatePrefix: "amocrm_sync_", StateTables: []string{"links", "meta"},
			Tables: []string{"shop_ms2_orders", "shop_users"}, Found: "miniShop2 4.x, 2 tables found by modx.dsn's account",
			Writes: []StatusTargets{ms2},
		}
		s.State = s.MODX
		s.StateShared = true
		s.Pools.MODX, s.Pools.State, s.Pools.Lock = 4, 4, 1
		return s
	}
	for _, tt := range []struct {
		name string
		edit func(*Site)
	}{
		{"detected", func(*Site) {}},
		{"state-schema-status-on", func(s *Site) {
			s.State = Conn{User: "modx_amocrm", Schema: "modx_amocrm", Net: "tcp", Addr: "127.0.0.1:3306"}
			s.StateShared, s.ShopStatus = false, true
		}},
		{"not-looked-at-socket", func(s *Site) {
			s.MODX = Conn{User: "shop", Schema: "shop%db", Net: "unix", Addr: "/run/mysqld/mysqld.sock"}
			s.State, s.Tables, s.Found, s.Writes = s.MODX, nil, "the database was not looked at", []StatusTargets{ms2, ms3}
		}},
		{"remote-state-server", func(s *Site) {
			s.MODX.Addr = "db.example:3306"
			s.State = Conn{User: "amocrm_state", Schema: "state", Net: "tcp", Addr: "state.example:3306"}
			s.StateShared = false
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := base()
			tt.edit(&s)
			sc, err := New(s)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, filepath.Join("testdata", tt.name+".golden"), sc.SQL())
		})
	}
}

func TestNewErrors(t *testing.T) {
	s := Site{MODX: Conn{User: "u", Schema: "modx"}, State: Conn{User: "u"}}
	if _, err := New(s); err == nil || !strings.Contains(err.Error(), "state.dsn: want a user and a database") {
		t.Errorf("a state DSN without a database: got %v", err)
	}
	s.State.Schema = "modx"
	s.ShopStatus, s.Writes = true, []StatusTargets{{}, {}}
	if _, err := New(s); err != ErrShopUnknown {
		t.Errorf("[shop_status] on, shop unknown: got %v, want ErrShopUnknown", err)
	}
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to write it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs (run with -update to rewrite it):\n%s", path, got)
	}
}
