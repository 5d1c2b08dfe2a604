package main

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/modx-amocrm/modx-amocrm/internal/modx/modxtest"
)

// TestExampleConfigPassesCheck copies config.example.toml as the README
// says, fills in only what is the user's (the database, the account and
// its token), and runs `check`: nothing the example itself says may fail,
// its sample category rule taken in too (the sandbox's account has a new
// amoCRM account's pipeline and statuses).
func TestExampleConfigPassesCheck(t *testing.T) {
	e := newShopEnv(t, modxtest.Options{})
	example, err := os.ReadFile("../../config.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.NewReplacer(
		`dsn = "modx_amocrm@tcp(127.0.0.1:3306)/modx?charset=utf8mb4"`, `dsn = "`+e.dsn+`"`,
		`base_url = ""`, `base_url = "`+e.url+`"`,
		`long_lived_token = ""`, `long_lived_token = "`+shopToken+`"`,
	).Replace(string(example))
	rule := regexp.MustCompile(`(?m)^# (\[\[orders\.category\]\]\n)((?:# [a-z_]+ = .*\n)+)`)
	if !rule.MatchString(text) {
		t.Fatal("config.example.toml has no sample [[orders.category]] to take in")
	}
	lineStart := regexp.MustCompile(`(?m)^# `)
	uncommented := rule.ReplaceAllStringFunc(text, func(s string) string { return lineStart.ReplaceAllString(s, "") })
	for name, text := range map[string]string{"as is": text, "with the sample category rule": uncommented} {
		code, out, errOut := runMain(t, "check", "-config", writeText(t, text, 0o600))
		if code != exitOK {
			t.Errorf("check of the example config %s: exit %d, stderr %q:\n%s", name, code, errOut, out)
		}
	}
}
