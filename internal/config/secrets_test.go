package config

import (
	"os"
	"path/filepath"
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
			c, err := Parse([]byte(doc), "config.toml", testEnv(tc.env))
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
	_, err := Parse([]byte("[modx]\npassword_file = \""+path+"\"\n"), "config.toml", testEnv(nil))
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
	if _, err := Parse([]byte(s), "redacted.toml", testEnv(nil)); err != nil {
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
