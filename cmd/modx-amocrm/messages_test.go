package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"

	"github.com/modx-amocrm/modx-amocrm/internal/config"
	"github.com/modx-amocrm/modx-amocrm/internal/modx/modxtest"
	"github.com/modx-amocrm/modx-amocrm/internal/sandbox"
)

// The tests of this file give each operator-facing message of issue 14 a
// command, an input and the exact output that says what is wrong and what
// to do.

// writeText writes a config file with the given mode and returns its path.
func writeText(t *testing.T, text string, mode os.FileMode) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(path, []byte(text), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // past the umask
		t.Fatal(err)
	}
	return path
}

// lineOf returns the first line of out starting with prefix, or "".
func lineOf(out, prefix string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return ""
}

// oauthConfig is e's config with the sandbox's OAuth credentials instead of
// the long-lived token, at baseURL and with redirectURI.
func (e *shopEnv) oauthConfig(baseURL, redirectURI string) string {
	e.t.Helper()
	text := strings.Replace(e.configText(""), fmt.Sprintf("long_lived_token = %q\n", shopToken),
		fmt.Sprintf("client_id = %q\nclient_secret = %q\nredirect_uri = %q\nauth_code = %q\n",
			sandbox.DefaultClientID, sandbox.DefaultClientSecret, redirectURI, sandbox.DefaultAuthCode), 1)
	text = strings.Replace(text, fmt.Sprintf("base_url = %q", e.url), fmt.Sprintf("base_url = %q", baseURL), 1)
	return writeText(e.t, text, 0o600)
}

func TestCheckFailureEndsPlainly(t *testing.T) {
	e := newShopEnv(t, modxtest.Options{})
	code, _, errOut := runMain(t, "check", "-config", writeText(t, e.configText("\n[sync]\ncrom = 1\n"), 0o600))
	if code != exitFatal || errOut != "modx-amocrm check: some checks failed\n" {
		t.Errorf("exit %d, stderr %q; want %d and \"modx-amocrm check: some checks failed\\n\"", code, errOut, exitFatal)
	}
}

func TestMissingConfig(t *testing.T) {
	path := filepath.Join(t.TempDir(), "none.toml")
	want := "no config file " + path + ": give -config FILE, or set MODX_AMOCRM_CONFIG; write one with " +
		"`modx-amocrm import-settings -dsn DSN -o FILE` (from the old extra's settings) or copy config.example.toml"
	code, _, errOut := runMain(t, "run", "-once", "-config", path)
	if code != exitFatal || errOut != "modx-amocrm run: "+want+"\n" {
		t.Errorf("run: exit %d, stderr %q; want %d, %q", code, errOut, exitFatal, want)
	}
	t.Setenv(config.EnvConfig, path)
	code, out, _ := runMain(t, "check")
	if got := lineOf(out, "FAIL"); code != exitFatal || got != "FAIL  config      "+want {
		t.Errorf("check from %s: exit %d, line %q; want %d, %q", config.EnvConfig, code, got, exitFatal, want)
	}
}

