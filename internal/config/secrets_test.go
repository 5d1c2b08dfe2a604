package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// The secret values below must never show up in an error or a rendering.
const (
	secretInFile = "file-s3cret"
	secretInEnv  = "env-s3cret"
	secretInCred = "cred-s3cret"
	secretInTOML = "toml-s3cret"
)

func writeFile(t *testing.T, dir, name, content string, mode os.FileMode) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestSecretPrecedence(t *testing.T) {
	dir := t.TempDir()
	file := writeFile(t, dir, "secret.txt", secretInFile+"\n", 0o600)
	creds := t.TempDir()
	writeFile(t, creds, "amocrm.client_secret", secretInCred+"\r\n", 0o600)

	tests := []struct {
		name     string
		toml     string // [amocrm] lines
		env      map[string]string
		want     string
		wantErrs []string
	}{
		{"toml value", `client_secret = "` + secretInTOML + `"`, nil, secretInTOML, nil},
		{"file, newline trimmed", `client_secret_file = "` + file + `"`, nil, secretInFile, nil},
		{"credential", ``, map[string]string{EnvCredentialsDir: creds}, secretInCred, nil},
		{"value beats credential", `client_secret = "` + secretInTOML + `"`, map[string]string{EnvCredentialsDir: creds}, secretInTOML, nil},
		{"file beats credential", `client_secret_file = "` + file + `"`, map[string]string{EnvCredentialsDir: creds}, secretInFile, nil},
		{"env beats all", `client_secret_file = "` + file + `"`,
			map[string]string{"MODX_AMOCRM_CLIENT_SECRET": secretInEnv, EnvCredentialsDir: creds}, secretInEnv, nil},
		{"nothing", ``, map[string]string{EnvCredentialsDir: t.TempDir()}, "", nil},
		{"value and file", `client_secret = "` + secretInTOML + `"` + "\nclient_secret_file = \"" + file + `"`, nil, "",
			[]string{`config.toml:`, `amocrm.client_secret_file: set either amocrm.client_secret or amocrm.client_secret_file, not both`}},
		{"missing file", `client_secret_file = "/nonexistent/secret"`, nil, "",
			[]string{`amocrm.client_secret_file: open /nonexistent/secret: no such file or directory`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc := "[modx]\ndsn = \"u@tcp(h:3306)/db\"\n[amocrm]\n" + tc.toml + "\n"
			c, err := parse([]byte(doc), "config.toml", func(k string) string { return tc.env[k] })
			if len(tc.wantErrs) > 0 {
				if err == nil {
					t.Fatal("got no error")
				}
				for _, w := range tc.wantErrs {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("got %q, want it to contain %q", err, w)
					}
				}
				assertNoSecret(t, err.Error())
				return
			}
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if c.AmoCRM.ClientSecret != tc.want {
				t.Errorf("got secret of length %d, want %q", len(c.AmoCRM.ClientSecret), tc.want)
			}
		})
	}
}

func TestSecretUnreadableFile(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads any file")
	}
	path := writeFile(t, t.TempDir(), "pw", secretInFile, 0o000)
	_, err := parse([]byte("[modx]\npassword_file = \""+path+"\"\n"), "config.toml", noEnv)
	if err == nil || !strings.Contains(err.Error(), "modx.password_file: open "+path+": permission denied") {
		t.Errorf("got %v, want a permission error naming modx.password_file", err)
	}
}

func TestSecretSources(t *testing.T) {
	got := SecretSources()
	want := map[string]string{
		"modx.password":           "MODX_AMOCRM_MODX_PASSWORD",
		"state.password":          "MODX_AMOCRM_STATE_PASSWORD",
		"amocrm.client_secret":    "MODX_AMOCRM_CLIENT_SECRET",
		"amocrm.long_lived_token": "MODX_AMOCRM_LONG_LIVED_TOKEN",
	}
	if len(got) != len(want) {
		t.Fatalf("got %d sources, want %d", len(got), len(want))
	}
	for _, s := range got {
		if want[s.Key] != s.Env || s.FileKey != s.Key+"_file" || s.Credential != s.Key {
			t.Errorf("got %+v, want env %s, file key %s_file, credential %s", s, want[s.Key], s.Key, s.Key)
		}
	}
}

