package modx

import (
	"strings"
	"testing"
	"time"
)

func TestParseOldToken(t *testing.T) {
	const secret = "def502secretrefresh"
	tests := []struct {
		name, raw string
		want      OldToken
		err       string
	}{
		{name: "number", raw: `{"token_type":"Bearer","access_token":"eyJ.a.b","refresh_token":"` + secret + `","expires_in":1767225600,"refresh_token_lifetime":1775001600}`,
			want: OldToken{TokenType: "Bearer", AccessToken: "eyJ.a.b", RefreshToken: secret, Expiry: time.Unix(1767225600, 0)}},
		{name: "string", raw: `{"access_token":"eyJ.a.b","refresh_token":"` + secret + `","expires_in":"1767225600"}`,
			want: OldToken{TokenType: "Bearer", AccessToken: "eyJ.a.b", RefreshToken: secret, Expiry: time.Unix(1767225600, 0)}},
		{name: "broken", raw: `{"access_token":"` + secret, err: "invalid JSON"},
		{name: "no refresh", raw: `{"access_token":"x","expires_in":1}`, err: "refresh_token is missing"},
		{name: "no expiry", raw: `{"access_token":"x","refresh_token":"` + secret + `"}`, err: "not a Unix time"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseOldToken(tt.raw)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				if strings.Contains(err.Error(), secret) {
					t.Fatalf("error leaks the token: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}
