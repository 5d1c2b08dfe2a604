package amocrm_test

import (
	"context"
	"testing"

	"github.com/modx-amocrm/modx-amocrm/internal/amocrm"
)

func TestLongLivedTokenStatus(t *testing.T) {
	// header.{"exp":1893456000}.signature
	c, err := amocrm.New(amocrm.Config{BaseURL: "http://127.0.0.1:1",
		LongLivedToken: "eyJhbGciOiJSUzI1NiJ9.eyJleHAiOjE4OTM0NTYwMDB9.c2ln"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	info, err := c.TokenStatus(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode != "long-lived" || info.CanRefresh || info.Expiry.Unix() != 1893456000 {
		t.Errorf("TokenStatus = %+v, want long-lived, no refresh, expiry 1893456000", info)
	}
}

func TestNewRejectsIncompleteConfig(t *testing.T) {
	tests := []struct {
		name  string
		cfg   amocrm.Config
		store amocrm.TokenStore
	}{
		{"no base url", amocrm.Config{LongLivedToken: "x"}, nil},
		{"relative base url", amocrm.Config{BaseURL: "example.amocrm.ru", LongLivedToken: "x"}, nil},
		{"no secret", amocrm.Config{BaseURL: "http://x", ClientID: "a", RedirectURI: "r"}, memStore{&tokenBox{}}},
		{"no store", amocrm.Config{BaseURL: "http://x", ClientID: "a", ClientSecret: "s", RedirectURI: "r"}, nil},
	}
	for _, tt := range tests {
		if _, err := amocrm.New(tt.cfg, tt.store); err == nil {
			t.Errorf("%s: got nil error", tt.name)
		}
	}
}
