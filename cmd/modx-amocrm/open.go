package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/modx-amocrm/modx-amocrm/internal/config"
	"github.com/modx-amocrm/modx-amocrm/internal/site"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer"
)

// readConfig reads the config named by -config (or its default) without
// validating it.
func readConfig(flagValue string) (*config.Config, error) {
	path := site.ConfigPath(flagValue)
	cfg, err := site.LoadConfig(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no config file %s: give -config FILE, or set %s; write one with "+
			"`modx-amocrm import-settings -dsn DSN -o FILE` (from the old extra's settings) or copy config.example.toml",
			path, config.EnvConfig)
	}
	return cfg, err
}

// loadConfig reads and validates the config named by -config.
func loadConfig(flagValue string) (*config.Config, error) {
	cfg, err := readConfig(flagValue)
	if err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// loadSite loads the config and returns its site with nothing opened yet.
func loadSite(flagValue string) (*site.Site, error) {
	cfg, err := loadConfig(flagValue)
	if err != nil {
		return nil, err
	}
	return site.New(cfg, site.Options{}), nil
}

// openState loads the config and opens its state, for the commands that
// read or change only what the state holds.
func openState(ctx context.Context, flagValue string) (*site.Site, error) {
	s, err := loadSite(flagValue)
	if err != nil {
		return nil, err
	}
	if err := s.OpenState(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// secretsAdvice says what to do about a config file that every user may
// read while it holds secrets.
const secretsAdvice = "chmod 600 it, or move the secrets to <key>_file, MODX_AMOCRM_* variables or systemd credentials"

// warnExposedSecrets logs the warning of `check`'s secrets line for `run`.
func warnExposedSecrets(cfg *config.Config, log *slog.Logger) {
	if keys, mode, err := site.ExposedSecrets(cfg); err == nil && len(keys) > 0 {
		log.Warn("the config file holds secrets and every user may read it: "+secretsAdvice,
			"file", cfg.Path(), "mode", fmt.Sprintf("%04o", mode), "keys", strings.Join(keys, ", "))
	}
}

// runPass runs one pass of the site, logging to log, and records a real
// pass in the state for `status`.
func runPass(ctx context.Context, s *site.Site, eng *syncer.Engine, dryRun bool, opts syncer.PassOptions, log *slog.Logger) (*syncer.Result, error) {
	started := time.Now()
	res, err := eng.Pass(ctx, opts)
	if res != nil {
		s.Metrics().PassDuration(res.Finished.Sub(res.Started))
	}
	if !dryRun {
		// Recorded even when ctx is done: a stopped pass is worth showing.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if rerr := s.Store.RecordPass(rctx, site.PassRecord(started, res, err)); rerr != nil {
			log.Warn("record the pass for status", "err", rerr)
		}
	}
	return res, err
}

// isTerminal reports whether w is a terminal, for colours and progress bars.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
