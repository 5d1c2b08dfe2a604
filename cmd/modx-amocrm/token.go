package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/modx-amocrm/modx-amocrm/internal/amocrm"
	"github.com/modx-amocrm/modx-amocrm/internal/site"
)

// requireToken stops a run before it starts when OAuth is configured and no
// token is stored for the account: amoCRM never sees such a run.
func requireToken(ctx context.Context, s *site.Site) error {
	info, err := s.Client.TokenStatus(ctx)
	if err != nil {
		return err
	}
	if info.Stored {
		return nil
	}
	return noTokenError(ctx, s)
}

// noTokenError says why no token is stored for the account. Tokens are kept
// per account host, so after amocrm.base_url (or account and domain) changed
// the old account's token is still there but not used.
func noTokenError(ctx context.Context, s *site.Site) error {
	name := site.TokenName(s.Config.AmoBaseURL())
	stored, err := s.Store.TokenNames(ctx)
	if err != nil {
		return err
	}
	if len(stored) == 0 {
		return fmt.Errorf("%w (none for %s yet)", amocrm.ErrNoToken, name)
	}
	return fmt.Errorf("no amoCRM token stored for %s, only for %s: amocrm.base_url (or amocrm.account and domain) "+
		"changed since `modx-amocrm auth`; set it back, or run `modx-amocrm auth` with an auth code of the new account",
		name, strings.Join(stored, ", "))
}
