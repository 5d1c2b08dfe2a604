package modx

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// OldTokenSetting is where the old extra keeps its OAuth token, as JSON.
const OldTokenSetting = "amocrm_token_field"

// ErrNoOldToken means the old extra has no token stored.
var ErrNoOldToken = errors.New("the old extra has no token in " + OldTokenSetting)

// OldToken is the old extra's OAuth token. Its expires_in is an absolute
// Unix time (the extra stored now + expires_in), not a duration.
type OldToken struct {
	TokenType    string
	AccessToken  string
	RefreshToken string
	Expiry       time.Time
}

// OldExtraToken reads and decodes amocrm_token_field. Errors never quote
// the setting's value: it holds the tokens.
func (db *DB) OldExtraToken(ctx context.Context) (OldToken, error) {
	set, err := db.Settings(ctx, OldTokenSetting)
	if err != nil {
		return OldToken{}, err
	}
	raw := strings.TrimSpace(set[OldTokenSetting])
	if raw == "" {
		return OldToken{}, ErrNoOldToken
	}
	return ParseOldToken(raw)
}

// ParseOldToken decodes the old extra's token JSON. expires_in may be a
// number or a numeric string (PHP wrote either).
func ParseOldToken(raw string) (OldToken, error) {
	var v struct {
		TokenType    string          `json:"token_type"`
		AccessToken  string          `json:"access_token"`
		RefreshToken string          `json:"refresh_token"`
		ExpiresIn    json.RawMessage `json:"expires_in"`
	}
	if err := json.Unmarshal([]byte(raw), &v); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return OldToken{}, fmt.Errorf("%s: invalid JSON at offset %d", OldTokenSetting, syn.Offset)
		}
		return OldToken{}, fmt.Errorf("%s: not the old extra's token object", OldTokenSetting)
	}
	if v.AccessToken == "" || v.RefreshToken == "" {
		return OldToken{}, fmt.Errorf("%s: access_token or refresh_token is missing", OldTokenSetting)
	}
	secs, err := strconv.ParseInt(strings.Trim(string(v.ExpiresIn), `"`), 10, 64)
	if err != nil || secs <= 0 {
		return OldToken{}, fmt.Errorf("%s: expires_in is not a Unix time", OldTokenSetting)
	}
	if v.TokenType == "" {
		v.TokenType = "Bearer"
	}
	return OldToken{TokenType: v.TokenType, AccessToken: v.AccessToken, RefreshToken: v.RefreshToken, Expiry: time.Unix(secs, 0)}, nil
}
