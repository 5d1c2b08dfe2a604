package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	_ "github.com/go-sql-driver/mysql" // the "mysql" driver of sqlx.Open
	"github.com/jmoiron/sqlx"

	"github.com/modx-amocrm/modx-amocrm/internal/config"
	"github.com/modx-amocrm/modx-amocrm/internal/metrics"
	"github.com/modx-amocrm/modx-amocrm/internal/modx/modxtest"
	"github.com/modx-amocrm/modx-amocrm/internal/report"
	"github.com/modx-amocrm/modx-amocrm/internal/site"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer"
)

const (
	shopDB  = "modx"
	stateDB = "modx_amocrm" // a state schema of its own (state.dsn)
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
		return d.serve(ctx)
	}
	return nil
}

// demo holds what setUp started, for the passes and for Close.
type demo struct {
	out     io.Writer
	cfg     *config.Config
	cfgText string // the config file cfg was parsed from
	mysql   *embeddedMySQL
	sandbox *sandboxServer
	site    *site.Site
	dry     *syncer.Engine // the dry run's engine
	real    *syncer.Engine
	keepDir string // holds the config written for -keep; removed on exit when nothing else is in it
}

// setUp starts the servers, generates the shop and wires the syncer the way
// `modx-amocrm run` does. The returned demo is non-nil whenever something
// was started, even with an error, so the caller can Close it.
func setUp(ctx context.Context, o options, out io.Writer) (*demo, error) {
	fmt.Fprintln(out, "modx-amocrm demo: a generated miniShop2 shop synced to an amoCRM emulator, all in this process")
	if o.orders > bigShop {
		fmt.Fprintln(out, "note: the embedded server slows down faster than the shop grows (it re-sorts a table on every write): "+
			"2,000 orders take about 4 minutes on two cores, 4,000 about 10, 8,000 about 50; Ctrl-C stops at any time")
	}
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
	fmt.Fprintf(out, "shop generated in %s: %s (%d not placed, %s), %s, %s, %s in %s\n",
		time.Since(began).Round(time.Millisecond), count(ds.Orders, "order"), len(ds.UnplacedOrders),
		count(len(ds.DraftOrders), "draft"), count(ds.Users, "user"), count(ds.Forms, "form"),
		count(ds.Products, "product"), count(ds.Categories, "category"))
	fmt.Fprintf(out, "MySQL (go-mysql-server, in memory) at 127.0.0.1:%s: database %s (the shop), %s (our state)\n",
		mysql.port(), shopDB, stateDB)

	if d.sandbox, err = startSandbox(demoToken); err != nil {
		return d, err
	}
	fmt.Fprintf(out, "amoCRM sandbox at %s with long-lived token %s\n", d.sandbox.url, demoToken)

	d.cfgText = demoConfig(mysql.dsn(shopDB), mysql.dsn(stateDB), d.sandbox.url)
	if d.cfg, err = parseConfig(d.cfgText); err != nil {
		return d, err
	}
	// Warnings are part of what the demo shows; info lines would drown the report.
	logger := slog.New(slog.NewTextHandler(d.out, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if d.site, err = site.Open(ctx, d.cfg, site.Options{Logger: logger, Metrics: metrics.New("demo", ""), QueryTimeout: embeddedTimeout}); err != nil {
		return d, err
	}
	if d.dry, err = d.site.Engine(site.EngineOptions{DryRun: true}); err != nil {
		return d, err
	}
	d.real, err = d.site.Engine(site.EngineOptions{})
	return d, err
}

// embeddedTimeout bounds a statement to the embedded server, in place of
// the 30 s query and 60 s read timeouts meant for a real one. Its in-memory
// tables scan where MySQL looks an index up, and re-sort a table on every
// write, moving each secondary index entry per row moved (go-mysql-server
// v0.20.0, memory/table.go partitionssort.Swap: "worse than cubic"), so
// statements slow down faster than the shop grows: at 8,000 orders a batch
// of links takes over a minute. Ctrl-C stops the demo at any time.
const embeddedTimeout = 30 * time.Minute

// bigShop is the most orders the demo runs without a word on how long.
const bigShop = 2000

// shopOptions is the generated shop: miniShop2 4.x with FormIt.
var shopOptions = modxtest.Options{Prefix: "modx_", Generation: modxtest.Gen4x, FormIt: true}

func generateShop(ctx context.Context, dsn string, o options) (*modxtest.Dataset, error) {
	db, err := sqlx.Open("mysql", dsn)
	if err != nil {
		return nil, fmt.Errorf("open the shop database: %w", err)
	}
	defer db.Close()
	if err := modxtest.Create(ctx, db, shopOptions); err != nil {
		return nil, err
	}
	return modxtest.Generate(ctx, db, modxtest.GenOptions{
		Prefix: shopOptions.Prefix, Generation: shopOptions.Generation,
		Orders: o.orders, Users: o.users, Forms: o.forms, Seed: o.seed,
	})
}

// demoConfig is the config file a user would write for these servers; -keep
// hands it to the real binary.
func demoConfig(shopDSN, stateDSN, sandboxURL string) string {
	return fmt.Sprintf(`# modx-amocrm config for the servers of modx-amocrm-demo
[modx]
dsn = %q

[state]
dsn = %q # a state schema of its own

[amocrm]
base_url = %q
long_lived_token = %q

[sync]
start = "all" # send the whole history, as a first backfill would
settle = "1s" # the generated rows are months old

[forms]
enabled = true
as_lead = true
pipeline_id = "Воронка" # the sandbox's main pipeline, by name

[users]
enabled = true
`, shopDSN, stateDSN, sandboxURL, demoToken)
}

// parseConfig reads and validates the demo's config text.
func parseConfig(text string) (*config.Config, error) {
	cfg, err := site.ParseConfig([]byte(text), "demo config")
	if err == nil {
		err = cfg.Validate()
	}
	if err != nil {
		return nil, fmt.Errorf("demo config: %w", err)
	}
	return cfg, nil
}

// dryRun prints the plan's summary and first entries, and writes the whole
// plan to file, the report at reportPath.
func (d *demo) dryRun(ctx context.Context, file report.Writer, reportPath string) error {
	fmt.Fprintln(d.out, "\n== dry run: what a sync would do; nothing is written to amoCRM or to the state ==")
	w := report.Multi(report.NewText(d.out, report.TextOptions{MaxEntries: shownEntries, FullReport: reportPath}), file)
	res, err := d.dry.Pass(ctx, syncer.PassOptions{Report: w})
	if err != nil {
		return fmt.Errorf("dry run: %w", err)
	}
	sum := res.ReportSummary(site.PassSources(d.cfg, nil))
	sum.Location = d.site.Shop.Location() // as the reasons are
	err = w.Close(sum)
	if err != nil {
		return err
	}
	fmt.Fprintln(d.out, "dry run:", res.Summary())
	return nil
}

// sync runs a real pass and prints its summary line.
func (d *demo) sync(ctx context.Context, title string) error {
	fmt.Fprintf(d.out, "\n== %s ==\n", title)
	res, err := d.real.Pass(ctx, syncer.PassOptions{})
	if err != nil {
		return fmt.Errorf("sync: %w", err)
	}
	fmt.Fprintln(d.out, "sync:", res.Summary())
	if res.Parked > 0 {
		fmt.Fprintf(d.out, "%s %s parked with a reason (`modx-amocrm failed` lists them)\n", count(res.Parked, "record"), wasWere(res.Parked))
	}
	// Kept for `modx-amocrm status`, as the real binary's passes are.
	return d.site.Store.RecordPass(ctx, site.PassRecord(res.Started, res, nil))
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

// count is "1 order", "2 orders", "1 category", "3 categories".
func count(n int, noun string) string {
	switch {
	case n == 1:
		return "1 " + noun
	case strings.HasSuffix(noun, "y"):
		return fmt.Sprintf("%d %sies", n, strings.TrimSuffix(noun, "y"))
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func wasWere(n int) string {
	if n == 1 {
		return "was"
	}
	return "were"
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

// serve keeps the servers up until ctx ends, saying how to point the real
// binary at them and how to look at both sides. Orders placed in the shop
// after the sync give the real binary something to send.
func (d *demo) serve(ctx context.Context) error {
	placed, err := d.placeOrders(ctx, keepOrders)
	if err != nil {
		return fmt.Errorf("-keep: %w", err)
	}
	dir, err := os.MkdirTemp("", "modx-amocrm-demo-")
	if err != nil {
		return fmt.Errorf("-keep: %w", err)
	}
	d.keepDir = dir
	cfgPath, bin := filepath.Join(dir, "config.toml"), filepath.Join(dir, "modx-amocrm")
	if err := os.WriteFile(cfgPath, []byte(d.cfgText), 0o600); err != nil {
		return fmt.Errorf("-keep: %w", err)
	}
	fmt.Fprintf(d.out, "\n%s %s placed in the shop after the sync (%s): the real binary has them to send.\n",
		count(len(placed), "order"), wasWere(len(placed)), joinIDs(placed))
	fmt.Fprintf(d.out, "\nserving until Ctrl-C. The config of these servers, written to %s:\n\n%s\n", cfgPath, indent(d.cfgText))
	fmt.Fprintf(d.out, "the real modx-amocrm against them (from the repository; it builds in seconds):\n")
	fmt.Fprintf(d.out, "  go build -o %s ./cmd/modx-amocrm\n", bin)
	for _, c := range keepCommands {
		fmt.Fprintf(d.out, "  %s %s -config %s\n", bin, c, cfgPath)
	}
	fmt.Fprintf(d.out, "look at both sides:\n"+
		"  curl -H 'Authorization: Bearer %s' '%s/api/v4/leads?with=contacts&limit=5'\n"+
		"  curl -H 'Authorization: Bearer %s' '%s/api/v4/contacts?limit=5'\n"+
		"  mysql -h127.0.0.1 -P %s -uroot %s   (our state: database %s)\n",
		demoToken, d.sandbox.url, demoToken, d.sandbox.url, d.mysql.port(), shopDB, stateDB)
	<-ctx.Done()
	return nil
}

// keepOrders is how many orders -keep places after the sync.
const keepOrders = 3

// placeOrders places n orders the way miniShop2's checkout does for a guest,
// now, and returns their ids.
func (d *demo) placeOrders(ctx context.Context, n int) ([]int64, error) {
	db, err := sqlx.Open("mysql", d.mysql.dsn(shopDB))
	if err != nil {
		return nil, fmt.Errorf("open the shop database: %w", err)
	}
	defer db.Close()
	ids := make([]int64, n)
	for i := range ids {
		address := map[string]any{"receiver": fmt.Sprintf("Покупатель после демо %d", i+1),
			"phone": fmt.Sprintf("+7 900 555-00-%02d", i+1), "email": fmt.Sprintf("after-demo-%d@example.com", i+1)}
		if ids[i], err = modxtest.InsertOrder(ctx, db, shopOptions, modxtest.OrderSpec{Guest: true, CreatedOn: time.Now(),
			Address: address}); err != nil {
			return nil, fmt.Errorf("place an order: %w", err)
		}
	}
	return ids, nil
}

func joinIDs(ids []int64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = fmt.Sprintf("order:%d", id)
	}
	return strings.Join(parts, ", ")
}

// keepCommands are what -keep suggests running with the real binary.
var keepCommands = []string{"check", "status", "run -once -dry-run", "run -once", "failed", "pipelines"}

func indent(text string) string {
	return "    " + strings.ReplaceAll(strings.TrimRight(text, "\n"), "\n", "\n    ") + "\n"
}

// Close stops everything setUp started, in reverse order. Of -keep's
// directory it removes only what it wrote: the binary built into it, or
// anything else put there, stays, and so does the directory then.
func (d *demo) Close() error {
	var errs []error
	if d.keepDir != "" {
		errs = append(errs, d.removeKeepDir())
	}
	if d.site != nil {
		errs = append(errs, d.site.Close())
	}
	if d.sandbox != nil {
		errs = append(errs, d.sandbox.Close())
	}
	errs = append(errs, d.mysql.Close())
	return errors.Join(errs...)
}

func (d *demo) removeKeepDir() error {
	if err := os.Remove(filepath.Join(d.keepDir, "config.toml")); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	left, err := os.ReadDir(d.keepDir)
	if err != nil {
		return err
	}
	if len(left) == 0 {
		return os.Remove(d.keepDir)
	}
	names := make([]string, len(left))
	for i, e := range left {
		names[i] = e.Name()
	}
	fmt.Fprintf(d.out, "removed the config; kept %s, which holds what the demo did not make: %s\n", d.keepDir, strings.Join(names, ", "))
	return nil
}
