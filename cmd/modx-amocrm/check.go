package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/config"
	"github.com/modx-amocrm/modx-amocrm/internal/modx"
	"github.com/modx-amocrm/modx-amocrm/internal/plan"
	"github.com/modx-amocrm/modx-amocrm/internal/shop"
	"github.com/modx-amocrm/modx-amocrm/internal/site"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer/account"
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
	configPath := configFlag(fs)
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	c := &checkLines{w: io.Stdout}
	checkAll(ctx, c, *configPath)
	if c.fails > 0 {
		return errChecksFailed
	}
	return nil
}

func checkAll(ctx context.Context, c *checkLines, configPath string) {
	cfg := checkConfig(c, configPath)
	if cfg == nil {
		return
	}
	s := site.New(cfg, site.Options{})
	defer s.Close()
	if !checkMODX(ctx, c, s) {
		return
	}
	schema, err := s.Shop.Detect(ctx)
	if err != nil {
		c.fail("tables", err)
		return
	}
	checkSchema(c, s, schema)
	extra := checkOldExtra(ctx, c, s, schema)
	if cfg.Orders.Enabled {
		checkStatusZero(ctx, c, s, schema)
	}
	checkGrants(ctx, c, s, schema)
	checkStatusMap(ctx, c, s)
	checkWrites(ctx, c, s)
	if !checkState(ctx, c, s) {
		return
	}
	checkOldToken(ctx, c, s, extra)
	checkAmoCRM(ctx, c, s)
}

// checkConfig loads and validates the config, one FAIL line per problem.
func checkConfig(c *checkLines, configPath string) *config.Config {
	cfg, err := readConfig(configPath)
	if err == nil {
		err = cfg.Validate()
	}
	if err != nil {
		for _, e := range unjoin(err) {
			c.fail("config", e)
		}
		return nil
	}
	c.ok("config", "%s is valid", cfg.Path())
	if keys, mode, err := site.ExposedSecrets(cfg); err == nil && len(keys) > 0 {
		c.warn("config", "%s holds secrets (%s) and every user may read it (mode %04o): %s",
			cfg.Path(), strings.Join(keys, ", "), mode, secretsAdvice)
	}
	return cfg
}

// unjoin lists the errors of an errors.Join, or err alone.
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// checkMODX connects to the MODX database as the readers do.
func checkMODX(ctx context.Context, c *checkLines, s *site.Site) bool {
	if err := s.OpenShop(ctx); err != nil {
		c.fail("modx", err)
		return false
	}
	ver, err := s.Shop.ServerVersion(ctx)
	if err != nil {
		c.fail("modx", err)
		return false
	}
	c.ok("modx", "database reachable, server %s", ver)
	if z := s.Shop.Zone(); z.Guessed {
		c.warn("zone", "shop times read in %s (%s); set modx.timezone to the zone of the shop's PHP", z.Location, z.Source)
	} else {
		c.ok("zone", "shop times read in %s (%s)", z.Location, z.Source)
	}
	return true
}

func checkSchema(c *checkLines, s *site.Site, schema *modx.Schema) {
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
	case !s.Config.Forms.Enabled:
	case schema.FormIt:
		c.ok("forms", "FormIt's saved forms table is present")
	default:
		c.fail("forms", errors.New("forms.enabled is true but FormIt's formit_forms table is missing"))
	}
}

// checkStatusZero counts the orders at status 0 that are placed orders:
// their lines and address written, older than sync.settle (modx.ZeroOrders).
// The run sends them at the shop's new-order status; the shop has a bug to
// fix.
func checkStatusZero(ctx context.Context, c *checkLines, s *site.Site, schema *modx.Schema) {
	now, err := s.Shop.Now(ctx)
	var z modx.ZeroOrders
	if err == nil {
		z, err = s.Shop.StatusZero(ctx, now.Add(-s.Config.Sync.Settle.Duration))
	}
	switch {
	case err != nil:
		c.fail("orders", err)
	case z.Placed > 0:
		c.warn("orders", "%d of %d orders at status 0 are placed orders (lines and address written, older than sync.settle): "+
			"miniShop2 4.4.1's changeOrderStatus() fails on a new order (its issue #950), as the old extra's crash without a pipeline "+
			"does; they are sent at the shop's new-order status %d (ms2_status_new), each with a warning; fix the shop: "+
			"update miniShop2 past 4.4.1 or apply its PR #951", z.Placed, z.All, schema.NewStatus)
	case z.All > 0:
		c.ok("orders", "%d orders at status 0, none placed: still being written or carts", z.All)
	default:
		c.ok("orders", "no order is at status 0")
	}
}

