package main

import (
	"flag"
	"io"
	"slices"
	"strings"
	"testing"
)

func TestParseArgsInterleaved(t *testing.T) {
	tests := []struct {
		args     []string
		wantRest []string
		wantAll  bool
		wantCfg  string
	}{
		{[]string{"-config", "c.toml", "order:1"}, []string{"order:1"}, false, "c.toml"},
		{[]string{"order:1", "-config", "c.toml"}, []string{"order:1"}, false, "c.toml"},
		{[]string{"order:1", "-all", "form:2", "--config=c.toml"}, []string{"order:1", "form:2"}, true, "c.toml"},
		{[]string{"order:1", "--", "-all"}, []string{"order:1", "-all"}, false, ""},
		{nil, nil, false, ""},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			fs := flag.NewFlagSet("test", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			cfg := fs.String("config", "", "")
			all := fs.Bool("all", false, "")
			rest, err := parseArgs(fs, tc.args)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(rest, tc.wantRest) || *all != tc.wantAll || *cfg != tc.wantCfg {
				t.Errorf("got %q, -all %v, -config %q; want %q, %v, %q", rest, *all, *cfg, tc.wantRest, tc.wantAll, tc.wantCfg)
			}
		})
	}
}

// TestFlagsAfterArguments: every command takes its flags after an argument
// too, and what is still wrong is said plainly with exit 2.
func TestFlagsAfterArguments(t *testing.T) {
	missing := t.TempDir() + "/none.toml"
	tests := []struct {
		args []string
		want string // stderr
		code int
	}{
		// The flags after the record are read: the config named is the one missing.
		{[]string{"retry", "order:198", "-config", missing}, "modx-amocrm retry: no config file " + missing, exitFatal},
		{[]string{"retry", "order:198", "-config"}, "modx-amocrm retry: flag needs an argument: -config", exitUsage},
		{[]string{"retry", "order:198", "-bogus"}, "modx-amocrm retry: flag provided but not defined: -bogus", exitUsage},
		{[]string{"retry", "198", "-config", missing}, `modx-amocrm retry: "198": want KIND:ID such as order:123`, exitUsage},
		{[]string{"status", "now", "-config", missing}, `modx-amocrm status: unexpected argument "now": this command takes only flags`, exitUsage},
	}
	for _, name := range []string{"run", "check", "auth", "pipelines", "failed", "status"} {
		tests = append(tests, struct {
			args []string
			want string
			code int
		}{[]string{name, "-config", missing, "-h"}, "Usage of modx-amocrm " + name, exitOK})
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, _, errOut := runMain(t, tc.args...)
			if code != tc.code || !strings.HasPrefix(errOut, tc.want) {
				t.Errorf("exit %d, stderr %q; want %d, %q...", code, errOut, tc.code, tc.want)
			}
		})
	}
}
