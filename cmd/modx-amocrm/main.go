// Command modx-amocrm keeps amoCRM in step with a MODX shop: miniShop2 on
// MODX 2 or MiniShop3 on MODX 3. See README.md.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	os.Exit(Main(signalContext(), os.Args[1:], os.Stdout, os.Stderr))
}

// signalContext is cancelled by the first SIGINT or SIGTERM, which commands
// take as a graceful stop; a second one exits at once.
func signalContext() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sigs
		cancel()
		<-sigs
		fmt.Fprintln(os.Stderr, "modx-amocrm: second signal, exiting at once")
		os.Exit(exitFatal)
	}()
	return ctx
}
