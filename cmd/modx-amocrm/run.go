package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/amocrm"
	"github.com/modx-amocrm/modx-amocrm/internal/config"
	"github.com/modx-amocrm/modx-amocrm/internal/logging"
	"github.com/modx-amocrm/modx-amocrm/internal/metrics"
	"github.com/modx-amocrm/modx-amocrm/internal/report"
	"github.com/modx-amocrm/modx-amocrm/internal/site"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer"
)

// stopGrace bounds a graceful stop: the batch in flight may finish within it,
// then the pass context is cancelled. Creates cut off that way become
// "outcome unknown" and are reconciled on the next start.
const stopGrace = 30 * time.Second

// progressEvery spaces the progress log lines of a backfill off a terminal.
const progressEvery = 10 * time.Second

// runRun syncs: a daemon by default, one pass with -once or -dry-run.
// Cancelling ctx (the first SIGINT/SIGTERM) is a graceful stop.
func runRun(ctx context.Context, io IO, args []string) error {
	fs := newFlagSet("run", io)
	configPath := configFlag(fs)
	once := fs.Bool("once", false, "drain the backlog in one pass and exit")
	dryRun := fs.Bool("dry-run", false, "report what a pass would do and write nothing (implies -once)")
	reportPath := fs.String("report", "", "also write the report to `F.html` or F.json")
	only := fs.String("only", "", "comma-separated sources to run: orders,forms,users,shop_status (default every enabled one)")
	since := fs.String("since", "", "where an empty state starts for this run: all, now or YYYY-MM-DD (default sync.start)")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if *reportPath != "" && !*once && !*dryRun {
		return usageError{"-report needs -once or -dry-run: a daemon's passes have no single report"}
	}
	opts := site.EngineOptions{DryRun: *dryRun, Since: *since, Only: splitList(*only)}
	if *since != "" {
		if err := config.CheckStart(*since); err != nil {
			return usageError{"-since: " + err.Error()}
		}
	}
	if err := site.CheckOnly(opts.Only); err != nil {
		return usageError{err.Error()}
	}

	cfg, err := loadConfig(*configPath)
	if err != nil {
		return err
	}
	if err := onlyEnabled(cfg, opts.Only); err != nil {
		return err
	}
	log, err := logging.New(io.Stderr, cfg.Log.Level, cfg.Log.Format)
	if err != nil {
		return fmt.Errorf("log: %w", err)
	}
	warnExposedSecrets(cfg, log)
	s, err := site.Open(ctx, cfg, site.Options{Logger: log, Metrics: metrics.New(currentVersion(), currentRevision())})
	if err != nil {
		return err
	}
	defer s.Close()
	if err := requireToken(ctx, s); err != nil {
		return err
	}

	if *once || *dryRun {
		return runOnce(ctx, io, s, opts, *reportPath)
	}
	eng, err := s.Engine(opts)
	if err != nil {
		return err
	}
	d := &daemon{site: s, engine: eng}
	return d.run(ctx)
}

// onlyEnabled refuses an -only source the config turns off: the run would
// skip it and do nothing, saying nothing.
func onlyEnabled(cfg *config.Config, only []string) error {
	for _, src := range only {
		if !site.SourceEnabled(cfg, src) {
			return usageError{fmt.Sprintf("-only %s: %s.enabled is false in %s, so there is nothing to run; set it to true first",
				src, src, cfg.Path())}
		}
	}
	return nil
}

// runOnce is the backfill: one pass over every selected source, with a
// progress bar on a terminal, then the summary line and the exit code.
func runOnce(ctx context.Context, io IO, s *site.Site, eopts site.EngineOptions, reportPath string) error {
	passCtx, cancel := graceful(ctx)
	defer cancel()
	eopts.FullUserScan, eopts.CompareStatuses, eopts.ShopStatusNow = true, true, true
	eng, err := s.Engine(eopts)
	if err != nil {
		return err
	}
	opts := syncer.PassOptions{Stop: ctx.Done()}
	rep, closeReport, err := openReport(io, eopts.DryRun, reportPath)
	if err != nil {
		return err
	}
	opts.Report = rep
	progress, done := newProgress(io.Stderr, isTerminal(io.Stderr), s.Logger())
	opts.Progress = progress
	started := time.Now()
	res, err := runPass(passCtx, s, eng, eopts.DryRun, opts, s.Logger())
	done()
	if err == nil && res != nil && res.Requests == 0 {
		// Nothing to send, so amoCRM was not asked: ask once, so a token it
		// refuses is said now, not at the first order.
		if _, aerr := s.Client.Account(passCtx); aerr != nil {
			err = fmt.Errorf("nothing to send; checking the token: %w", aerr)
		}
	}
	sum := report.Summary{DryRun: eopts.DryRun, Sources: site.PassSources(s.Config, eopts.Only), Started: started, Finished: time.Now()}
	if res != nil {
		sum = res.ReportSummary(sum.Sources)
		fmt.Fprintln(io.Stderr, res.Summary())
	}
	// A failed pass's report says so: its entries are what was planned before.
	if err != nil {
		sum.Error = err.Error()
		if errors.Is(err, syncer.ErrStopped) {
			sum.Error = "interrupted: the report holds what was planned before"
		}
	}
	if s.Shop != nil {
		sum.Location = s.Shop.Location()
	}
	if cerr := closeReport(sum); cerr != nil && err == nil {
		err = cerr
	}
	switch {
	case errors.Is(err, syncer.ErrStopped):
		return errors.New("interrupted: what was done is committed; run again to continue")
	case err != nil:
		return passError(err)
	case !res.DryRun && res.ParkedTotal > 0:
		return fmt.Errorf("%s: %w", parkedMessage(res), errParked)
	}
	return nil
}

