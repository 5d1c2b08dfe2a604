package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/amocrm"
	"github.com/modx-amocrm/modx-amocrm/internal/config"
	"github.com/modx-amocrm/modx-amocrm/internal/leader"
	"github.com/modx-amocrm/modx-amocrm/internal/notify"
	"github.com/modx-amocrm/modx-amocrm/internal/plan"
	"github.com/modx-amocrm/modx-amocrm/internal/site"
	"github.com/modx-amocrm/modx-amocrm/internal/state"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer"
)

// idleBeat is how often, at most, the idle loop tells the watchdog it is
// alive; a short WatchdogSec makes it beat more often.
const idleBeat = 5 * time.Second

// daemon runs passes on sync.cron while it holds the site's instance lock.
//
// A tick that comes while a pass runs is skipped (passes never overlap, as
// with cron.SkipIfStillRunning): the next pass is scheduled from the end of
// the last one. users.cron and orders.compare_cron are applied by the
// syncer itself, which knows when the last full comparison ran. Losing the
// lock exits 1: a standby may already be writing, and systemd's restart
// brings this instance back as a standby.
type daemon struct {
	site   *site.Site
	engine *syncer.Engine

	mu      sync.Mutex
	lastErr error // of the last pass, for /healthz
}

func (d *daemon) run(ctx context.Context) error {
	cfg, log, m := d.site.Config, d.site.Logger(), d.site.Metrics()
	sched, err := config.ParseCron(cfg.Sync.Cron)
	if err != nil {
		return fmt.Errorf("sync.cron: %w", err)
	}
	locker, err := d.site.Locker()
	if err != nil {
		return err
	}
	// Served from the start: a standby is watched too (leader 0, /healthz ok).
	serveCtx, stopServe := context.WithCancel(context.Background())
	defer stopServe()
	served, err := d.serveMetrics(serveCtx)
	if err != nil {
		return err
	}
	d.tokenExpiry(ctx)
	hb := notify.NewHeartbeat()
	beatEvery := idleBeat
	if interval, ok := notify.WatchdogInterval(); ok {
		go hb.Run(serveCtx, interval)
		beatEvery = min(beatEvery, interval/3)
	}
	// STOPPING=1 is sent as soon as the stop begins; the deferred wait keeps
	// the process from exiting before it is out.
	stopSent := make(chan struct{})
	stopped := context.AfterFunc(ctx, func() {
		defer close(stopSent)
		log.Info("stopping: letting the batch in flight finish", "bound", stopGrace)
		if err := notify.Stopping(); err != nil {
			log.Warn("tell systemd we are stopping", "err", err)
		}
	})
	defer func() {
		if !stopped() {
			<-stopSent
		}
	}()
	// Ready once serving, leader or not: "If a daemon service does not
	// signal start-up completion within the configured time, the service
	// will be considered failed and will be shut down again" (systemd.service(5),
	// TimeoutStartSec=, 90 s by default), which would kill a standby.
	if err := notify.Ready(); err != nil {
		log.Warn("tell systemd we are ready", "err", err)
	}
	d.status("standing by: waiting for the instance lock")

	lease, err := d.acquire(ctx, locker, hb, beatEvery, served)
	if err != nil {
		if ctx.Err() != nil {
			return nil // stopped while standing by
		}
		return err
	}
	defer func() {
		rctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := lease.Release(rctx); err != nil {
			log.Warn("release the instance lock", "err", err)
		}
		m.SetLeader(false)
	}()
	m.SetLeader(true)
	leader := state.LeaderRecord{Host: site.Hostname(), PID: os.Getpid(), ConnectionID: lease.ConnectionID(), Since: time.Now()}
	if err := d.site.Store.SetLeader(ctx, leader); err != nil {
		log.Warn("record the leader for status", "err", err)
	}
	log.Info("daemon started", "cron", cfg.Sync.Cron, "lock_connection", lease.ConnectionID())
	d.status("leading: the first pass runs")

	beat := time.NewTicker(beatEvery)
	defer beat.Stop()
	next := time.Now() // the first pass starts at once
	for run := 1; ; {
		hb.Beat()
		timer := time.NewTimer(time.Until(next))
		select {
		case <-ctx.Done():
			timer.Stop()
			<-stopSent // "stopping" is logged first
			log.Info("daemon stopped")
			return nil
		case <-lease.Lost():
			timer.Stop()
			return lease.Err()
		case err := <-served:
			timer.Stop()
			return err
		case <-beat.C:
			timer.Stop()
			continue
		case <-timer.C:
		}
		if err := d.pass(ctx, lease, hb, run); err != nil {
			return err
		}
		run++
		next = sched.Next(time.Now())
	}
}

