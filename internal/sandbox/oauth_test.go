package sandbox_test

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/sandbox"
)

type tokens struct {
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
}

type oauthProblem struct {
	Hint   string `json:"hint"`
	Title  string `json:"title"`
	Type   string `json:"type"`
	Status int    `json:"status"`
}

// tokenRequest posts fields to the token endpoint, as a form or as JSON.
func tokenRequest(t *testing.T, base string, fields map[string]string, asJSON bool) response {
	t.Helper()
	var body io.Reader
	ct := "application/x-www-form-urlencoded"
	if asJSON {
		b, _ := json.Marshal(fields)
		body, ct = strings.NewReader(string(b)), "application/json"
	} else {
		form := url.Values{}
		for k, v := range fields {
			form.Set(k, v)
		}
		body = strings.NewReader(form.Encode())
	}
	resp, err := http.Post(base+"/oauth2/access_token", ct, body)
	if err != nil {
		t.Fatalf("token request: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

func codeGrant(code string) map[string]string {
	return map[string]string{"client_id": sandbox.DefaultClientID, "client_secret": sandbox.DefaultClientSecret,
		"grant_type": "authorization_code", "code": code, "redirect_uri": sandbox.DefaultRedirectURI}
}

func refreshGrant(refresh string) map[string]string {
	return map[string]string{"client_id": sandbox.DefaultClientID, "client_secret": sandbox.DefaultClientSecret,
		"grant_type": "refresh_token", "refresh_token": refresh, "redirect_uri": sandbox.DefaultRedirectURI}
}

func wantHint(t *testing.T, r response, status int, hint string) {
	t.Helper()
	r.want(t, status)
	if got := r.header.Get("Content-Type"); got != "application/problem+json" {
		t.Errorf("Content-Type = %q, want application/problem+json", got)
	}
	var p oauthProblem
	r.json(t, &p)
	if p.Hint != hint || p.Status != status || p.Type != "https://developers.amocrm.ru/v3/errors/OAuthProblemJson" {
		t.Errorf("problem = %+v, want hint %q status %d", p, hint, status)
	}
}

func TestOAuthExchangeRefreshAndReuse(t *testing.T) {
	a := start(t, sandbox.Options{})
	var first tokens
	tokenRequest(t, a.base, codeGrant(sandbox.DefaultAuthCode), false).want(t, http.StatusOK).json(t, &first)
	if first.TokenType != "Bearer" || first.ExpiresIn != 86400 || !strings.HasPrefix(first.RefreshToken, "def502") {
		t.Fatalf("token response = %+v", first)
	}
	parts := strings.Split(first.AccessToken, ".")
	if len(parts) != 3 {
		t.Fatalf("access token has %d parts, want a JWT of 3", len(parts))
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatalf("jwt payload: %v", err)
	}
	var claims struct {
		Exp       int64  `json:"exp"`
		APIDomain string `json:"api_domain"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatalf("jwt claims: %v", err)
	}
	if want := a.clock.Now().Add(24 * time.Hour).Unix(); claims.Exp != want || claims.APIDomain == "" {
		t.Errorf("claims = %+v, want exp %d and an api_domain", claims, want)
	}

	a.token = first.AccessToken
	a.do("GET", "/api/v4/account", nil).want(t, http.StatusOK)
	wantHint(t, tokenRequest(t, a.base, codeGrant(sandbox.DefaultAuthCode), true), 400, "Authorization code has been revoked")

	var second tokens
	tokenRequest(t, a.base, refreshGrant(first.RefreshToken), true).want(t, http.StatusOK).json(t, &second)
	wantHint(t, tokenRequest(t, a.base, refreshGrant(first.RefreshToken), false), 401, "Token has been revoked")
	// Stricter side of §8 q3: the old access token dies with its refresh token.
	a.do("GET", "/api/v4/account", nil).want(t, http.StatusUnauthorized)
	a.token = second.AccessToken
	a.do("GET", "/api/v4/account", nil).want(t, http.StatusOK)

	a.clock.Add(24*time.Hour + time.Second)
	a.do("GET", "/api/v4/account", nil).want(t, http.StatusUnauthorized)
	tokenRequest(t, a.base, refreshGrant(second.RefreshToken), false).want(t, http.StatusOK)
}

func TestOAuthErrors(t *testing.T) {
	a := start(t, sandbox.Options{})
	code := a.srv.NewAuthCode()
	with := func(key, value string) map[string]string {
		f := codeGrant(code)
		if value == "" {
			delete(f, key)
		} else {
			f[key] = value
		}
		return f
	}
	tests := []struct {
		name   string
		fields map[string]string
		status int
		hint   string
	}{
		{"client id", with("client_id", "nope"), 400, "Check the `client_id` parameter"},
		{"client secret", with("client_secret", "nope"), 400, "Check the `client_secret` parameter"},
		{"redirect mismatch", with("redirect_uri", "https://evil.example/"), 400, "Redirect URI is not associated with client"},
		{"redirect missing", with("redirect_uri", ""), 400, "Check the `redirect_uri` parameter"},
		{"garbled code", with("code", "garbage"), 400, "Cannot decrypt the authorization code"},
		{"grant type", with("grant_type", "password"), 400, "Check the `grant_type` parameter"},
		{"unknown refresh", refreshGrant("def502unknown"), 400, "Invalid refresh token"},
		{"refresh without redirect", func() map[string]string {
			f := refreshGrant("def502unknown")
			delete(f, "redirect_uri")
			return f
		}(), 400, "Check the `redirect_uri` parameter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantHint(t, tokenRequest(t, a.base, tt.fields, false), tt.status, tt.hint)
		})
	}
	t.Run("expired code", func(t *testing.T) {
		late := a.srv.NewAuthCode()
		a.clock.Add(20*time.Minute + time.Second)
		wantHint(t, tokenRequest(t, a.base, codeGrant(late), false), 400, "Authorization code has expired")
	})
}

func TestOAuthInvalidAccountHost(t *testing.T) {
	a := start(t, sandbox.Options{Subdomain: "shop"})
	send := func(host string) response {
		form := url.Values{}
		for k, v := range codeGrant(a.srv.NewAuthCode()) {
			form.Set(k, v)
		}
		req, _ := http.NewRequest("POST", a.base+"/oauth2/access_token", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Host = host
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("token request: %v", err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return response{status: resp.StatusCode, header: resp.Header, body: b}
	}
	wantHint(t, send("other.amocrm.ru"), 400, "Invalid account")
	send("shop.amocrm.ru").want(t, http.StatusOK)
}

func TestBearerFailures(t *testing.T) {
	a := start(t, sandbox.Options{})
	for _, token := range []string{"", "unknown-token"} {
		a.token = token
		r := a.do("GET", "/api/v4/leads", nil).want(t, http.StatusUnauthorized)
		if r.header.Get("X-Request-Id") == "" || r.header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("token %q: headers %v, want X-Request-Id and problem+json", token, r.header)
		}
		var p struct {
			Title  string `json:"title"`
			Detail string `json:"detail"`
		}
		r.json(t, &p)
		if p.Title != "Unauthorized" || p.Detail != "Неверный логин или пароль" {
			t.Errorf("problem = %+v", p)
		}
	}
}
