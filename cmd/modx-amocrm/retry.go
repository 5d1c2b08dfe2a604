package main

import (
	"context"
	"fmt"

	"github.com/modx-amocrm/modx-amocrm/internal/state"
)

// runRetry puts parked records back in the queue: the next pass takes them
// with a fresh count of attempts.
func runRetry(ctx context.Context, io IO, args []string) error {
	fs := newFlagSet("retry", io)
	configPath := fs.String("config", "", "config file (default $MODX_AMOCRM_CONFIG or /etc/modx-amocrm/config.toml)")
	all := fs.Bool("all", false, "re-queue every parked record")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	keys := make([]state.Key, 0, fs.NArg())
	for _, arg := range fs.Args() {
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
	store, closeStore, err := openStore(ctx, *configPath)
	if err != nil {
		return err
	}
	defer closeStore()
	n, err := store.Retry(ctx, *all, keys)
	if err != nil {
		return fmt.Errorf("re-queue parked records: %w", err)
	}
	fmt.Fprintf(io.Stdout, "re-queued %d parked record(s); the next pass sends them\n", n)
	if !*all && n < len(keys) {
		fmt.Fprintf(io.Stdout, "%d of the named records were not parked\n", len(keys)-n)
	}
	return nil
}
