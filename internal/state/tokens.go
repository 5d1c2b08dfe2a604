package state

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"golang.org/x/oauth2"
)

// storedToken is the JSON kept in the tokens table. Expiry is absolute, never
// oauth2's relative expires_in. Its content must never reach a log or an error.
type storedToken struct {
	AccessToken  string    `json:"access_token"`
	RefreshToken string    `json:"refresh_token"`
	TokenType    string    `json:"token_type"`
	Expiry       time.Time `json:"expiry"`
}

// LoadToken returns the token stored under name, or nil when there is none.
func (s *Store) LoadToken(ctx context.Context, name string) (*oauth2.Token, error) {
	return s.loadToken(ctx, s.db, name, "")
}

// UpdateToken runs fn while holding the token row locked (SELECT ... FOR
// UPDATE, which holds across processes), passing the token stored now (nil if
// none). The token fn returns is committed before UpdateToken returns; when
// fn returns (nil, nil) nothing is written and the stored token is returned.
// A refresh token is single-use, so fn runs at most once.
func (s *Store) UpdateToken(ctx context.Context, name string, fn func(current *oauth2.Token) (*oauth2.Token, error)) (*oauth2.Token, error) {
	// The row must exist for FOR UPDATE to lock it; a no-op when it does.
	if _, err := s.db.ExecContext(ctx, s.q(`INSERT INTO {{prefix}}tokens (name, token_json, updated_at) VALUES (?, '', ?)
		ON DUPLICATE KEY UPDATE name = name`), name, s.clock()); err != nil {
		return nil, fmt.Errorf("create token row %s: %w", name, err)
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("lock token %s: %w", name, err)
	}
	defer tx.Rollback() // a no-op after Commit
	current, err := s.loadToken(ctx, tx, name, " FOR UPDATE")
	if err != nil {
		return nil, err
	}
	next, err := fn(current)
	if err != nil {
		return nil, err
	}
	if next == nil {
		return current, nil
	}
	data, err := json.Marshal(storedToken{
		AccessToken:  next.AccessToken,
		RefreshToken: next.RefreshToken,
		TokenType:    next.TokenType,
		Expiry:       next.Expiry.UTC(),
	})
	if err != nil {
		return nil, fmt.Errorf("encode token %s: %w", name, err)
	}
	if _, err := tx.ExecContext(ctx, s.q(`UPDATE {{prefix}}tokens SET token_json = ?, updated_at = ? WHERE name = ?`),
		data, s.clock(), name); err != nil {
		return nil, fmt.Errorf("store token %s: %w", name, err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("store token %s: %w", name, err)
	}
	return next, nil
}

func (s *Store) loadToken(ctx context.Context, q sqlx.QueryerContext, name, lock string) (*oauth2.Token, error) {
	data, _, err := getOptional[string](ctx, q, s.q(`SELECT token_json FROM {{prefix}}tokens WHERE name = ?`+lock), name)
	if err != nil {
		return nil, fmt.Errorf("read token %s: %w", name, err)
	}
	if data == "" { // no row, or a row locked before its first token
		return nil, nil
	}
	var st storedToken
	if err := json.Unmarshal([]byte(data), &st); err != nil {
		// The decoder's message could quote part of the token; say only where.
		return nil, fmt.Errorf("decode token %s: stored JSON is invalid", name)
	}
	return &oauth2.Token{
		AccessToken:  st.AccessToken,
		RefreshToken: st.RefreshToken,
		TokenType:    st.TokenType,
		Expiry:       st.Expiry,
	}, nil
}
