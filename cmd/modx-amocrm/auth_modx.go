package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"

	"golang.org/x/oauth2"

	"github.com/modx-amocrm/modx-amocrm/internal/site"
)

// takeOverOldToken copies the old extra's token (amocrm_token_field) into
// our state, so no new 20-minute auth code is needed. From then on only one
// of the two may refresh it: amoCRM refresh tokens are single-use.
func takeOverOldToken(ctx context.Context, w io.Writer, configPath string) error {
	s, err := loadSite(configPath)
	if err != nil {
		return err
	}
	defer s.Close()
	if s.Config.AmoCRM.LongLivedToken != "" {
		return usageError{"-from-modx: the config has a long-lived token, which needs no OAuth token"}
	}
	if err := s.OpenShop(ctx); err != nil {
		return err
	}
	old, err := s.Shop.OldExtraToken(ctx)
	if err != nil {
		return fmt.Errorf("-from-modx: %w", err)
	}
	if err := s.OpenState(ctx); err != nil {
		return err
	}
	name := site.TokenName(s.Config.AmoBaseURL())
	_, err = s.Store.UpdateToken(ctx, name, func(cur *oauth2.Token) (*oauth2.Token, error) {
		if cur != nil && cur.RefreshToken == old.RefreshToken {
			return nil, nil // taken over before
		}
		return &oauth2.Token{TokenType: old.TokenType, AccessToken: old.AccessToken, RefreshToken: old.RefreshToken, Expiry: old.Expiry}, nil
	})
	if err != nil {
		return fmt.Errorf("store the old extra's token: %w", err)
	}
	if err := s.Store.SetMeta(ctx, metaOldTokenTaken, tokenFingerprint(old.RefreshToken)); err != nil {
		return fmt.Errorf("remember the token taken over: %w", err)
	}
	fmt.Fprintln(w, "took over the old extra's token (amocrm_token_field); disable the old extra's amoCRM plugin now:")
	fmt.Fprintln(w, "both must not refresh the same token, and both must not send orders (check warns while it is enabled)")
	return nil
}

// metaOldTokenTaken keeps the fingerprint of the refresh token `auth
// -from-modx` took over, so that check can tell whether the extra went on
// using it.
const metaOldTokenTaken = "old_extra_token_taken"

// tokenFingerprint tells refresh tokens apart without keeping or showing
// one: the first 8 bytes of its SHA-256, in hex.
func tokenFingerprint(refresh string) string {
	sum := sha256.Sum256([]byte(refresh))
	return hex.EncodeToString(sum[:8])
}
