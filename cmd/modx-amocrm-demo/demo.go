package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	_ "github.com/go-sql-driver/mysql" // the "mysql" driver of sqlx.Open
	"github.com/jmoiron/sqlx"

	"github.com/modx-amocrm/modx-amocrm/internal/amocrm"
	"github.com/modx-amocrm/modx-amocrm/internal/config"
	"github.com/modx-amocrm/modx-amocrm/internal/modx"
	"github.com/modx-amocrm/modx-amocrm/internal/modx/modxtest"
	"github.com/modx-amocrm/modx-amocrm/internal/report"
	"github.com/modx-amocrm/modx-amocrm/internal/state"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer"
)

const (
	shopDB  = "modx"
	stateDB = "modx_amocrm" // the separate state schema sql/grants.sql recommends
	// demoToken is the sandbox's long-lived token. It is printed on purpose:
	// it opens only this process's emulator, so people can curl it.
	demoToken = "modx-amocrm-demo-token"
	// shownEntries is how many dry-run entries reach the terminal.
	shownEntries = 15
)

// options are the demo's flags.
type options struct {
	orders, users, forms int
	seed                 int64
	keep                 bool
	report               string
}

// usageError is a mistake on the command line; main exits 2 for it.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func parseOptions(args []string, out io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("modx-amocrm-demo", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.IntVar(&o.orders, "orders", 300, "orders in the generated shop")
	fs.IntVar(&o.users, "users", 80, "user accounts in the generated shop")
	fs.IntVar(&o.forms, "forms", 20, "saved FormIt forms in the generated shop")
	fs.Int64Var(&o.seed, "seed", 1, "seed of the generated shop (the same seed gives the same shop)")
	fs.BoolVar(&o.keep, "keep", false, "keep serving MySQL and the sandbox until Ctrl-C")
	fs.StringVar(&o.report, "report", filepath.Join(os.TempDir(), "modx-amocrm-demo-dry-run.html"),
		"file of the dry-run report, .html or .json")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return o, err
		}
		return o, usageError{err}
	}
	switch {
	case fs.NArg() > 0:
		return o, usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	case o.orders < 0 || o.users < 1 || o.forms < 0:
		return o, usageError{errors.New("-orders and -forms must be 0 or more, -users 1 or more")}
	}
	return o, nil
}

// Run is the whole demo: a generated shop in an embedded MySQL, the amoCRM
// sandbox, a dry run, a sync and a second sync that finds nothing new.
func Run(ctx context.Context, args []string, stdout io.Writer) error {
	o, err := parseOptions(args, stdout)
	if err != nil {
		return err
	}
	// Opened first, so a bad -report fails before anything starts.
	file, closer, err := report.Open(o.report)
	if errors.Is(err, report.ErrUnknownFormat) {
		return usageError{fmt.Errorf("-report: %w", err)}
	}
	if err != nil {
		return err
	}
	d, err := setUp(ctx, o, stdout)
	if d != nil {
		defer d.Close()
	}
	if err == nil {
		err = d.dryRun(ctx, file, o.report)
	}
	if cerr := closer.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("close report: %w", cerr)
	}
	if err != nil {
		return err
	}
	d.printAccount() // still empty: the dry run wrote nothing
	if err := d.sync(ctx, "sync: the backfill of everything above"); err != nil {
		return err
	}
	d.printAccount()
	if err := d.sync(ctx, "second sync: nothing changed in the shop, so nothing is written"); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nthe dry-run report: %s\n", o.report)
	if o.keep {
		d.serve(ctx)
	}
	return nil
}

// demo holds what setUp started, for the passes and for Close.
type demo struct {
	out     io.Writer
	cfg     *config.Config
	mysql   *embeddedMySQL
	sandbox *sandboxServer
	stateDB *sqlx.DB
	shop    *modx.DB
	client  *amocrm.Client
	syncer  *syncer.Syncer
}

