package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/modx-amocrm/modx-amocrm/internal/amocrm"
	"github.com/modx-amocrm/modx-amocrm/internal/config"
	"github.com/modx-amocrm/modx-amocrm/internal/modx"
	"github.com/modx-amocrm/modx-amocrm/internal/state"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer"
	"github.com/modx-amocrm/modx-amocrm/internal/transform"
)

// errChecksFailed is check's result when any line says FAIL.
var errChecksFailed = errors.New("some checks failed")

// checkLines prints one line per check and counts the failures.
type checkLines struct {
	w     io.Writer
	fails int
}

func (c *checkLines) ok(name, format string, a ...any)   { c.line("ok", name, format, a...) }
func (c *checkLines) warn(name, format string, a ...any) { c.line("warn", name, format, a...) }
func (c *checkLines) fail(name string, err error) {
	c.fails++
	c.line("FAIL", name, "%v", err)
}

func (c *checkLines) line(status, name, format string, a ...any) {
	fmt.Fprintf(c.w, "%-4s  %-10s  %s\n", status, name, oneLine(fmt.Sprintf(format, a...)))
}

// oneLine keeps a multi-line error on its check's line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// runCheck validates everything it can reach: config, MODX database, schema,
// grants, state, token, account and every id the config names. Checks that
// depend on a failed one are not run.
func runCheck(ctx context.Context, io IO, args []string) error {
	fs := newFlagSet("check", io)
	configPath := fs.String("config", "", "config file (default $MODX_AMOCRM_CONFIG or /etc/modx-amocrm/config.toml)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	c := &checkLines{w: io.Stdout}
	if err := checkAll(ctx, c, config.ResolvePath(*configPath)); err != nil {
		return err
	}
	if c.fails > 0 {
		return fmt.Errorf("%d: %w", c.fails, errChecksFailed)
	}
	return nil
}

func checkAll(ctx context.Context, c *checkLines, path string) error {
	cfg := checkConfig(c, path)
	if cfg == nil {
		return nil
	}
	raw, shop := checkMODX(ctx, c, cfg)
	if shop == nil {
		return nil
	}
	defer raw.Close()
	defer shop.Close()
	schema, err := shop.Detect(ctx)
	if err != nil {
		c.fail("tables", err)
		return nil
	}
	checkSchema(ctx, c, cfg, shop, schema)
	checkGrants(ctx, c, cfg, raw, schema)
	checkWrites(ctx, c, cfg, shop)
	store, stateDB := checkState(ctx, c, cfg)
	if store == nil {
		return nil
	}
	defer stateDB.Close()
	checkAmoCRM(ctx, c, cfg, shop, store)
	return nil
}

// checkConfig loads and validates the config, one FAIL line per problem.
func checkConfig(c *checkLines, path string) *config.Config {
	cfg, err := config.Load(path)
	if err == nil {
		err = cfg.Validate()
	}
	if err != nil {
		for _, e := range unjoin(err) {
			c.fail("config", e)
		}
		return nil
	}
	c.ok("config", "%s is valid", path)
	return cfg
}

// unjoin lists the errors of an errors.Join, or err alone.
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// checkMODX connects to the MODX database twice: raw for the server version
// and the grant probes, shop as the readers see it. Both are nil on failure.
func checkMODX(ctx context.Context, c *checkLines, cfg *config.Config) (*sqlx.DB, *modx.DB) {
	dsn, err := cfg.MODXDSN()
	if err != nil {
		c.fail("modx", err)
		return nil, nil
	}
	raw, err := sqlx.Open("mysql", dsn)
	if err != nil {
		c.fail("modx", err)
		return nil, nil
	}
	var ver string
	if err := raw.GetContext(ctx, &ver, "SELECT VERSION()"); err != nil {
		raw.Close()
		c.fail("modx", fmt.Errorf("database unreachable: %w", err))
		return nil, nil
	}
	shop, err := modx.Open(ctx, dsn, shopOptions(cfg))
	if err != nil {
		raw.Close()
		c.fail("modx", err)
		return nil, nil
	}
	c.ok("modx", "database reachable, server %s, times read in %s", ver, shop.Location())
	return raw, shop
}

func checkSchema(ctx context.Context, c *checkLines, cfg *config.Config, shop *modx.DB, schema *modx.Schema) {
	detail := fmt.Sprintf("%s tables with prefix %q", schema.Title(), schema.Prefix)
	if len(schema.Markers) > 0 {
		detail += " (" + strings.Join(schema.Markers, ", ") + ")"
	}
	if schema.MODXVersion != "" {
		detail += ", MODX " + schema.MODXVersion
	}
	if schema.DraftStatus != 0 {
		detail += fmt.Sprintf("; drafts (carts) at status %d wait until placed", schema.DraftStatus)
	}
	if myisam := schema.MyISAM(); len(myisam) > 0 {
		detail += fmt.Sprintf("; MyISAM (no transactions, orders settle before they are read): %s", strings.Join(myisam, ", "))
	}
	c.ok("tables", "%s", detail)

	switch {
	case !cfg.Forms.Enabled:
	case schema.FormIt:
		c.ok("forms", "FormIt's saved forms table is present")
	default:
		c.fail("forms", errors.New("forms.enabled is true but FormIt's formit_forms table is missing"))
	}

	settings, err := shop.Settings(ctx, "amocrm_token_field")
	if err != nil {
		c.fail("old extra", err)
		return
	}
	var found []string
	for _, f := range []struct {
		name string
		on   bool
	}{{"amocrm_leads", schema.OldLeads}, {"amocrm_users", schema.OldUsers}, {"amocrm_status", schema.OldStatus}, {"amocrm_token_field setting", settings["amocrm_token_field"] != ""}} {
		if f.on {
			found = append(found, f.name)
		}
	}
	_, pluginOn, err := shop.OldExtraPluginEnabled(ctx)
	if err != nil {
		c.fail("old extra", err)
		return
	}
	switch {
	case pluginOn:
		c.warn("old extra", "the amoCRM extra's plugin is enabled: it still sends orders and refreshes the token itself; disable the plugin %q in the MODX manager once modx-amocrm runs (its links are imported)",
			modx.OldExtraPlugin)
	case len(found) > 0:
		c.ok("old extra", "the amoCRM extra left %s (its links are imported); its plugin is not enabled", strings.Join(found, ", "))
	default:
		c.ok("old extra", "the amoCRM extra is not installed")
	}
}

// checkGrants reads one row of every MODX table the readers use.
func checkGrants(ctx context.Context, c *checkLines, cfg *config.Config, raw *sqlx.DB, schema *modx.Schema) {
	var denied []string
	var firstErr error
	for _, name := range slices.Sorted(maps.Keys(schema.Tables)) {
		var one []int
		// The table name comes from information_schema and the prefix check.
		if err := raw.SelectContext(ctx, &one, "SELECT 1 FROM `"+schema.Tables[name].Name+"` LIMIT 1"); err != nil {
			denied = append(denied, schema.Tables[name].Name)
			if firstErr == nil {
				firstErr = err
			}
		}
	}
	if len(denied) > 0 {
		c.fail("grants", fmt.Errorf("SELECT fails on %s: %w", strings.Join(denied, ", "), firstErr))
	} else {
		c.ok("grants", "SELECT works on the %d MODX tables read", len(schema.Tables))
	}
	if cfg.State.DSN == "" {
		c.warn("grants", "the state tables live in the MODX schema, so this user needs write grants on all of it; a separate state schema needs none (sql/grants.sql)")
	}
}

// checkWrites asks, writing nothing, whether the two writes shop_status
// makes to the shop are granted.
func checkWrites(ctx context.Context, c *checkLines, cfg *config.Config, shop *modx.DB) {
	if !cfg.ShopStatus.Enabled {
		return
	}
	if err := shop.CheckStatusWrites(ctx); err != nil {
		c.fail("writes", fmt.Errorf("shop_status cannot move orders; grant what sql/grants.sql lists: %w", err))
		return
	}
	c.ok("writes", "shop_status may update order statuses and add their log rows")
}

// checkState connects to the state database and applies pending migrations.
func checkState(ctx context.Context, c *checkLines, cfg *config.Config) (*state.Store, *sqlx.DB) {
	dsn, err := cfg.StateDSN()
	if err != nil {
		c.fail("state", err)
		return nil, nil
	}
	db, err := sqlx.Open("mysql", dsn)
	if err != nil {
		c.fail("state", err)
		return nil, nil
	}
	store, err := state.Open(db, cfg.State.TablePrefix)
	var pending []int
	if err == nil {
		pending, err = store.PendingMigrations(ctx)
	}
	if err == nil && len(pending) > 0 {
		err = store.Migrate(ctx)
	}
	if err != nil {
		db.Close()
		c.fail("state", fmt.Errorf("state database: %w", err))
		return nil, nil
	}
	if len(pending) > 0 {
		c.ok("state", "database reachable; applied %d pending migration(s): %v", len(pending), pending)
	} else {
		c.ok("state", "database reachable; migrations up to date")
	}
	return store, db
}

// checkAmoCRM checks the token, the account and every id the config names.
func checkAmoCRM(ctx context.Context, c *checkLines, cfg *config.Config, shop *modx.DB, store *state.Store) {
	client, err := newAmoClient(cfg, store)
	if err != nil {
		c.fail("token", err)
		return
	}
	info, err := client.TokenStatus(ctx)
	switch {
	case err != nil:
		c.fail("token", err)
		return
	case !info.Stored:
		c.fail("token", errors.New("no amoCRM token: run `modx-amocrm auth`"))
		return
	case info.Expiry.IsZero():
		c.ok("token", "%s token present", info.Mode)
	case info.Usable(time.Now()):
		c.ok("token", "%s token, access token expires %s", info.Mode, info.Expiry.UTC().Format("2006-01-02 15:04 MST"))
	case info.CanRefresh:
		c.warn("token", "%s access token expired %s; it is refreshed on first use", info.Mode, info.Expiry.UTC().Format("2006-01-02 15:04 MST"))
	default:
		c.fail("token", errors.New("access token expired and cannot be refreshed: run `modx-amocrm auth`"))
		return
	}
	meta, err := fetchAccountMeta(ctx, client)
	if err != nil {
		c.fail("account", err)
		return
	}
	c.ok("account", "%s (id %d, %s): %d pipelines, %d users", meta.Account.Name, meta.Account.ID, meta.Account.Subdomain, len(meta.Pipelines), len(meta.Users))

	m := transform.Meta{Pipelines: meta.Pipelines, Users: meta.Users, LeadFields: meta.LeadFields, ContactFields: meta.ContactFields}
	if m.MS2Statuses, err = shop.OrderStatuses(ctx); err != nil {
		c.fail("ids", err)
		return
	}
	site, err := shop.Site(ctx)
	if err != nil {
		c.fail("ids", err)
		return
	}
	m.SiteHost = site.Host
	if cfg.Orders.Enabled && cfg.Orders.PipelineID.IsZero() {
		id, ok, err := syncer.SitePipeline(ctx, store)
		switch {
		case err != nil:
			c.fail("ids", err)
			return
		case ok && hasPipeline(meta.Pipelines, id):
			m.SitePipelineID = id
			c.ok("pipeline", "orders.pipeline_id = 0: deals go to the site pipeline %d, created by an earlier run", id)
		default:
			c.ok("pipeline", "orders.pipeline_id = 0: the first run creates a pipeline named %q mirroring miniShop2's statuses", site.Name)
		}
	}
	if _, err := transform.NewMapper(cfg, m); err != nil {
		c.fail("ids", err)
		return
	}
	c.ok("ids", "every pipeline, status, user and field the config names exists")
}

func hasPipeline(ps []amocrm.Pipeline, id int64) bool {
	for _, p := range ps {
		if p.ID == id {
			return true
		}
	}
	return false
}
