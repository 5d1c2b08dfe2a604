package main

import (
	"debug/buildinfo"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strconv"
	"time"
)

// usageError is a mistake in the command line; it exits 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// run parses the command line, builds the package and prints its path.
func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("modx-amocrm-package", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: modx-amocrm-package -binary FILE -version VERSION [-src DIR] [-o DIR]")
		fs.PrintDefaults()
	}
	var o options
	fs.StringVar(&o.binary, "binary", "", "the built modx-amocrm binary (linux, any architecture Debian knows)")
	fs.StringVar(&o.version, "version", "", "version stamped into the binary, as `git describe --tags` prints it (v1.2.0, v1.2.0-3-gabc1234)")
	fs.StringVar(&o.srcDir, "src", ".", "source tree: systemd/, sql/grants.sql, README.md, config.example.toml, cmd/modx-amocrm/modx-amocrm.1")
	fs.StringVar(&o.outDir, "o", "dist", "directory the .deb is written to")
	fs.StringVar(&o.maintainer, "maintainer", defaultMaintainer, "Maintainer field: name <e-mail>")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("unexpected arguments %q", fs.Args())}
	}
	if o.binary == "" || o.version == "" {
		return usageError{"-binary and -version are required"}
	}
	mtime, err := sourceDateEpoch(os.Getenv("SOURCE_DATE_EPOCH"))
	if err != nil {
		return usageError{err.Error()}
	}
	o.mtime = mtime
	bi, err := buildinfo.ReadFile(o.binary)
	if err != nil {
		return fmt.Errorf("read build info of %s: %w", o.binary, err)
	}
	o.build = bi
	if o.goroot, err = goEnv("GOROOT"); err != nil {
		return err
	}
	o.moduleDirs = func(mods []*debug.Module) (map[string]string, error) { return downloadModules(o.srcDir, mods) }
	path, err := build(o)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, path)
	return nil
}

// sourceDateEpoch is the time every file in the package gets: the
// reproducible-builds.org convention, so one commit makes one package
// byte for byte. Unset, it is now.
func sourceDateEpoch(v string) (time.Time, error) {
	if v == "" {
		return time.Now().UTC().Truncate(time.Second), nil
	}
	sec, err := strconv.ParseInt(v, 10, 64)
	if err != nil || sec < 0 {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH=%q is not a Unix time in seconds", v)
	}
	return time.Unix(sec, 0).UTC(), nil
}