// checkGrants reads one row of every MODX table the readers use, and
// compares the account's grants with what `modx-amocrm grants` prints.
func checkGrants(ctx context.Context, c *checkLines, s *site.Site, schema *modx.Schema) {
	if denied, err := s.Shop.Unreadable(ctx, schema); len(denied) > 0 {
		c.fail("grants", fmt.Errorf("SELECT fails on %s: %w", strings.Join(denied, ", "), err))
	} else {
		c.ok("grants", "SELECT works on the %d MODX tables read", len(schema.Tables))
	}
	compareGrants(ctx, c, s.Config, schema)
}

// checkStatusMap compares orders.status_map and each table of
// orders.pipeline_status_map with the shop's statuses: a key that is not
// one of them never applies, and category pipelines without a map drop
// every status change.
func checkStatusMap(ctx context.Context, c *checkLines, s *site.Site) {
	o := s.Config.Orders
	if !o.Enabled {
		return
	}
	statuses, err := s.Shop.OrderStatuses(ctx)
	if err != nil {
		c.fail("status map", err)
		return
	}
	if err := unknownStatusKeys("orders.status_map", o.StatusMap, statuses); err != nil {
		c.fail("status map", err)
		return
	}
	for _, p := range slices.Sorted(maps.Keys(o.PipelineStatusMap)) {
		if err := unknownStatusKeys(fmt.Sprintf("orders.pipeline_status_map.%q", p), o.PipelineStatusMap[p], statuses); err != nil {
			c.fail("status map", err)
			return
		}
	}
	if w := config.StatusMapWarning(s.Config); w != "" {
		c.warn("status map", "%s", w)
		return
	}
	if len(o.StatusMap)+len(o.PipelineStatusMap) > 0 {
		c.ok("status map", "every key of the status maps is a status of the shop")
	}
}