// acquire takes the site's instance lock, standing by for as long as
// another daemon holds it; meanwhile the watchdog is fed and the metrics
// server watched.
func (d *daemon) acquire(ctx context.Context, locker *leader.Locker, hb *notify.Heartbeat, beatEvery time.Duration,
	served <-chan error) (*leader.Lease, error) {
	type result struct {
		lease *leader.Lease
		err   error
	}
	actx, cancel := context.WithCancel(ctx)
	defer cancel()
	got := make(chan result, 1)
	go func() {
		lease, err := locker.Acquire(actx)
		got <- result{lease, err}
	}()
	beat := time.NewTicker(beatEvery)
	defer beat.Stop()
	for {
		hb.Beat()
		select {
		case r := <-got:
			if r.err != nil {
				return nil, fmt.Errorf("acquire the instance lock: %w", r.err)
			}
			return r.lease, nil
		case err := <-served:
			cancel()
			if r := <-got; r.lease != nil {
				rctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				err = errors.Join(err, r.lease.Release(rctx))
			}
			return nil, err
		case <-beat.C:
		}
	}
}

// status shows s as the unit's status line (systemctl status).
func (d *daemon) status(s string) {
	if err := notify.Status(s); err != nil {
		d.site.Logger().Warn("tell systemd the status", "err", err)
	}
}

// tokenExpiry sets the token expiry gauge from the stored token.
func (d *daemon) tokenExpiry(ctx context.Context) {
	if info, err := d.site.Client.TokenStatus(ctx); err == nil {
		d.site.Metrics().SetTokenExpiry(info.Expiry)
	}
}

// pass runs one scheduled pass. Only what must stop the daemon is returned:
// a lost lock or an account amoCRM refuses. Other failures are logged and
// shown by /healthz; the next tick tries again.
func (d *daemon) pass(ctx context.Context, lease *leader.Lease, hb *notify.Heartbeat, run int) error {
	gctx, cancel := graceful(ctx)
	defer cancel()
	passCtx, cancelLease := lease.Context(gctx)
	defer cancelLease()
	opts := syncer.PassOptions{Stop: ctx.Done(), Progress: func(int, int) { hb.Beat() }}
	log := d.site.Logger().With("run", run)

	res, err := runPass(passCtx, d.site, d.engine, false, opts, log)
	if res != nil {
		// An idle pass is quiet: INFO only when the pass did something.
		level := slog.LevelDebug
		if didSomething(res) {
			level = slog.LevelInfo
		}
		log.Log(ctx, level, "pass done", "summary", res.Summary())
		d.status("last pass " + time.Now().Format(time.TimeOnly) + ": " + res.Summary())
	}
	d.tokenExpiry(ctx)
	switch {
	case lease.Err() != nil:
		return lease.Err()
	case errors.Is(err, syncer.ErrStopped):
		return nil // the loop sees ctx and stops
	case err != nil && amocrm.IsFatal(err):
		return passError(err)
	case err != nil:
		log.Error("pass failed", "err", err)
	}
	d.mu.Lock()
	d.lastErr = err
	d.mu.Unlock()
	return nil
}

// didSomething reports whether a pass created, updated, skipped or parked
// anything: a pass that found everything unchanged did nothing to tell.
func didSomething(res *syncer.Result) bool {
	for _, byAction := range res.Counts {
		for action, n := range byAction {
			if action != plan.Unchanged && n > 0 {
				return true
			}
		}
	}
	return res.Parked > 0
}

// healthy is /healthz: fine while idle or starting and after a good pass.
func (d *daemon) healthy() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.lastErr != nil {
		return errors.New("last pass failed")
	}
	return nil
}

// serveMetrics starts /metrics and /healthz on metrics.listen, when set. The
// returned channel carries the server's failure.
func (d *daemon) serveMetrics(ctx context.Context) (<-chan error, error) {
	served := make(chan error, 1)
	addr := d.site.Config.Metrics.Listen
	if addr == "" {
		return served, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics.listen: %w", err)
	}
	go func() {
		if err := d.site.Metrics().ServeListener(ctx, ln, d.healthy); err != nil {
			served <- err
		}
	}()
	return served, nil
}
