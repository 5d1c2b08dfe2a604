package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/amocrm"
	"github.com/modx-amocrm/modx-amocrm/internal/crm"
	"github.com/modx-amocrm/modx-amocrm/internal/site"
)

// runAuth exchanges the auth code for tokens (unless a usable token is
// stored) and prints the token's status, never the token.
func runAuth(ctx context.Context, io IO, args []string) error {
	fs := newFlagSet("auth", io)
	configPath := configFlag(fs)
	code := fs.String("code", "", "auth code to exchange now (default amocrm.auth_code, used only when no token is stored)")
	fromMODX := fs.Bool("from-modx", false, "take over the old extra's token from the amocrm_token_field setting")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if *fromMODX {
		if *code != "" {
			return usageError{"-from-modx and -code exclude each other"}
		}
		if err := takeOverOldToken(ctx, io.Stderr, *configPath); err != nil {
			return err
		}
	}
	s, err := loadSite(*configPath)
	if err != nil {
		return err
	}
	defer s.Close()
	if s.Config.AmoCRM.LongLivedToken != "" && *code != "" {
		return usageError{"-code: the config has a long-lived token, which needs no auth code"}
	}
	if err := s.OpenClient(ctx); err != nil {
		return err
	}
	info, err := s.Client.TokenStatus(ctx)
	if err != nil {
		return err
	}
	exchanged := false
	if info.Mode == "oauth" && (*code != "" || !info.Usable(time.Now())) {
		if err := exchangeCode(ctx, s, *code); err != nil {
			return err
		}
		exchanged = true
	}
	account, err := s.Client.Account(ctx)
	if errors.Is(err, amocrm.ErrTokenRevoked) && !exchanged && s.Config.AmoCRM.AuthCode != "" {
		// The stored pair is dead; the config may hold a new code.
		if err := exchangeCode(ctx, s, ""); err != nil {
			return err
		}
		account, err = s.Client.Account(ctx)
	}
	if err != nil {
		return fmt.Errorf("check the token: %w", err)
	}
	if info, err = s.Client.TokenStatus(ctx); err != nil {
		return err
	}
	return printTokenStatus(io.Stdout, account, info, time.Now())
}

// exchangeCode exchanges code, or amocrm.auth_code when code is empty.
func exchangeCode(ctx context.Context, s *site.Site, code string) error {
	if code == "" {
		code = s.Config.AmoCRM.AuthCode
	}
	if code == "" {
		return errors.New("no usable token stored and no auth code: set amocrm.auth_code or pass -code")
	}
	err := s.Client.Exchange(ctx, code)
	if errors.Is(err, amocrm.ErrRedirectURI) {
		return fmt.Errorf("amocrm.redirect_uri = %q is not the redirect URI of the integration: copy it from the integration's settings in amoCRM, character for character (%w)",
			s.Config.AmoCRM.RedirectURI, err)
	}
	return err
}

func printTokenStatus(w io.Writer, account crm.Account, info amocrm.TokenInfo, now time.Time) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "account:\t%s (id %d, %s)\n", account.Name, account.ID, account.Subdomain)
	fmt.Fprintf(tw, "token mode:\t%s\n", info.Mode)
	expiry := "unknown"
	if !info.Expiry.IsZero() {
		expiry = fmt.Sprintf("%s (in %s)", info.Expiry.UTC().Format("2006-01-02 15:04 MST"), info.Expiry.Sub(now).Round(time.Minute))
	}
	fmt.Fprintf(tw, "access token expires:\t%s\n", expiry)
	if info.Mode == "oauth" {
		fmt.Fprintf(tw, "refresh possible:\t%s\n", yesNo(info.CanRefresh))
	}
	return tw.Flush()
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
