package config_test

import (
	"os"
	"strings"
	"testing"

	"github.com/modx-amocrm/modx-amocrm/internal/config"
)

// TestREADMEListsEveryLegacySetting keeps README's table of the old extra's
// settings complete.
func TestREADMEListsEveryLegacySetting(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range config.LegacySettings() {
		if !strings.Contains(string(readme), "`"+s.Name+"`") {
			t.Errorf("README does not mention %s", s.Name)
		}
		if s.Key != "" && !strings.Contains(string(readme), "`"+s.Key+"`") {
			t.Errorf("README does not mention %s's key %s", s.Name, s.Key)
		}
	}
}
