package sandbox

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"mime"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

const refreshTTL = 90 * 24 * time.Hour // "3 months"

// tokenRecord is an issued OAuth token, stored under the hash of the token.
type tokenRecord struct {
	Kind      string `json:"kind"` // "access" or "refresh"
	Pair      string `json:"pair"` // shared by the access and refresh token of one grant
	ExpiresAt int64  `json:"expires_at"`
	Revoked   bool   `json:"revoked,omitempty"`
}

// codeRecord is an authorization code, stored under its hash.
type codeRecord struct {
	ExpiresAt int64 `json:"expires_at"`
	Used      bool  `json:"used,omitempty"`
}

const (
	tokenKindOAuth     = "oauth"
	tokenKindLongLived = "long-lived"
	tokenKindInvalid   = "invalid"
)

// bearer is what authentication learnt about a request's token.
type bearer struct{ kind, id string }

func hashToken(t string) string {
	h := sha256.Sum256([]byte(t))
	return hex.EncodeToString(h[:])
}

// tokenID names a token in logs: a prefix of its hash, never the token.
func tokenID(t string) string { return hashToken(t)[:12] }

// authenticate checks the request's bearer token.
func (s *Server) authenticate(r *http.Request) (bearer, bool) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || tok == "" {
		return bearer{}, false
	}
	b := bearer{kind: tokenKindInvalid, id: tokenID(tok)}
	for _, ll := range s.opts.LongLivedTokens {
		if hmac.Equal([]byte(ll), []byte(tok)) {
			b.kind = tokenKindLongLived
			return b, true
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.st.Tokens[hashToken(tok)]
	if !ok || rec.Kind != "access" || rec.Revoked || rec.ExpiresAt <= s.now() {
		return b, false
	}
	b.kind = tokenKindOAuth
	return b, true
}

// NewAuthCode issues a fresh authorization code, as a user's consent would.
func (s *Server) NewAuthCode() string {
	code := "def50200" + randomHex(64)
	s.issueCode(code)
	return code
}

// issueCode registers code unless it is known already (a persisted used
// code stays used across restarts).
func (s *Server) issueCode(code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := hashToken(code)
	if _, ok := s.st.Codes[key]; !ok {
		s.st.Codes[key] = codeRecord{ExpiresAt: s.opts.Now().Add(s.opts.CodeTTL).Unix()}
	}
}

type tokenRequest struct {
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
	GrantType    string `json:"grant_type"`
	Code         string `json:"code"`
	RefreshToken string `json:"refresh_token"`
	RedirectURI  string `json:"redirect_uri"`
}

type tokenResponse struct {
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	ServerTime   int64  `json:"server_time"`
}

// oauthError is a failed token request in amoCRM's OAuthProblemJson shape.
type oauthError struct {
	status int
	hint   string
}

func (e oauthError) write(w http.ResponseWriter) {
	body := struct {
		Hint   string `json:"hint"`
		Title  string `json:"title"`
		Type   string `json:"type"`
		Status int    `json:"status"`
		Detail string `json:"detail"`
	}{e.hint, "Некорректный запрос", "https://developers.amocrm.ru/v3/errors/OAuthProblemJson", e.status,
		"В запросе отсутствует ряд параметров или параметры невалидны"}
	writeJSON(w, e.status, contentProblem, body)
}

func oauthBad(hint string) *oauthError { return &oauthError{http.StatusBadRequest, hint} }

// handleToken is POST /oauth2/access_token for both grants. The redirect_uri
// is required on refresh too (reference §8 q1, stricter side), and a refresh
// revokes the access token of the old pair (§8 q3, stricter side).
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	req, err := parseTokenRequest(r)
	if err != nil {
		oauthBad("Invalid request body").write(w)
		return
	}
	s.mu.Lock()
	resp, oerr := s.grant(r, req)
	s.mu.Unlock()
	if oerr != nil {
		oerr.write(w)
		return
	}
	writeJSON(w, http.StatusOK, "application/json", resp)
}

func parseTokenRequest(r *http.Request) (tokenRequest, error) {
	var req tokenRequest
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct == "application/json" {
		err := json.NewDecoder(r.Body).Decode(&req)
		return req, err
	}
	if err := r.ParseForm(); err != nil {
		return req, err
	}
	f := r.PostForm
	return tokenRequest{ClientID: f.Get("client_id"), ClientSecret: f.Get("client_secret"), GrantType: f.Get("grant_type"),
		Code: f.Get("code"), RefreshToken: f.Get("refresh_token"), RedirectURI: f.Get("redirect_uri")}, nil
}

