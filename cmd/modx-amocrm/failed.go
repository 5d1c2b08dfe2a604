package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/state"
)

// parked is one parked record as `failed -json` prints it.
type parked struct {
	Key           string     `json:"key"`
	Attempts      int        `json:"attempts"`
	NextAttemptAt *time.Time `json:"next_attempt_at"` // null: waits for `retry`
	FirstFailedAt time.Time  `json:"first_failed_at"`
	LastFailedAt  time.Time  `json:"last_failed_at"`
	Reason        string     `json:"reason"`
}

// runFailed lists the parked records, newest failure first.
func runFailed(ctx context.Context, io IO, args []string) error {
	fs := newFlagSet("failed", io)
	configPath := fs.String("config", "", "config file (default $MODX_AMOCRM_CONFIG or /etc/modx-amocrm/config.toml)")
	asJSON := fs.Bool("json", false, "print a JSON array instead of a table")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	store, closeStore, err := openStore(ctx, *configPath)
	if err != nil {
		return err
	}
	defer closeStore()
	failures, err := store.Failures(ctx)
	if err != nil {
		return fmt.Errorf("read parked records: %w", err)
	}
	list := parkedList(failures)
	if *asJSON {
		enc := json.NewEncoder(io.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(list)
	}
	return printParked(io.Stdout, list)
}

// parkedList sorts the failures newest first (by last failure, then key).
func parkedList(failures []state.Failure) []parked {
	list := make([]parked, 0, len(failures))
	for _, f := range failures {
		list = append(list, parked{
			Key:           state.Key{Kind: f.Kind, SourceID: f.SourceID}.String(),
			Attempts:      f.Attempts,
			NextAttemptAt: f.NextAttemptAt,
			FirstFailedAt: f.FirstFailedAt,
			LastFailedAt:  f.LastFailedAt,
			Reason:        f.Reason,
		})
	}
	slices.SortStableFunc(list, func(a, b parked) int { return b.LastFailedAt.Compare(a.LastFailedAt) })
	return list
}

func printParked(w io.Writer, list []parked) error {
	if len(list) == 0 {
		_, err := fmt.Fprintln(w, "no parked records")
		return err
	}
	const stamp = "2006-01-02 15:04:05"
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RECORD\tATTEMPTS\tNEXT ATTEMPT\tFIRST FAILED\tLAST FAILED\tREASON")
	for _, p := range list {
		next := "waits for retry"
		if p.NextAttemptAt != nil {
			next = p.NextAttemptAt.Local().Format(stamp)
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\n", p.Key, p.Attempts, next,
			p.FirstFailedAt.Local().Format(stamp), p.LastFailedAt.Local().Format(stamp), p.Reason)
	}
	return tw.Flush()
}
