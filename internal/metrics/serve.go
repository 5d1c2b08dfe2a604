package metrics

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// shutdownTimeout bounds how long Serve waits for scrapes in flight.
const shutdownTimeout = 5 * time.Second

// Serve listens on addr (host:port, e.g. "127.0.0.1:9464") and serves
// /metrics and /healthz until ctx is done; see ServeListener.
func (m *Metrics) Serve(ctx context.Context, addr string, health func() error) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen for metrics on %s: %w", addr, err)
	}
	return m.ServeListener(ctx, ln, health)
}

// ServeListener serves /metrics and /healthz on ln until ctx is done, then
// shuts down gracefully and returns nil. /healthz answers 200 "ok" when
// health (may be nil) returns nil, else 503 with its error, so the error
// must not carry secrets. m must not be nil.
func (m *Metrics) ServeListener(ctx context.Context, ln net.Listener, health func() error) error {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if health != nil {
			if err := health(); err != nil {
				w.WriteHeader(http.StatusServiceUnavailable)
				fmt.Fprintln(w, err)
				return
			}
		}
		fmt.Fprintln(w, "ok")
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}

	stopped := make(chan error, 1)
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		defer cancel()
		stopped <- srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve metrics on %s: %w", ln.Addr(), err)
	}
	if err := <-stopped; err != nil {
		return fmt.Errorf("shut down metrics server: %w", err)
	}
	return nil
}
