package main

import (
	"bytes"
	"context"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

func TestBinaryVersion(t *testing.T) {
	built := func(v string) *debug.BuildInfo { return &debug.BuildInfo{Main: debug.Module{Version: v}} }
	tests := []struct {
		name    string
		stamped string
		info    *debug.BuildInfo
		want    string
	}{
		{"stamped wins", "v1.2.0-3-gabc1234", built("v1.1.0"), "v1.2.0-3-gabc1234"},
		{"go install @version", "", built("v1.2.0"), "v1.2.0"},
		{"built in a checkout", "", built("(devel)"), "dev"},
		{"no module version", "", built(""), "dev"},
		{"no build info", "", nil, "dev"},
	}
	for _, tt := range tests {
		if got := binaryVersion(tt.stamped, tt.info); got != tt.want {
			t.Errorf("%s: binaryVersion(%q) = %q, want %q", tt.name, tt.stamped, got, tt.want)
		}
	}
}

func TestRevision(t *testing.T) {
	settings := func(kv ...string) *debug.BuildInfo {
		bi := &debug.BuildInfo{}
		for i := 0; i < len(kv); i += 2 {
			bi.Settings = append(bi.Settings, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
		}
		return bi
	}
	tests := []struct {
		info *debug.BuildInfo
		want string
	}{
		{settings("vcs.revision", "abc", "vcs.modified", "false"), "abc"},
		{settings("vcs.revision", "abc", "vcs.modified", "true"), "abc+dirty"},
		{settings("vcs.modified", "true"), ""},
		{nil, ""},
	}
	for _, tt := range tests {
		if got := revision(tt.info); got != tt.want {
			t.Errorf("revision(%v) = %q, want %q", tt.info, got, tt.want)
		}
	}
}

func TestVersionCommand(t *testing.T) {
	defer func(v string) { version = v }(version)
	version = "v9.8.7"
	var stdout, stderr bytes.Buffer
	if code := Main(context.Background(), []string{"version"}, &stdout, &stderr); code != exitOK {
		t.Fatalf("version exited %d: %s", code, stderr.String())
	}
	got := stdout.String()
	if want := "modx-amocrm v9.8.7 ("; !strings.HasPrefix(got, want) {
		t.Errorf("version printed %q, want it to start with %q", got, want)
	}
	if want := runtime.Version() + ", " + runtime.GOOS + "/" + runtime.GOARCH + ")\n"; !strings.HasSuffix(got, want) {
		t.Errorf("version printed %q, want it to end with %q", got, want)
	}
}
