package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/modx/modxtest"
	"github.com/modx-amocrm/modx-amocrm/internal/sandbox"
	"github.com/modx-amocrm/modx-amocrm/internal/sandbox/sandboxtest"
	"github.com/modx-amocrm/modx-amocrm/internal/testdb"
)

// TestAuthFromMODX takes over a token the old extra stored in
// amocrm_token_field (expires_in absolute), then uses it — and a refresh
// of it — without any new auth code.
func TestAuthFromMODX(t *testing.T) {
	ctx := context.Background()
	db, dsn := testdb.New(t)
	shop := modxtest.Options{Prefix: "modx_"}
	if err := modxtest.Create(ctx, db, shop); err != nil {
		t.Fatal(err)
	}
	box, base := sandboxtest.Start(t, sandbox.Options{})
	// What the old extra did with the auth code: exchange it, and store the
	// pair with an absolute expires_in.
	resp, err := http.PostForm(base+"/oauth2/access_token", url.Values{
		"client_id": {sandbox.DefaultClientID}, "client_secret": {sandbox.DefaultClientSecret},
		"grant_type": {"authorization_code"}, "code": {sandbox.DefaultAuthCode}, "redirect_uri": {sandbox.DefaultRedirectURI},
	})
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		TokenType    string `json:"token_type"`
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
		ExpiresIn    int64  `json:"expires_in"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	old := fmt.Sprintf(`{"token_type":%q,"access_token":%q,"refresh_token":%q,"expires_in":%d,"refresh_token_lifetime":%d}`,
		tok.TokenType, tok.AccessToken, tok.RefreshToken, time.Now().Unix()-60, time.Now().AddDate(0, 3, 0).Unix()) // already expired: forces a refresh
	if err := modxtest.SetSetting(ctx, db, shop, "amocrm_token_field", old); err != nil {
		t.Fatal(err)
	}
	cfg := writeConfig(t, dsn, map[string]string{
		"base_url": base, "client_id": sandbox.DefaultClientID, "client_secret": sandbox.DefaultClientSecret,
		"redirect_uri": sandbox.DefaultRedirectURI,
	})
	code, out, errOut := runMain(t, "auth", "-config", cfg, "-from-modx")
	if code != exitOK {
		t.Fatalf("exit %d\nstdout %s\nstderr %s", code, out, errOut)
	}
	for _, want := range []string{"Sandbox", "oauth", "refresh possible:"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, "disable the old extra") {
		t.Errorf("no warning about the old extra:\n%s", errOut)
	}
	for _, secret := range []string{tok.AccessToken, tok.RefreshToken} {
		if strings.Contains(out+errOut, secret) {
			t.Fatal("output contains a token")
		}
	}
	refreshed := false
	for _, r := range box.Requests() {
		if r.Path == "/oauth2/access_token" && r.Status == http.StatusOK {
			refreshed = true
		}
	}
	if !refreshed {
		t.Error("the expired token taken over was not refreshed")
	}
	// Again: nothing to take over twice, and the stored pair still works.
	if code, _, errOut := runMain(t, "auth", "-config", cfg); code != exitOK {
		t.Fatalf("second auth: exit %d: %s", code, errOut)
	}
}