// passError says who stopped a pass: amoCRM refusing the account, or a
// local cause (no token stored, the database) that amoCRM never saw.
func passError(err error) error {
	if refusedByAmoCRM(err) {
		return fmt.Errorf("amoCRM refused the run: %w", err)
	}
	return err
}

// refusedByAmoCRM reports the fatal errors that are amoCRM's answer, not
// a local cause such as a missing token.
func refusedByAmoCRM(err error) bool {
	return amocrm.IsFatal(err) && !errors.Is(err, amocrm.ErrNoToken)
}

// parkedMessage tells the records this pass parked from those parked by
// earlier passes, which still wait.
func parkedMessage(res *syncer.Result) string {
	earlier := max(res.ParkedTotal-res.Parked, 0)
	switch {
	case res.Parked == 0:
		return fmt.Sprintf("%s parked by earlier passes still %s: see `modx-amocrm failed`", records(earlier), plural(earlier, "waits", "wait"))
	case earlier == 0:
		return fmt.Sprintf("%s %s parked: see `modx-amocrm failed`", records(res.Parked), plural(res.Parked, "was", "were"))
	}
	return fmt.Sprintf("%s %s parked, %d more by earlier passes: see `modx-amocrm failed`",
		records(res.Parked), plural(res.Parked, "was", "were"), earlier)
}

// records is "1 record" or "n records".
func records(n int) string { return fmt.Sprintf("%d %s", n, plural(n, "record", "records")) }

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// graceful returns the context a pass runs in: it outlives ctx by stopGrace,
// so the batch in flight when ctx ends can finish and commit.
func graceful(ctx context.Context) (context.Context, context.CancelFunc) {
	passCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	go func() {
		select {
		case <-ctx.Done():
			select {
			case <-time.After(stopGrace):
				cancel()
			case <-passCtx.Done():
			}
		case <-passCtx.Done():
		}
	}()
	return passCtx, cancel
}

// openReport returns the report writers of a pass: the text report on stdout
// in a dry run, the -report file when asked, both through report.Multi. The
// returned close writes the summary; rep is nil when there is no report.
func openReport(io IO, dryRun bool, path string) (rep report.Writer, closeFn func(report.Summary) error, err error) {
	var writers []report.Writer
	var file interface{ Close() error }
	if dryRun {
		// The summary and what needs attention first; the whole report is
		// in a file (-report, else a new one), on a terminal and piped.
		opts := report.TextOptions{Color: isTerminal(io.Stdout), MaxEntries: pipedEntries}
		if opts.Color {
			opts.MaxEntries = terminalEntries
		}
		if path == "" {
			if path, err = dryRunReportPath(); err != nil {
				return nil, nil, err
			}
		}
		opts.FullReport = path
		writers = append(writers, report.NewText(io.Stdout, opts))
	}
	if path != "" {
		w, c, err := report.Open(path)
		if err != nil {
			return nil, nil, fmt.Errorf("-report: %w", err)
		}
		writers = append(writers, w)
		file = c
	}
	if len(writers) == 0 {
		return nil, func(report.Summary) error { return nil }, nil
	}
	rep = report.Multi(writers...)
	return rep, func(sum report.Summary) error {
		err := rep.Close(sum)
		if file != nil {
			err = errors.Join(err, file.Close())
		}
		if err != nil {
			return fmt.Errorf("write report: %w", err)
		}
		return nil
	}, nil
}

// terminalEntries and pipedEntries are how many entries a dry run prints
// on a terminal (a screen) and piped (enough to read or grep; a backfill's
// thousands are in the report file).
const (
	terminalEntries = 20
	pipedEntries    = 200
)

// dryRunReportPath is where a terminal dry run without -report puts the
// whole report: a new HTML file in the temporary directory.
func dryRunReportPath() (string, error) {
	f, err := os.CreateTemp("", "modx-amocrm-dry-run-*.html")
	if err != nil {
		return "", fmt.Errorf("create the dry-run report: %w", err)
	}
	return f.Name(), f.Close()
}

// newProgress shows a backfill's progress: a line redrawn on a terminal, a
// log line every progressEvery otherwise. done clears the line.
func newProgress(w io.Writer, terminal bool, log *slog.Logger) (progress func(done, total int), done func()) {
	if terminal {
		line := &progressLine{w: w, started: time.Now(), now: time.Now}
		return line.update, line.clear
	}
	var last time.Time
	return func(n, total int) {
		if time.Since(last) < progressEvery {
			return
		}
		last = time.Now()
		if total < n { // no total known yet, or an estimate already passed
			log.Info("progress", "done", n)
			return
		}
		log.Info("progress", "done", n, "total", total)
	}, func() {}
}

func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}