// setUp starts the servers, generates the shop and wires the syncer the way
// `modx-amocrm run` does. The returned demo is non-nil whenever something
// was started, even with an error, so the caller can Close it.
func setUp(ctx context.Context, o options, out io.Writer) (*demo, error) {
	fmt.Fprintln(out, "modx-amocrm demo: a generated miniShop2 shop synced to an amoCRM emulator, all in this process")
	mysql, err := startMySQL(shopDB, stateDB)
	if err != nil {
		return nil, err
	}
	d := &demo{out: out, mysql: mysql}
	began := time.Now()
	ds, err := generateShop(ctx, mysql.dsn(shopDB), o)
	if err != nil {
		return d, err
	}
	fmt.Fprintf(out, "shop generated in %s: %d orders (%d not placed, %d drafts), %d users, %d forms, %d products in %d categories\n",
		time.Since(began).Round(time.Millisecond), ds.Orders, len(ds.UnplacedOrders), len(ds.DraftOrders),
		ds.Users, ds.Forms, ds.Products, ds.Categories)
	fmt.Fprintf(out, "MySQL (go-mysql-server, in memory) at 127.0.0.1:%s: database %s (the shop), %s (our state)\n",
		mysql.port(), shopDB, stateDB)

	if d.sandbox, err = startSandbox(demoToken); err != nil {
		return d, err
	}
	fmt.Fprintf(out, "amoCRM sandbox at %s with long-lived token %s\n", d.sandbox.url, demoToken)

	if d.cfg, err = demoConfig(mysql.dsn(shopDB), mysql.dsn(stateDB), d.sandbox.url); err != nil {
		return d, err
	}
	return d, d.connect(ctx)
}

func generateShop(ctx context.Context, dsn string, o options) (*modxtest.Dataset, error) {
	db, err := sqlx.Open("mysql", dsn)
	if err != nil {
		return nil, fmt.Errorf("open the shop database: %w", err)
	}
	defer db.Close()
	shop := modxtest.Options{Prefix: "modx_", Generation: modxtest.Gen4x, FormIt: true}
	if err := modxtest.Create(ctx, db, shop); err != nil {
		return nil, err
	}
	return modxtest.Generate(ctx, db, modxtest.GenOptions{
		Prefix: shop.Prefix, Generation: shop.Generation,
		Orders: o.orders, Users: o.users, Forms: o.forms, Seed: o.seed,
	})
}

// demoConfig is what a user would write in config.toml for this shop.
func demoConfig(shopDSN, stateDSN, sandboxURL string) (*config.Config, error) {
	cfg := config.Default()
	cfg.MODX.DSN = shopDSN
	cfg.State.DSN = stateDSN
	cfg.AmoCRM.BaseURL = sandboxURL
	cfg.AmoCRM.LongLivedToken = demoToken
	cfg.Sync.Start = "all" // send the whole history, as a first backfill would
	// The generated rows are months old, so any settle passes them; validation
	// wants one above zero.
	cfg.Sync.Settle = config.Duration{Duration: time.Second}
	cfg.Forms.Enabled = true
	cfg.Forms.AsLead = true
	cfg.Forms.PipelineID = config.IDRef{Name: "Воронка"} // the sandbox's main pipeline, by name
	cfg.Users.Enabled = true
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("demo config: %w", err)
	}
	return &cfg, nil
}

// connect opens the shop, the state and the amoCRM client, and builds the syncer.
func (d *demo) connect(ctx context.Context) error {
	shopDSN, err := d.cfg.MODXDSN()
	if err != nil {
		return err
	}
	if d.shop, err = modx.Open(ctx, shopDSN, modx.Options{Prefix: d.cfg.MODX.TablePrefix, Location: d.cfg.MODX.Timezone, Shop: d.cfg.MODX.Shop}); err != nil {
		return err
	}
	stateDSN, err := d.cfg.StateDSN()
	if err != nil {
		return err
	}
	if d.stateDB, err = sqlx.Open("mysql", stateDSN); err != nil {
		return fmt.Errorf("open the state database: %w", err)
	}
	store, err := state.Open(d.stateDB, d.cfg.State.TablePrefix, state.WithMaxAttempts(d.cfg.Sync.MaxAttempts))
	if err != nil {
		return err
	}
	if err := store.Migrate(ctx); err != nil {
		return fmt.Errorf("migrate the state: %w", err)
	}
	if d.client, err = amocrm.New(amocrm.Config{
		BaseURL:        d.cfg.AmoBaseURL(),
		LongLivedToken: d.cfg.AmoCRM.LongLivedToken,
		RateLimit:      d.cfg.AmoCRM.RateLimit,
		Timeout:        d.cfg.AmoCRM.Timeout.Duration,
		BatchSize:      d.cfg.Sync.BatchSize,
	}, store); err != nil {
		return err
	}
	// Warnings are part of what the demo shows; info lines would drown the report.
	logger := slog.New(slog.NewTextHandler(d.out, &slog.HandlerOptions{Level: slog.LevelWarn}))
	d.syncer = syncer.New(d.cfg, d.shop, d.client, store, syncer.Options{Logger: logger})
	return nil
}