// grant checks a token request and issues a pair; s.mu is held.
func (s *Server) grant(r *http.Request, req tokenRequest) (*tokenResponse, *oauthError) {
	if !s.hostMatches(r.Host) {
		return nil, oauthBad("Invalid account")
	}
	switch {
	case req.GrantType != "authorization_code" && req.GrantType != "refresh_token":
		return nil, oauthBad("Check the `grant_type` parameter")
	case !hmac.Equal([]byte(req.ClientID), []byte(s.opts.ClientID)):
		return nil, oauthBad("Check the `client_id` parameter")
	case !hmac.Equal([]byte(req.ClientSecret), []byte(s.opts.ClientSecret)):
		return nil, oauthBad("Check the `client_secret` parameter")
	case req.RedirectURI == "":
		return nil, oauthBad("Check the `redirect_uri` parameter")
	case req.RedirectURI != s.opts.RedirectURI:
		return nil, oauthBad("Redirect URI is not associated with client")
	}
	now := s.now()
	if req.GrantType == "authorization_code" {
		key := hashToken(req.Code)
		code, ok := s.st.Codes[key]
		switch {
		case !ok:
			return nil, oauthBad("Cannot decrypt the authorization code")
		case code.Used:
			return nil, oauthBad("Authorization code has been revoked")
		case code.ExpiresAt <= now:
			return nil, oauthBad("Authorization code has expired")
		}
		code.Used = true
		s.st.Codes[key] = code
		return s.issuePair(r.Host), nil
	}
	key := hashToken(req.RefreshToken)
	old, ok := s.st.Tokens[key]
	switch {
	case !ok || old.Kind != "refresh":
		return nil, oauthBad("Invalid refresh token")
	case old.Revoked:
		return nil, &oauthError{http.StatusUnauthorized, "Token has been revoked"}
	case old.ExpiresAt <= now:
		return nil, &oauthError{http.StatusUnauthorized, "Token has expired"}
	}
	for k, t := range s.st.Tokens {
		if t.Pair == old.Pair {
			t.Revoked = true
			s.st.Tokens[k] = t
		}
	}
	return s.issuePair(r.Host), nil
}

// hostMatches reports whether host names this account. IP addresses and
// localhost (tests, the CLI) always match; other hosts need the subdomain as
// their first label.
func (s *Server) hostMatches(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if host == "" || host == "localhost" || net.ParseIP(host) != nil {
		return true
	}
	first, _, _ := strings.Cut(host, ".")
	return strings.EqualFold(first, s.st.Account.Subdomain)
}

// issuePair creates an access and a refresh token; s.mu is held.
func (s *Server) issuePair(host string) *tokenResponse {
	now := s.opts.Now()
	s.pruneTokens(now.Unix())
	pair := randomHex(8)
	access := s.signJWT(map[string]any{
		"aud": s.opts.ClientID, "jti": randomHex(16), "iat": now.Unix(), "nbf": now.Unix(),
		"exp": now.Add(s.opts.AccessTTL).Unix(), "sub": strconv.FormatInt(s.st.Account.CurrentUserID, 10),
		"account_id": s.st.Account.ID, "api_domain": host, "scopes": []string{"crm", "notifications"},
	})
	refresh := "def50200" + randomHex(96)
	s.st.Tokens[hashToken(access)] = tokenRecord{Kind: "access", Pair: pair, ExpiresAt: now.Add(s.opts.AccessTTL).Unix()}
	s.st.Tokens[hashToken(refresh)] = tokenRecord{Kind: "refresh", Pair: pair, ExpiresAt: now.Add(refreshTTL).Unix()}
	return &tokenResponse{TokenType: "Bearer", ExpiresIn: int64(s.opts.AccessTTL / time.Second),
		AccessToken: access, RefreshToken: refresh, ServerTime: now.Unix()}
}

// pruneTokens forgets tokens past their expiry, bounding the token table.
func (s *Server) pruneTokens(now int64) {
	for k, t := range s.st.Tokens {
		if t.ExpiresAt <= now {
			delete(s.st.Tokens, k)
		}
	}
}

// signJWT returns an HS256 JWT of claims, shaped like amoCRM's access tokens.
func (s *Server) signJWT(claims map[string]any) string {
	enc := base64.RawURLEncoding
	payload, err := json.Marshal(claims)
	if err != nil {
		panic("sandbox: encode jwt claims: " + err.Error())
	}
	unsigned := enc.EncodeToString([]byte(`{"typ":"JWT","alg":"HS256"}`)) + "." + enc.EncodeToString(payload)
	mac := hmac.New(sha256.New, s.st.Secret)
	mac.Write([]byte(unsigned))
	return unsigned + "." + enc.EncodeToString(mac.Sum(nil))
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}
