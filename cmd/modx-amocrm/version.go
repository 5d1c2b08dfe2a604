package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
)

// version is stamped by release builds and .ci/package:
// -ldflags "-X main.version=$(git describe --tags)".
var version string

func runVersion(ctx context.Context, io IO, args []string) error {
	fs := newFlagSet("version", io)
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	build := runtime.Version() + ", " + runtime.GOOS + "/" + runtime.GOARCH
	if rev := currentRevision(); rev != "" {
		build = "revision " + rev + ", " + build
	}
	fmt.Fprintf(io.Stdout, "modx-amocrm %s (%s)\n", currentVersion(), build)
	return nil
}

// currentVersion is this binary's version, for the version command and the
// build_info metric.
func currentVersion() string {
	info, _ := debug.ReadBuildInfo()
	return binaryVersion(version, info)
}

// currentRevision is the commit this binary was built from, or "".
func currentRevision() string {
	info, _ := debug.ReadBuildInfo()
	return revision(info)
}

// binaryVersion is the version the binary reports: the stamped one, else
// the module version the go command recorded (`go install …@v1.2.0` records
// v1.2.0), else "dev".
func binaryVersion(stamped string, info *debug.BuildInfo) string {
	switch {
	case stamped != "":
		return stamped
	case info != nil && info.Main.Version != "" && info.Main.Version != "(devel)":
		return info.Main.Version
	default:
		return "dev"
	}
}

// revision is the commit the binary was built from, when the go command
// recorded it (a build inside a git checkout); "" when it did not.
func revision(info *debug.BuildInfo) string {
	if info == nil {
		return ""
	}
	var rev string
	modified := false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if rev != "" && modified {
		rev += "+dirty"
	}
	return rev
}
