// Command modx-amocrm-demo runs the whole job on an embedded default: a
// generated MODX + miniShop2 shop in an in-process MySQL-compatible server,
// the amoCRM sandbox, a dry run with its report, a sync and a second sync
// that writes nothing. It needs no MySQL, no amoCRM account and no network.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	// Packages log through the default logger (state migrations at info);
	// the demo's own output says what happens, so only warnings get through.
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := Run(ctx, os.Args[1:], os.Stdout)
	stop()
	var uerr usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
	case errors.As(err, &uerr):
		fmt.Fprintln(os.Stderr, "modx-amocrm-demo:", err)
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "modx-amocrm-demo:", err)
		os.Exit(1)
	}
}