func TestUnknownKeyDidYouMean(t *testing.T) {
	e := newShopEnv(t, modxtest.Options{})
	text := e.configText("\n[contacts]\nskip_emtpy = true\n")
	path := writeText(t, text, 0o600)
	line := strings.Count(strings.TrimRight(text, "\n"), "\n") + 1
	_, out, _ := runMain(t, "check", "-config", path)
	want := fmt.Sprintf(`FAIL  config      %s:%d: unknown key "contacts.skip_emtpy"; did you mean "contacts.skip_empty"?`, path, line)
	if got := lineOf(out, "FAIL"); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestUnknownNameListsTheAccount(t *testing.T) {
	e := newShopEnv(t, modxtest.Options{})
	_, out, _ := runMain(t, "check", "-config", e.config("\n[[orders.category]]\nid = 3\npipeline_id = \"Воронкa\"\n"))
	want := `FAIL  ids         orders.category[1].pipeline_id: no pipeline named "Воронкa" in the account; ` +
		`there are "Воронка", "Оптовые продажи", "Сервис"`
	if got := lineOf(out, "FAIL"); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestWrongTablePrefix(t *testing.T) {
	e := newShopEnv(t, modxtest.Options{})
	text := strings.Replace(e.configText(""), `table_prefix = "modx_"`, `table_prefix = "shop_"`, 1)
	_, out, _ := runMain(t, "check", "-config", writeText(t, text, 0o600))
	want := `FAIL  modx        open MODX database: read settings: no table shop_system_settings; ` +
		`the database has system_settings with prefix "modx_": set modx.table_prefix to it`
	if got := lineOf(out, "FAIL"); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

// TestBaseURLChanged: tokens are kept per account host; pointing the config
// at another address leaves the stored token unused, and check and run say
// so without contacting amoCRM, and never as "amoCRM refused".
func TestBaseURLChanged(t *testing.T) {
	e := newShopEnv(t, modxtest.Options{})
	if code, _, errOut := runMain(t, "auth", "-config", e.oauthConfig(e.url, sandbox.DefaultRedirectURI)); code != exitOK {
		t.Fatalf("auth: exit %d: %s", code, errOut)
	}
	moved := strings.Replace(e.url, "127.0.0.1", "localhost", 1)
	cfg := e.oauthConfig(moved, sandbox.DefaultRedirectURI)
	requests := len(e.box.Requests())

	want := fmt.Sprintf("no amoCRM token stored for %s, only for %s: amocrm.base_url (or amocrm.account and domain) "+
		"changed since `modx-amocrm auth`; set it back, or run `modx-amocrm auth` with an auth code of the new account",
		strings.TrimPrefix(moved, "http://"), strings.TrimPrefix(e.url, "http://"))
	code, out, _ := runMain(t, "check", "-config", cfg)
	if got := lineOf(out, "FAIL"); code != exitFatal || got != "FAIL  token       "+want {
		t.Errorf("check: exit %d, line %q; want %d, %q", code, got, exitFatal, want)
	}
	code, _, errOut := runMain(t, "run", "-once", "-config", cfg)
	if code != exitFatal || errOut != "modx-amocrm run: "+want+"\n" {
		t.Errorf("run: exit %d, stderr %q; want %d, %q", code, errOut, exitFatal, want)
	}
	if got := len(e.box.Requests()); got != requests {
		t.Errorf("amoCRM got %d requests after the change, want none", got-requests)
	}
}

func TestNoTokenYet(t *testing.T) {
	e := newShopEnv(t, modxtest.Options{})
	code, _, errOut := runMain(t, "run", "-once", "-config", e.oauthConfig(e.url, sandbox.DefaultRedirectURI))
	want := "modx-amocrm run: no amoCRM token stored: run `modx-amocrm auth` (none for " + strings.TrimPrefix(e.url, "http://") + " yet)\n"
	if code != exitFatal || errOut != want {
		t.Errorf("exit %d, stderr %q; want %d, %q", code, errOut, exitFatal, want)
	}
}

func TestAuthRedirectURIMismatch(t *testing.T) {
	e := newShopEnv(t, modxtest.Options{})
	code, _, errOut := runMain(t, "auth", "-config", e.oauthConfig(e.url, "https://shop.example/amocrm"))
	want := `modx-amocrm auth: amocrm.redirect_uri = "https://shop.example/amocrm" is not the redirect URI of the integration: ` +
		"copy it from the integration's settings in amoCRM, character for character " +
		"(exchange amoCRM auth code: amoCRM does not know the redirect URI as the integration's " +
		"(HTTP 400, Некорректный запрос, В запросе отсутствует ряд параметров или параметры невалидны, Redirect URI is not associated with client, request id sandbox-000000000001))\n"
	if code != exitFatal || errOut != want {
		t.Errorf("exit %d, stderr\n%q\nwant %d,\n%q", code, errOut, exitFatal, want)
	}
}

// TestSecretsReadableByEveryone: a config holding a secret with mode o+r
// draws a warning from check and run; mode 0600 draws none.
func TestSecretsReadableByEveryone(t *testing.T) {
	e := newShopEnv(t, modxtest.Options{})
	path := writeText(t, e.configText(""), 0o644)
	_, out, _ := runMain(t, "check", "-config", path)
	secrets := "amocrm.long_lived_token"
	if dsn, err := mysql.ParseDSN(e.dsn); err == nil && dsn.Passwd != "" { // the CI test user has one
		secrets += ", modx.dsn (its password)"
	}
	want := "warn  config      " + path + " holds secrets (" + secrets + ") and every user may read it (mode 0644): " +
		"chmod 600 it, or move the secrets to <key>_file, MODX_AMOCRM_* variables or systemd credentials"
	if got := lineOf(out, "warn  config"); got != want {
		t.Errorf("check:\ngot  %q\nwant %q", got, want)
	}
	_, _, errOut := runMain(t, "run", "-once", "-config", path)
	if !strings.Contains(errOut, "the config file holds secrets and every user may read it") || !strings.Contains(errOut, "amocrm.long_lived_token") {
		t.Errorf("run: no warning in stderr:\n%s", errOut)
	}

	private := writeText(t, e.configText(""), 0o600)
	_, out, _ = runMain(t, "check", "-config", private)
	_, _, errOut = runMain(t, "run", "-once", "-config", private)
	if strings.Contains(out+errOut, "every user may read it") {
		t.Errorf("mode 0600 warned:\n%s\n%s", out, errOut)
	}
}

// TestCheckStatusMap: category pipelines without a status map are warned
// about, and a status_map key that is not a miniShop2 status fails.
func TestCheckStatusMap(t *testing.T) {
	e := newShopEnv(t, modxtest.Options{})
	category := "\n[[orders.category]]\nid = 3\npipeline_id = \"Оптовые продажи\"\n"
	code, out, _ := runMain(t, "check", "-config", e.config(category))
	want := `warn  status map  deals go to the pipelines of category rules (orders.category) but orders.status_map is empty, ` +
		`so their orders' status changes in the shop are not sent: map each status, e.g. "2" = "Оплачен" (a name is looked up in each deal's pipeline)`
	if got := lineOf(out, "warn  status map"); code != exitOK || got != want {
		t.Errorf("no status map: exit %d, line %q; want %d, %q", code, got, exitOK, want)
	}

	code, out, _ = runMain(t, "check", "-config", e.config(category+"\n[orders.status_map]\n\"2\" = \"Оплачен\"\n\"77\" = 142\n"))
	want = `FAIL  status map  orders.status_map: "77" is not a status of the shop; its statuses are 1 Новый, 2 Оплачен, 3 Отправлен, 4 Отменён, 5 Черновик`
	if got := lineOf(out, "FAIL"); code != exitFatal || got != want {
		t.Errorf("unknown key: exit %d, line %q; want %d, %q", code, got, exitFatal, want)
	}
}
