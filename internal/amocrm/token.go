package amocrm

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
)

// TokenStore keeps the OAuth token pair where every process of the site sees
// it (internal/state: a row read with SELECT ... FOR UPDATE).
type TokenStore interface {
	// LoadToken returns the stored token, or nil, nil when there is none.
	LoadToken(ctx context.Context, name string) (*oauth2.Token, error)
	// UpdateToken calls fn with the stored token (nil when none) while holding
	// a lock that excludes every other UpdateToken of name, in any process.
	// A non-nil result of fn is persisted before UpdateToken returns it; a
	// nil result leaves the store as it is and the current token is returned.
	UpdateToken(ctx context.Context, name string, fn func(current *oauth2.Token) (*oauth2.Token, error)) (*oauth2.Token, error)
}

// expiryMargin: refresh this long before the access token expires, so a
// token never dies in the middle of a pass.
const expiryMargin = 5 * time.Minute

// TokenInfo is what `auth` and `check` show about the token; never the token.
type TokenInfo struct {
	Mode       string    // "long-lived" or "oauth"
	Stored     bool      // a token is configured (long-lived) or in the store (oauth)
	Expiry     time.Time // of the access token; zero when unknown
	CanRefresh bool      // oauth: a refresh token is stored
}

// Usable reports whether API calls can be authorized without a new auth code
// (as far as can be told without calling amoCRM).
func (t TokenInfo) Usable(now time.Time) bool {
	return t.Stored && (t.CanRefresh || t.Expiry.IsZero() || now.Before(t.Expiry))
}

type oauthConfig struct {
	clientID, clientSecret, redirectURI string
}

// tokenSource hands out a fresh access token. Its mutex makes refreshes
// single-flight in the process; the store's lock does so across processes.
type tokenSource struct {
	mu      sync.Mutex
	store   TokenStore
	name    string
	tok     *oauth2.Token
	refresh func(ctx context.Context, refreshToken string) (*oauth2.Token, error)
	log     *slog.Logger
}

func fresh(t *oauth2.Token) bool {
	return t != nil && t.AccessToken != "" && (t.Expiry.IsZero() || time.Now().Add(expiryMargin).Before(t.Expiry))
}

func (ts *tokenSource) token(ctx context.Context) (string, error) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.tok == nil {
		tok, err := ts.store.LoadToken(ctx, ts.name)
		if err != nil {
			return "", fmt.Errorf("load amoCRM token: %w", err)
		}
		if tok == nil {
			return "", ErrNoToken
		}
		ts.tok = tok
	}
	if !fresh(ts.tok) {
		if err := ts.replaceLocked(ctx, ts.tok.AccessToken); err != nil {
			return "", err
		}
	}
	return ts.tok.AccessToken, nil
}

// invalidate is called after amoCRM refused the access token used.
func (ts *tokenSource) invalidate(ctx context.Context, used string) error {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.tok != nil && ts.tok.AccessToken != used && fresh(ts.tok) {
		return nil // another call of this process has refreshed meanwhile
	}
	return ts.replaceLocked(ctx, used)
}

// replaceLocked swaps the cached token for one other than stale: the stored
// one when another process has refreshed already, else a newly refreshed
// pair, which the store persists before anyone uses it.
func (ts *tokenSource) replaceLocked(ctx context.Context, stale string) error {
	refreshed := false
	tok, err := ts.store.UpdateToken(ctx, ts.name, func(cur *oauth2.Token) (*oauth2.Token, error) {
		switch {
		case cur == nil:
			return nil, ErrNoToken
		case cur.AccessToken != stale && fresh(cur):
			return nil, nil
		case cur.RefreshToken == "":
			return nil, ErrTokenRevoked
		}
		next, err := ts.refresh(ctx, cur.RefreshToken)
		refreshed = err == nil
		return next, err
	})
	if err != nil {
		return fmt.Errorf("refresh amoCRM token: %w", err)
	}
	if tok == nil {
		return ErrNoToken
	}
	ts.tok = tok
	if refreshed {
		ts.log.Info("amocrm token refreshed", "expiry", tok.Expiry)
	}
	return nil
}

