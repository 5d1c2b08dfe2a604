package site

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/modx-amocrm/modx-amocrm/internal/config"
)

// minimal is the smallest config that validates.
const minimal = `[modx]
dsn = "modx@tcp(127.0.0.1:3306)/modx"

[amocrm]
account = "shop"
long_lived_token = "tok"
`

func TestLoadConfig(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(path, []byte(minimal+"bogus = 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := LoadConfig(path)
	if want := path + `:7: unknown key "amocrm.bogus"`; err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
	var fe *config.FieldError
	if !errors.As(err, &fe) || !fe.IsUnknownKey() || fe.Key != "amocrm.bogus" {
		t.Errorf("got %#v, want an unknown-key FieldError for amocrm.bogus", fe)
	}
	if _, err := LoadConfig(filepath.Join(t.TempDir(), "missing.toml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: got %v, want ErrNotExist", err)
	}
}

func TestConfigPath(t *testing.T) {
	t.Setenv(config.EnvConfig, "")
	if got := ConfigPath(""); got != config.DefaultPath {
		t.Errorf("no flag, no env: got %q, want %q", got, config.DefaultPath)
	}
	t.Setenv(config.EnvConfig, "/srv/site.toml")
	if got := ConfigPath(""); got != "/srv/site.toml" {
		t.Errorf("env: got %q, want /srv/site.toml", got)
	}
	if got := ConfigPath("a.toml"); got != "a.toml" {
		t.Errorf("flag: got %q, want a.toml", got)
	}
}

func TestDSN(t *testing.T) {
	tests := []struct {
		name, dsn, password, want string
	}{
		{"defaults applied", "modx@tcp(db:3306)/shop", "pw",
			"modx:pw@tcp(db:3306)/shop?charset=utf8mb4&interpolateParams=true&parseTime=true&readTimeout=1m0s&timeout=10s&writeTimeout=1m0s"},
		{"own timeouts kept, charset forced", "modx:old@tcp(db:3306)/shop?charset=utf8&timeout=3s&readTimeout=5s", "",
			"modx:old@tcp(db:3306)/shop?charset=utf8mb4&interpolateParams=true&parseTime=true&readTimeout=5s&timeout=3s&writeTimeout=1m0s"},
		{"foreign collation dropped", "modx@tcp(db:3306)/shop?collation=latin1_swedish_ci", "",
			"modx@tcp(db:3306)/shop?charset=utf8mb4&interpolateParams=true&parseTime=true&readTimeout=1m0s&timeout=10s&writeTimeout=1m0s"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := config.Default()
			c.MODX.DSN, c.MODX.Password = tc.dsn, tc.password
			got, err := MODXDSN(&c)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
			state, err := StateDSN(&c)
			if err != nil || state != got {
				t.Errorf("StateDSN with empty state.dsn: got %s, %v, want the MODX DSN", state, err)
			}
		})
	}
	c := config.Default()
	c.MODX.DSN = "modx@tcp(db:3306)/shop"
	c.State.DSN, c.State.Password = "sync@tcp(db:3306)/sync", "spw"
	got, err := StateDSN(&c)
	if want := "sync:spw@tcp(db:3306)/sync?charset=utf8mb4&interpolateParams=true&parseTime=true&readTimeout=1m0s&timeout=10s&writeTimeout=1m0s"; err != nil || got != want {
		t.Errorf("StateDSN: got %s, %v, want %s", got, err, want)
	}
}

// TestExposedSecrets: secrets written in a file every user may read are
// listed, with the mode; a private file, or secrets kept elsewhere, are not.
func TestExposedSecrets(t *testing.T) {
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte("t\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		doc  string
		mode os.FileMode
		want []string
	}{
		{"world-readable", "[modx]\ndsn = \"u:pw@tcp(db:3306)/modx\"\n[amocrm]\naccount = \"a\"\nclient_id = \"id\"\nclient_secret = \"s\"\n",
			0o644, []string{"amocrm.client_secret", "modx.dsn (its password)"}},
		{"private", "[modx]\ndsn = \"u:pw@tcp(db:3306)/modx\"\n[amocrm]\nlong_lived_token = \"t\"\n", 0o600, nil},
		{"group-readable", "[modx]\ndsn = \"m@tcp(db:3306)/modx\"\n[amocrm]\nlong_lived_token = \"t\"\n", 0o640, nil},
		{"secrets elsewhere", "[modx]\ndsn = \"m@tcp(db:3306)/modx\"\n[amocrm]\nlong_lived_token_file = \"" + tokenFile + "\"\n", 0o644, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(config.EnvCredentialsDir, "")
			path := filepath.Join(t.TempDir(), "config.toml")
			if err := os.WriteFile(path, []byte(tc.doc), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tc.mode); err != nil {
				t.Fatal(err)
			}
			c, err := LoadConfig(path)
			if err != nil {
				t.Fatal(err)
			}
			keys, mode, err := ExposedSecrets(c)
			if err != nil || !reflect.DeepEqual(keys, tc.want) || (keys != nil && mode != tc.mode) {
				t.Errorf("got %v, %04o, %v; want %v, %04o", keys, mode, err, tc.want, tc.mode)
			}
		})
	}
}
