package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/site"
	"github.com/modx-amocrm/modx-amocrm/internal/state"
)

// parked is one parked record as `failed -json` prints it.
type parked struct {
	Key           string     `json:"key"`
	OrderNum      string     `json:"order_num,omitempty"` // the number shop staff know an order by
	Attempts      int        `json:"attempts"`
	NextAttemptAt *time.Time `json:"next_attempt_at"` // null: waits for `retry`
	FirstFailedAt time.Time  `json:"first_failed_at"`
	LastFailedAt  time.Time  `json:"last_failed_at"`
	Reason        string     `json:"reason"`

	record state.Key
}

// orderKind is the kind of parked orders, "order:7".
const orderKind = "order"

// stamp is how commands print a time: with its zone, so that a time read on
// another machine or by shop staff means one moment.
const stamp = "2006-01-02 15:04:05 MST"

// runFailed lists the parked records, newest failure first.
func runFailed(ctx context.Context, io IO, args []string) error {
	fs := newFlagSet("failed", io)
	configPath := configFlag(fs)
	asJSON := fs.Bool("json", false, "print a JSON array instead of a table")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	s, err := openState(ctx, *configPath)
	if err != nil {
		return err
	}
	defer s.Close()
	failures, err := s.Store.Failures(ctx)
	if err != nil {
		return fmt.Errorf("read parked records: %w", err)
	}
	list := parkedList(failures)
	// Order numbers and the shop's zone come from MODX; without it the
	// list is still worth printing.
	loc := time.Local
	if err := addOrderNums(ctx, s, list); err != nil {
		fmt.Fprintf(io.Stderr, "modx-amocrm failed: order numbers not shown: %v\n", err)
	} else {
		loc = s.Shop.Location()
	}
	if *asJSON {
		return printJSON(io.Stdout, list)
	}
	return printParked(io.Stdout, list, loc)
}

// parkedList sorts the failures newest first (by last failure, then key).
func parkedList(failures []state.Failure) []parked {
	list := make([]parked, 0, len(failures))
	for _, f := range failures {
		k := state.Key{Kind: f.Kind, SourceID: f.SourceID}
		list = append(list, parked{
			Key:           k.String(),
			record:        k,
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

// addOrderNums fills in the numbers of the parked orders from MODX.
func addOrderNums(ctx context.Context, s *site.Site, list []parked) error {
	if err := s.OpenShop(ctx); err != nil {
		return err
	}
	var ids []int64
	for _, p := range list {
		if p.record.Kind == orderKind {
			ids = append(ids, p.record.SourceID)
		}
	}
	nums, err := s.Shop.OrderNums(ctx, ids)
	if err != nil {
		return err
	}
	for i, p := range list {
		if p.record.Kind == orderKind {
			list[i].OrderNum = nums[p.record.SourceID]
		}
	}
	return nil
}

// printParked prints the list as a table, times in loc.
func printParked(w io.Writer, list []parked, loc *time.Location) error {
	if len(list) == 0 {
		_, err := fmt.Fprintln(w, "no parked records")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RECORD\tORDER\tATTEMPTS\tNEXT ATTEMPT\tPARKED SINCE\tLAST ATTEMPT\tREASON")
	for _, p := range list {
		next := "waits for retry"
		if p.NextAttemptAt != nil {
			next = p.NextAttemptAt.In(loc).Format(stamp)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\n", p.Key, orDash(p.OrderNum), p.Attempts, next,
			p.FirstFailedAt.In(loc).Format(stamp), p.LastFailedAt.In(loc).Format(stamp), p.Reason)
	}
	return tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