func TestRedacted(t *testing.T) {
	c := Default()
	c.MODX.DSN = "modx:" + secretInTOML + "@tcp(127.0.0.1:3306)/modx"
	c.MODX.Password = secretInFile
	c.State.Password = secretInEnv
	c.AmoCRM.ClientSecret = secretInCred
	c.AmoCRM.LongLivedToken = secretInTOML
	c.AmoCRM.AuthCode = secretInTOML
	s := c.String()
	assertNoSecret(t, s)
	if !strings.Contains(s, "(redacted)") || !strings.Contains(s, "modx:redacted@tcp(127.0.0.1:3306)/modx") {
		t.Errorf("got %s, want redaction marks", s)
	}
	if c.MODX.Password != secretInFile {
		t.Error("Redacted changed the original")
	}
	// The rendering stays a config Parse accepts.
	if _, err := parse([]byte(s), "redacted.toml", noEnv); err != nil {
		t.Errorf("parse redacted: %v", err)
	}
}

func assertNoSecret(t *testing.T, s string) {
	t.Helper()
	for _, secret := range []string{secretInFile, secretInEnv, secretInCred, secretInTOML} {
		if strings.Contains(s, secret) {
			t.Errorf("output contains a secret: %q", s)
		}
	}
}

func TestDSN(t *testing.T) {
	tests := []struct {
		name, dsn, password, want string
	}{
		{"defaults applied", "modx@tcp(db:3306)/shop", "pw",
			"modx:pw@tcp(db:3306)/shop?charset=utf8mb4&parseTime=true&readTimeout=1m0s&timeout=10s&writeTimeout=1m0s"},
		{"own timeouts kept, charset forced", "modx:old@tcp(db:3306)/shop?charset=utf8&timeout=3s&readTimeout=5s", "",
			"modx:old@tcp(db:3306)/shop?charset=utf8mb4&parseTime=true&readTimeout=5s&timeout=3s&writeTimeout=1m0s"},
		{"foreign collation dropped", "modx@tcp(db:3306)/shop?collation=latin1_swedish_ci", "",
			"modx@tcp(db:3306)/shop?charset=utf8mb4&parseTime=true&readTimeout=1m0s&timeout=10s&writeTimeout=1m0s"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := Default()
			c.MODX.DSN, c.MODX.Password = tc.dsn, tc.password
			got, err := c.MODXDSN()
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
			state, err := c.StateDSN()
			if err != nil || state != got {
				t.Errorf("StateDSN with empty state.dsn: got %s, %v, want the MODX DSN", state, err)
			}
		})
	}
	c := Default()
	c.MODX.DSN = "modx@tcp(db:3306)/shop"
	c.State.DSN, c.State.Password = "sync@tcp(db:3306)/sync", "spw"
	got, err := c.StateDSN()
	if want := "sync:spw@tcp(db:3306)/sync?charset=utf8mb4&parseTime=true&readTimeout=1m0s&timeout=10s&writeTimeout=1m0s"; err != nil || got != want {
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
			t.Setenv(EnvCredentialsDir, "")
			path := filepath.Join(t.TempDir(), "config.toml")
			if err := os.WriteFile(path, []byte(tc.doc), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tc.mode); err != nil {
				t.Fatal(err)
			}
			c, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			keys, mode, err := c.ExposedSecrets()
			if err != nil || !reflect.DeepEqual(keys, tc.want) || (keys != nil && mode != tc.mode) {
				t.Errorf("got %v, %04o, %v; want %v, %04o", keys, mode, err, tc.want, tc.mode)
			}
		})
	}
}
