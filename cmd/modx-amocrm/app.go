package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"

	"github.com/modx-amocrm/modx-amocrm/internal/config"
)

// Exit codes (DESIGN.md): 0 done; 1 fatal; 2 usage; 3 the pass completed
// but some records were parked.
const (
	exitOK     = 0
	exitFatal  = 1
	exitUsage  = 2
	exitParked = 3
)

// errParked is returned by a command whose work completed with parked records.
var errParked = errors.New("some records were parked")

// usageError is a mistake in the command line; it exits 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// command is one subcommand: its own flag set, testable through run.
type command struct {
	summary string
	run     func(ctx context.Context, io IO, args []string) error
}

// IO carries the command's output streams so tests can capture them.
type IO struct {
	Stdout io.Writer
	Stderr io.Writer
}

var commands = map[string]command{
	"run":             {"sync passes: daemon by default, -once drains the backlog", runRun},
	"check":           {"validate config, database, schema, token and ids", runCheck},
	"grants":          {"print the SQL of the least-privilege MySQL account the config needs", runGrants},
	"auth":            {"exchange the auth code or import the old extra's token", runAuth},
	"pipelines":       {"list pipelines, statuses, users and fields with ids", runPipelines},
	"import-settings": {"write a config from the old extra's amocrm_* settings", runImportSettings},
	"failed":          {"list parked records with reasons", runFailed},
	"retry":           {"put parked records back in the queue", runRetry},
	"status":          {"show the last pass, backlog, parked records, token, leader and last error", runStatus},
	"sandbox":         {"serve the amoCRM API v4 emulator", runSandbox},
	"version":         {"print version and build info", runVersion},
}

// Main runs the command line and returns the process exit code.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	io := IO{Stdout: stdout, Stderr: stderr}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		printUsage(stdout)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "modx-amocrm: unknown command %q\n\n", args[0])
		printUsage(stderr)
		return exitUsage
	}
	err := cmd.run(ctx, io, args[1:])
	var uerr usageError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.Is(err, errParked):
		fmt.Fprintf(stderr, "modx-amocrm %s: %v\n", args[0], err)
		return exitParked
	case errors.As(err, &uerr):
		fmt.Fprintf(stderr, "modx-amocrm %s: %v\n", args[0], err)
		return exitUsage
	default:
		fmt.Fprintf(stderr, "modx-amocrm %s: %v\n", args[0], err)
		return exitFatal
	}
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "Usage: modx-amocrm <command> [flags]\n\nCommands:")
	names := make([]string, 0, len(commands))
	for name := range commands {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		fmt.Fprintf(w, "  %-16s %s\n", name, commands[name].summary)
	}
	fmt.Fprintln(w, "\nRun 'modx-amocrm <command> -h' for a command's flags.")
}

// newFlagSet returns a flag set whose errors come back to the caller and
// whose usage goes to the command's stderr.
func newFlagSet(name string, io IO) *flag.FlagSet {
	fs := flag.NewFlagSet("modx-amocrm "+name, flag.ContinueOnError)
	fs.SetOutput(io.Stderr)
	return fs
}

// configFlag adds the -config flag of every command that reads the config.
func configFlag(fs *flag.FlagSet) *string {
	return fs.String("config", "", "config file (default $"+config.EnvConfig+" or "+config.DefaultPath+")")
}

// parseNoArgs parses the flags of a command that takes no arguments.
func parseNoArgs(fs *flag.FlagSet, args []string) error {
	rest, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q: this command takes only flags", rest[0])}
	}
	return nil
}

// printJSON writes v as indented JSON, for the -json flags.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// parseArgs parses args and returns the arguments that are not flags.
// Flags may come before, between and after the arguments, as people type
// them (`retry order:198 -config F`); "--" ends the flags. A flag error is
// a usage error said once, on the last line, with where the flags are listed.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	out := fs.Output()
	fs.SetOutput(io.Discard) // the flag package would print the error and the usage
	defer fs.SetOutput(out)
	var rest []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fs.SetOutput(out)
				fs.Usage()
				return nil, err
			}
			return nil, usageError{fmt.Sprintf("%v (`%s -h` lists the flags)", err, fs.Name())}
		}
		left := fs.Args()
		if len(left) == 0 {
			return rest, nil
		}
		// Parse stops at the first argument, or after a "--" it consumed.
		if n := len(args) - len(left); n > 0 && args[n-1] == "--" {
			return append(rest, left...), nil
		}
		rest, args = append(rest, left[0]), left[1:]
	}
}