// unknownStatusKeys rejects status map keys that are not shop status ids.
func unknownStatusKeys(table string, m map[string]config.IDRef, statuses []shop.OrderStatus) error {
	known := map[string]bool{}
	var list []string
	statuses = slices.Clone(statuses)
	slices.SortFunc(statuses, func(a, b shop.OrderStatus) int { return cmp.Compare(a.ID, b.ID) })
	for _, st := range statuses {
		id := strconv.FormatInt(st.ID, 10)
		known[id] = true
		list = append(list, fmt.Sprintf("%s %s", id, st.Name))
	}
	var unknown []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if !known[k] {
			unknown = append(unknown, strconv.Quote(k))
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	return fmt.Errorf("%s: %s %s not a status of the shop; its statuses are %s",
		table, strings.Join(unknown, ", "), plural(len(unknown), "is", "are"), strings.Join(list, ", "))
}

// reportStatusMaps says, against the account, how the status maps apply:
// whether the tables of orders.pipeline_status_map (the old extra's
// amocrm_status) agree by name, so that one orders.status_map could
// replace them, and which pipelines deals may go to with nothing mapped.
func reportStatusMaps(c *checkLines, cfg *config.Config, r transform.StatusMaps) {
	if len(r.Tables) > 0 {
		var names []string
		for _, t := range r.Tables {
			names = append(names, fmt.Sprintf("%q (%d)", t.Pipeline, len(t.Statuses)))
		}
		how := "their status names differ (" + r.Differ + "), so each pipeline keeps its table"
		if r.ByName != nil {
			var entries []string
			for _, k := range slices.Sorted(maps.Keys(r.ByName)) {
				entries = append(entries, fmt.Sprintf("%q = %q", strconv.FormatInt(k, 10), r.ByName[k]))
			}
			how = "their status names agree, so one orders.status_map by name would do the same: " + strings.Join(entries, ", ")
		}
		c.ok("status map", "orders.pipeline_status_map maps shop statuses in %s; %s", strings.Join(names, ", "), how)
	}
	if len(r.Unmapped) > 0 && len(cfg.Orders.StatusMap)+len(cfg.Orders.PipelineStatusMap) > 0 {
		c.warn("status map", "deals may go to %s, where no shop status is mapped: their orders' status changes move nothing; "+
			"map them in orders.status_map (by name, for every pipeline) or in a table of orders.pipeline_status_map", strings.Join(r.Unmapped, ", "))
	}
}

// checkWrites asks, writing nothing, whether the two writes shop_status
// makes to the shop are granted.
func checkWrites(ctx context.Context, c *checkLines, s *site.Site) {
	if !s.Config.ShopStatus.Enabled {
		return
	}
	if err := s.Shop.CheckStatusWrites(ctx); err != nil {
		c.fail("writes", fmt.Errorf("shop_status cannot move orders; grant what `modx-amocrm grants` prints: %w", err))
		return
	}
	c.ok("writes", "shop_status may update order statuses and add their log rows")
}

// checkState connects to the state database and applies pending migrations.
func checkState(ctx context.Context, c *checkLines, s *site.Site) bool {
	if err := s.OpenState(ctx); err != nil {
		c.fail("state", err)
		return false
	}
	if len(s.Migrated) > 0 {
		c.ok("state", "database reachable; applied %d pending migration(s): %v", len(s.Migrated), s.Migrated)
	} else {
		c.ok("state", "database reachable; migrations up to date")
	}
	return true
}

// checkAmoCRM checks the token, the account and every id the config names.
func checkAmoCRM(ctx context.Context, c *checkLines, s *site.Site) {
	if err := s.OpenClient(ctx); err != nil {
		c.fail("token", err)
		return
	}
	info, err := s.Client.TokenStatus(ctx)
	switch {
	case err != nil:
		c.fail("token", err)
		return
	case !info.Stored:
		c.fail("token", noTokenError(ctx, s))
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
	meta, err := fetchAccountMeta(ctx, s.Client)
	if err != nil {
		c.fail("account", err)
		return
	}
	c.ok("account", "%s (id %d, %s): %d pipelines, %d users", meta.Account.Name, meta.Account.ID, meta.Account.Subdomain, len(meta.Pipelines), len(meta.Users))

	m := transform.Meta{Pipelines: meta.Pipelines, Users: meta.Users, LeadFields: meta.LeadFields, ContactFields: meta.ContactFields}
	if m.MS2Statuses, err = s.Shop.OrderStatuses(ctx); err != nil {
		c.fail("ids", err)
		return
	}
	facts, err := s.Shop.Site(ctx)
	if err != nil {
		c.fail("ids", err)
		return
	}
	m.SiteHost, m.SiteName, m.Zone = facts.Host, facts.Name, s.Shop.Zone().Location
	if !checkDealExtras(ctx, c, s, &m) {
		return
	}
	if s.Config.Orders.Enabled && s.Config.Orders.PipelineID.IsZero() {
		step, err := account.DecideSitePipeline(ctx, s.Store, meta.Pipelines, m.MS2Statuses, facts.Name, s.Config.Orders.AutoUpdatePipelines)
		switch {
		case err != nil:
			c.fail("ids", err)
			return
		case step.Action == plan.Create:
			c.ok("pipeline", "orders.pipeline_id = 0: the first run creates a pipeline named %q mirroring miniShop2's statuses", step.Name)
		case step.Known:
			m.SitePipelineID = step.ID
			c.ok("pipeline", "orders.pipeline_id = 0: deals go to the site pipeline %d, created by an earlier run%s", step.ID, reasonSuffix(step.Reason))
		default:
			m.SitePipelineID = step.ID
			c.ok("pipeline", "orders.pipeline_id = 0: the account's pipeline %q (%d) is adopted as the site pipeline%s", step.Name, step.ID, reasonSuffix(step.Reason))
		}
	}
	mapper, err := transform.NewMapper(s.Config, m)
	if err != nil {
		c.fail("ids", err)
		return
	}
	c.ok("ids", "every pipeline, status, user and field the config names exists")
	if s.Config.Orders.Enabled {
		reportStatusMaps(c, s.Config, mapper.StatusMaps())
	}
}

// reasonSuffix appends a step's reason to a check line, when it has one.
func reasonSuffix(reason string) string {
	if reason == "" || strings.HasPrefix(reason, "adopted") {
		return ""
	}
	return "; " + reason
}