func (ts *tokenSource) set(tok *oauth2.Token) {
	ts.mu.Lock()
	ts.tok = tok
	ts.mu.Unlock()
}

func (c *Client) accessToken(ctx context.Context) (string, error) {
	if c.tokens == nil {
		return c.longLived, nil
	}
	return c.tokens.token(ctx)
}

// Exchange trades a 20-minute authorization code for the first token pair and
// stores it. The exchange runs under the store's lock, so the pair is
// persisted before anything else can use or refresh it.
func (c *Client) Exchange(ctx context.Context, code string) error {
	if c.tokens == nil {
		return errors.New("amocrm: a long-lived token needs no auth code")
	}
	tok, err := c.tokens.store.UpdateToken(ctx, c.tokens.name, func(*oauth2.Token) (*oauth2.Token, error) {
		return c.tokenRequest(ctx, url.Values{"grant_type": {"authorization_code"}, "code": {code}})
	})
	if err != nil {
		return fmt.Errorf("exchange amoCRM auth code: %w", err)
	}
	c.tokens.set(tok)
	return nil
}

func (c *Client) refreshToken(ctx context.Context, refreshToken string) (*oauth2.Token, error) {
	return c.tokenRequest(ctx, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refreshToken}})
}

// tokenRequest posts one grant to the token endpoint. Both grants are sent
// here rather than through x/oauth2's Config: its refresher omits the
// redirect_uri that amoCRM's documentation sends, and its errors embed the
// raw response body; here the limiter, deadline and error parsing are shared
// with every other request. x/oauth2 still provides the Token type.
func (c *Client) tokenRequest(ctx context.Context, form url.Values) (*oauth2.Token, error) {
	form.Set("client_id", c.oauth.clientID)
	form.Set("client_secret", c.oauth.clientSecret)
	form.Set("redirect_uri", c.oauth.redirectURI)
	var body struct {
		TokenType    string `json:"token_type"`
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
		ExpiresIn    int64  `json:"expires_in"`
	}
	cl := call{class: "oauth", method: "POST", path: "/oauth2/access_token", body: []byte(form.Encode()),
		form: true, noAuth: true, create: true}
	if _, err := c.do(ctx, cl, &body); err != nil {
		if errors.Is(err, ErrOutcomeUnknown) {
			// The next call tries again with the same refresh token.
			return nil, fmt.Errorf("no answer from the token endpoint: %v", errors.Unwrap(err))
		}
		return nil, err
	}
	if body.AccessToken == "" {
		return nil, errors.New("token endpoint returned no access token")
	}
	tok := &oauth2.Token{AccessToken: body.AccessToken, TokenType: body.TokenType, RefreshToken: body.RefreshToken}
	if body.ExpiresIn > 0 {
		tok.Expiry = time.Now().Add(time.Duration(body.ExpiresIn) * time.Second)
	}
	return tok, nil
}

// TokenStatus describes the token in use without calling amoCRM.
func (c *Client) TokenStatus(ctx context.Context) (TokenInfo, error) {
	if c.tokens == nil {
		return TokenInfo{Mode: "long-lived", Stored: true, Expiry: jwtExpiry(c.longLived)}, nil
	}
	tok, err := c.tokens.store.LoadToken(ctx, c.tokens.name)
	if err != nil {
		return TokenInfo{}, fmt.Errorf("load amoCRM token: %w", err)
	}
	info := TokenInfo{Mode: "oauth", Stored: tok != nil}
	if tok != nil {
		info.Expiry = tok.Expiry
		info.CanRefresh = tok.RefreshToken != ""
	}
	return info, nil
}

// jwtExpiry reads the exp claim of a JWT without verifying it: amoCRM's
// long-lived tokens are JWTs and their lifetime is chosen by a human.
func jwtExpiry(token string) time.Time {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return time.Time{}
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return time.Time{}
	}
	var claims struct {
		Exp int64 `json:"exp"`
	}
	if json.Unmarshal(payload, &claims) != nil || claims.Exp == 0 {
		return time.Time{}
	}
	return time.Unix(claims.Exp, 0)
}
