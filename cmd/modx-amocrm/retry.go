package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/modx-amocrm/modx-amocrm/internal/state"
)

// runRetry puts parked records back in the queue: the next pass takes them
// with a fresh count of attempts.
func runRetry(ctx context.Context, io IO, args []string) error {
	fs := newFlagSet("retry", io)
	configPath := configFlag(fs)
	all := fs.Bool("all", false, "re-queue every parked record")
	args, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	keys := make([]state.Key, 0, len(args))
	for _, arg := range args {
		k, err := state.ParseKey(arg)
		if err != nil {
			return usageError{fmt.Sprintf("%q: want KIND:ID such as order:123, form:45 or user:6", arg)}
		}
		keys = append(keys, k)
	}
	switch {
	case *all && len(keys) > 0:
		return usageError{"give -all or records, not both"}
	case !*all && len(keys) == 0:
		return usageError{"name the records to retry (order:123 ...) or give -all"}
	}
	s, err := openState(ctx, *configPath)
	if err != nil {
		return err
	}
	defer s.Close()
	missing, err := s.Store.NotParked(ctx, keys)
	if err != nil {
		return err
	}
	n, err := s.Store.Retry(ctx, *all, keys)
	if err != nil {
		return fmt.Errorf("re-queue parked records: %w", err)
	}
	switch {
	case n > 0:
		fmt.Fprintf(io.Stdout, "re-queued %s; the next pass sends %s\n", records(n), plural(n, "it", "them"))
	case *all:
		fmt.Fprintln(io.Stdout, "no parked records")
	}
	if len(missing) > 0 {
		names := make([]string, len(missing))
		for i, k := range missing {
			names[i] = k.String()
		}
		return fmt.Errorf("not parked, so not re-queued: %s (`modx-amocrm failed` lists the parked records)", strings.Join(names, ", "))
	}
	return nil
}
