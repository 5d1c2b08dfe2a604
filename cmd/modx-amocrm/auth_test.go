package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modx-amocrm/modx-amocrm/internal/sandbox"
	"github.com/modx-amocrm/modx-amocrm/internal/sandbox/sandboxtest"
	"github.com/modx-amocrm/modx-amocrm/internal/testdb"
)

// writeConfig writes a config file with the given [amocrm] and [modx] lines.
func writeConfig(t *testing.T, modxDSN string, amocrm map[string]string) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "[modx]\ndsn = %q\n\n[amocrm]\n", modxDSN)
	for k, v := range amocrm {
		fmt.Fprintf(&b, "%s = %q\n", k, v)
	}
	path := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func runMain(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Main(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestPipelinesCommand(t *testing.T) {
	const token = "pipelines-test-token"
	_, url := sandboxtest.Start(t, sandbox.Options{LongLivedTokens: []string{token}})
	// A long-lived token needs no state database: the DSN is never dialled.
	cfg := writeConfig(t, "modx@tcp(127.0.0.1:1)/modx", map[string]string{"base_url": url, "long_lived_token": token})

	code, out, errOut := runMain(t, "pipelines", "-config", cfg)
	if code != exitOK {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
	for _, want := range []string{"Воронка", "main", "142", "won", "143", "lost", "unsorted", "USER", "CONTACT FIELD", "PHONE", "multitext", "WORK"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, token) {
		t.Error("output contains the token")
	}

	code, out, errOut = runMain(t, "pipelines", "-config", cfg, "-json")
	if code != exitOK {
		t.Fatalf("-json: exit %d, stderr %s", code, errOut)
	}
	var got accountMeta
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("-json output: %v", err)
	}
	if len(got.Pipelines) != 3 || len(got.Users) != 3 || len(got.LeadFields) != len(sandbox.TrackingCodes) {
		t.Errorf("got %d pipelines, %d users, %d lead fields; want 3, 3, %d (the default account's tracking fields)",
			len(got.Pipelines), len(got.Users), len(got.LeadFields), len(sandbox.TrackingCodes))
	}
}

func TestPipelinesCommandReportsFatal(t *testing.T) {
	srv, url := sandboxtest.Start(t, sandbox.Options{LongLivedTokens: []string{"t"}})
	srv.SetFaults(sandbox.Faults{Unpaid: true})
	cfg := writeConfig(t, "modx@tcp(127.0.0.1:1)/modx", map[string]string{"base_url": url, "long_lived_token": "t"})
	code, _, errOut := runMain(t, "pipelines", "-config", cfg)
	if code != exitFatal || !strings.Contains(errOut, "not paid") {
		t.Errorf("exit %d, stderr %q; want 1 and a plain message", code, errOut)
	}
}

func TestAuthCommand(t *testing.T) {
	_, dsn := testdb.New(t)
	srv, url := sandboxtest.Start(t, sandbox.Options{})
	cfg := writeConfig(t, dsn, map[string]string{
		"base_url":      url,
		"client_id":     sandbox.DefaultClientID,
		"client_secret": sandbox.DefaultClientSecret,
		"redirect_uri":  sandbox.DefaultRedirectURI,
		"auth_code":     sandbox.DefaultAuthCode,
	})
	tokenCalls := func() int {
		n := 0
		for _, r := range srv.Requests() {
			if r.Path == "/oauth2/access_token" {
				n++
			}
		}
		return n
	}

	code, out, errOut := runMain(t, "auth", "-config", cfg)
	if code != exitOK {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
	for _, want := range []string{"token mode:", "oauth", "refresh possible:", "yes", "expires:"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	for _, secret := range []string{sandbox.DefaultAuthCode, sandbox.DefaultClientSecret, "eyJ", "def502"} {
		if strings.Contains(out+errOut, secret) {
			t.Errorf("output contains secret %q", secret)
		}
	}

	// The stored token is used: the spent code is not exchanged again.
	if code, _, errOut := runMain(t, "auth", "-config", cfg); code != exitOK {
		t.Fatalf("second run: exit %d, stderr %s", code, errOut)
	}
	if got := tokenCalls(); got != 1 {
		t.Errorf("token endpoint calls = %d, want 1", got)
	}

	// An explicit -code is exchanged; a spent one fails plainly.
	code, _, errOut = runMain(t, "auth", "-config", cfg, "-code", sandbox.DefaultAuthCode)
	if code != exitFatal || strings.Contains(errOut, sandbox.DefaultAuthCode) {
		t.Errorf("spent -code: exit %d, stderr %q; want 1 without the code", code, errOut)
	}

	code, _, _ = runMain(t, "auth", "-config", cfg, "-from-modx")
	if code != exitFatal {
		t.Errorf("-from-modx: exit %d, want 1 (not implemented yet)", code)
	}
}