// sources are the sources the demo's config enables, for report summaries.
func (d *demo) sources() []string {
	var s []string
	if d.cfg.Orders.Enabled {
		s = append(s, syncer.SourceOrders)
	}
	if d.cfg.Forms.Enabled {
		s = append(s, syncer.SourceForms)
	}
	if d.cfg.Users.Enabled {
		s = append(s, syncer.SourceUsers)
	}
	return s
}

// pass runs one pass and fills in its request count from the client.
func (d *demo) pass(ctx context.Context, opts syncer.PassOptions) (*syncer.Result, error) {
	before := requests(d.client.Stats())
	res, err := d.syncer.Pass(ctx, opts)
	if res != nil {
		res.Requests = requests(d.client.Stats()) - before
	}
	return res, err
}

func requests(s amocrm.Stats) int {
	n := 0
	for _, c := range s.Requests {
		n += c
	}
	return n
}

// dryRun prints the plan's summary and first entries, and writes the whole
// plan to file, the report at reportPath.
func (d *demo) dryRun(ctx context.Context, file report.Writer, reportPath string) error {
	fmt.Fprintln(d.out, "\n== dry run: what a sync would do; nothing is written to amoCRM or to the state ==")
	terminal := newEntryCap(d.out, shownEntries)
	w := report.Multi(report.NewText(terminal, report.TextOptions{}), file)
	res, err := d.pass(ctx, syncer.PassOptions{DryRun: true, Report: w})
	if err != nil {
		return fmt.Errorf("dry run: %w", err)
	}
	err = w.Close(res.ReportSummary(d.sources()))
	if err != nil {
		return err
	}
	if n := terminal.Held(); n > 0 {
		fmt.Fprintf(d.out, "… %d more entries in the report: %s\n", n, reportPath)
	}
	fmt.Fprintln(d.out, "dry run:", res.Summary())
	return nil
}

// sync runs a real pass and prints its summary line.
func (d *demo) sync(ctx context.Context, title string) error {
	fmt.Fprintf(d.out, "\n== %s ==\n", title)
	res, err := d.pass(ctx, syncer.PassOptions{})
	if err != nil {
		return fmt.Errorf("sync: %w", err)
	}
	fmt.Fprintln(d.out, "sync:", res.Summary())
	if res.ParkedTotal > 0 {
		fmt.Fprintf(d.out, "%d records are parked with a reason (`modx-amocrm failed` lists them)\n", res.ParkedTotal)
	}
	return nil
}

// printAccount reads back what the sandbox holds, as a manager would see it.
func (d *demo) printAccount() {
	leads := d.sandbox.box.Leads()
	names := map[int64]string{}
	for _, p := range d.sandbox.box.Pipelines() {
		names[p.ID] = p.Name
	}
	byPipeline := map[string]int{}
	for _, l := range leads {
		byPipeline[names[l.PipelineID]]++
	}
	fmt.Fprintf(d.out, "amoCRM now holds %d deals and %d contacts", len(leads), len(d.sandbox.box.Contacts()))
	if len(leads) > 0 {
		fmt.Fprintf(d.out, "; deals by pipeline: %s", countList(byPipeline))
	}
	fmt.Fprintln(d.out)
}

// countList is "a 12, b 3": the biggest first, then by name.
func countList(counts map[string]int) string {
	names := slices.Collect(maps.Keys(counts))
	slices.SortFunc(names, func(a, b string) int {
		return cmp.Or(counts[b]-counts[a], strings.Compare(a, b))
	})
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("%s %d", n, counts[n])
	}
	return strings.Join(parts, ", ")
}

// serve keeps the servers up until ctx ends, saying how to look at them.
func (d *demo) serve(ctx context.Context) {
	fmt.Fprintf(d.out, "\nserving until Ctrl-C; look at both sides:\n"+
		"  curl -H 'Authorization: Bearer %s' '%s/api/v4/leads?with=contacts&limit=5'\n"+
		"  curl -H 'Authorization: Bearer %s' '%s/api/v4/contacts?limit=5'\n"+
		"  mysql -h127.0.0.1 -P %s -uroot %s   (our state: database %s)\n",
		demoToken, d.sandbox.url, demoToken, d.sandbox.url, d.mysql.port(), shopDB, stateDB)
	<-ctx.Done()
}

// Close stops everything setUp started, in reverse order.
func (d *demo) Close() error {
	var errs []error
	if d.shop != nil {
		errs = append(errs, d.shop.Close())
	}
	if d.stateDB != nil {
		errs = append(errs, d.stateDB.Close())
	}
	if d.sandbox != nil {
		errs = append(errs, d.sandbox.Close())
	}
	errs = append(errs, d.mysql.Close())
	return errors.Join(errs...)
}
