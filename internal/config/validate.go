package config

import (
	"errors"
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// Domains are the amoCRM hosts an account lives under.
var Domains = []string{"amocrm.ru", "amocrm.com", "kommo.com"}

// cronParser reads five-field specs and descriptors like "@every 1m".
var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// ParseCron parses sync.cron, users.cron, orders.compare_cron and
// shop_status.cron the way Validate checks them.
func ParseCron(spec string) (cron.Schedule, error) { return cronParser.Parse(spec) }

var identifier = regexp.MustCompile(`^[A-Za-z0-9_]*$`)

// CheckTablePrefix reports whether p may be put in front of a table name in
// SQL: letters, digits and underscores only.
func CheckTablePrefix(p string) error {
	if !identifier.MatchString(p) {
		return fmt.Errorf("want letters, digits and _ only, got %q", p)
	}
	return nil
}

var subdomain = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]*$`)

// Validate checks everything that can be checked without a network: it
// returns all problems at once, each a *FieldError, joined with errors.Join.
func (c *Config) Validate() error {
	v := validator{c: c}
	v.modx()
	v.amocrm()
	v.sync()
	v.orders()
	v.forms()
	v.deals()
	v.shopStatus()
	v.cron("users.cron", c.Users.Cron)
	v.cron("orders.compare_cron", c.Orders.CompareCron)
	v.fieldIDs("contacts.field_ids", c.Contacts.FieldIDs)
	v.cron("shop_status.cron", c.ShopStatus.Cron)
	v.oneOf("log.level", c.Log.Level, "debug", "info", "warn", "error")
	v.oneOf("log.format", c.Log.Format, "auto", "text", "json")
	if c.Metrics.Listen != "" {
		if !isHostPort(c.Metrics.Listen) {
			v.fail("metrics.listen", "want host:port like \"127.0.0.1:9464\", got %q", c.Metrics.Listen)
		}
	}
	return errors.Join(v.errs...)
}

type validator struct {
	c    *Config
	errs []error
}

func (v *validator) fail(key, format string, args ...any) {
	v.errs = append(v.errs, &FieldError{File: v.c.file, Line: v.c.line(key), Key: key, Msg: fmt.Sprintf(format, args...)})
}

// line is the line key was set on, or its table's, or 0.
func (c *Config) line(key string) int {
	for k := key; k != ""; {
		if l, ok := c.lines[k]; ok {
			return l
		}
		i := strings.LastIndexByte(k, '.')
		if i < 0 {
			break
		}
		k = k[:i]
	}
	return 0
}

func (v *validator) modx() {
	c := v.c
	if c.MODX.DSN == "" {
		v.fail("modx.dsn", `required: a DSN like "modx@tcp(127.0.0.1:3306)/modx"`)
	} else {
		v.dsn("modx.dsn", c.MODX.DSN)
	}
	if c.State.DSN != "" {
		v.dsn("state.dsn", c.State.DSN)
	}
	v.prefix("modx.table_prefix", c.MODX.TablePrefix)
	v.prefix("state.table_prefix", c.State.TablePrefix)
	if c.MODX.Timezone != "" {
		if _, err := time.LoadLocation(c.MODX.Timezone); err != nil {
			v.fail("modx.timezone", "want a zone like \"Europe/Moscow\", got %q", c.MODX.Timezone)
		}
	}
	v.oneOf("modx.shop", c.MODX.Shop, ShopAuto, ShopMiniShop2, ShopMiniShop3)
}

func (v *validator) dsn(key, dsn string) {
	// The message names no part of the DSN: it may hold a password.
	if err := checkDSN(dsn); err != nil {
		v.fail(key, `want a DSN like "modx@tcp(127.0.0.1:3306)/modx": %v`, err)
	}
}

func (v *validator) prefix(key, p string) {
	if err := CheckTablePrefix(p); err != nil {
		v.fail(key, "%v", err)
	}
}

func (v *validator) amocrm() {
	a := v.c.AmoCRM
	if a.BaseURL != "" {
		if u, err := url.Parse(a.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			v.fail("amocrm.base_url", "want a URL like \"https://example.amocrm.ru\", got %q", a.BaseURL)
		}
	} else {
		if !subdomain.MatchString(a.Account) {
			v.fail("amocrm.account", "want the account's subdomain (example for example.amocrm.ru), got %q", a.Account)
		}
		v.oneOf("amocrm.domain", a.Domain, Domains...)
	}
	if a.LongLivedToken == "" && (a.ClientID == "" || a.ClientSecret == "") {
		v.fail("amocrm.client_id", "want long_lived_token, or client_id and client_secret (secrets may also come from <key>_file, MODX_AMOCRM_* variables or systemd credentials)")
	}
	if a.RateLimit <= 0 || a.RateLimit > 7 {
		v.fail("amocrm.rate_limit", "want requests per second in (0, 7], got %v", a.RateLimit)
	}
	v.positive("amocrm.timeout", a.Timeout)
	v.id("amocrm.default_responsible_user_id", a.DefaultResponsibleUserID)
}

func (v *validator) sync() {
	s := v.c.Sync
	v.cron("sync.cron", s.Cron)
	if err := CheckStart(s.Start); err != nil {
		v.fail("sync.start", "%v", err)
	}
	v.positive("sync.settle", s.Settle)
	v.positive("sync.abandon_after", s.AbandonAfter)
	if s.BatchSize < 1 || s.BatchSize > 250 {
		v.fail("sync.batch_size", "want 1 to 250, got %d", s.BatchSize)
	}
	if s.MaxAttempts < 1 {
		v.fail("sync.max_attempts", "want 1 or more, got %d", s.MaxAttempts)
	}
}

// CheckStart checks a sync.start (or -since) value.
func CheckStart(s string) error {
	if s == "now" || s == "all" {
		return nil
	}
	if _, err := time.Parse(time.DateOnly, s); err != nil {
		return fmt.Errorf(`want "now", "all" or a date like 2024-01-01, got %q`, s)
	}
	return nil
}

func (v *validator) orders() {
	o := v.c.Orders
	v.oneOf("orders.responsible_priority", o.ResponsiblePriority, PriorityCategory, PriorityOrder)
	v.oneOf("orders.on_delete", o.OnDelete, OnDeleteNote, OnDeleteLose, OnDeleteNothing)
	v.id("orders.pipeline_id", o.PipelineID)
	v.id("orders.status_id", o.StatusID)
	for i, r := range o.Category {
		key := fmt.Sprintf("orders.category[%d]", i+1)
		if r.ID <= 0 {
			v.fail(key+".id", "required: the id of a category resource (> 0)")
		}
		if r.PipelineID.IsZero() {
			v.fail(key+".pipeline_id", "required: an amoCRM pipeline id or name")
		}
		v.id(key+".pipeline_id", r.PipelineID)
		v.id(key+".status_id", r.StatusID)
		v.id(key+".responsible_user_id", r.ResponsibleUserID)
	}
	v.statusMap("orders.status_map", o.StatusMap)
	for _, p := range sortedKeys(o.PipelineStatusMap) {
		key := "orders.pipeline_status_map." + joinKey(p)
		if ref := ParseIDRef(strings.TrimSpace(p)); ref.IsZero() || ref.ID < 0 {
			v.fail(key, "want an amoCRM pipeline id or name as the key, got %q", p)
		}
		v.statusMap(key, o.PipelineStatusMap[p])
	}
	v.fieldIDs("orders.field_ids", o.FieldIDs)
}

// statusMap checks one map of shop status id = amoCRM status.
func (v *validator) statusMap(table string, m map[string]IDRef) {
	for _, k := range sortedKeys(m) {
		key := table + "." + joinKey(k)
		if n, err := strconv.Atoi(k); err != nil || n <= 0 {
			v.fail(key, "want a shop status id (an integer) as the key, got %q", k)
		}
		if m[k].IsZero() {
			v.fail(key, "want an amoCRM status id or name")
		}
		v.id(key, m[k])
	}
}

// fieldIDs checks field name = amoCRM field id bindings.
func (v *validator) fieldIDs(table string, m map[string]int64) {
	for _, k := range sortedKeys(m) {
		key := table + "." + joinKey(k)
		if strings.TrimSpace(k) == "" {
			v.fail(key, "want a field name as the key")
		}
		if m[k] <= 0 {
			v.fail(key, "want an amoCRM field id above zero, got %d", m[k])
		}
	}
}

func (v *validator) forms() {
	f := v.c.Forms
	v.id("forms.pipeline_id", f.PipelineID)
	v.id("forms.status_id", f.StatusID)
	for _, name := range sortedKeys(f.Form) {
		key := "forms.form." + joinKey(name)
		v.id(key+".pipeline_id", f.Form[name].PipelineID)
		v.id(key+".status_id", f.Form[name].StatusID)
	}
	if !f.Enabled || !f.AsLead || !f.PipelineID.IsZero() {
		return
	}
	// Without a common pipeline every form taken needs its own; with no
	// names listed every form is taken, so the common one is required.
	if len(f.Names) == 0 {
		v.fail("forms.pipeline_id", "required when forms.as_lead is on (or list forms.names and give each a pipeline_id)")
		return
	}
	for _, name := range f.Names {
		if f.Form[name].PipelineID.IsZero() {
			v.fail("forms.form."+joinKey(name)+".pipeline_id", "required when forms.as_lead is on and forms.pipeline_id is not set")
		}
	}
}

func (v *validator) shopStatus() {
	s := v.c.ShopStatus
	for _, k := range sortedKeys(s.Map) {
		key := "shop_status.map." + joinKey(k)
		if strings.TrimSpace(k) == "" {
			v.fail(key, "want an amoCRM status id or name as the key")
		}
		if s.Map[k] <= 0 {
			v.fail(key, "want a shop status id above zero, got %d", s.Map[k])
		}
	}
	if !s.Enabled {
		return
	}
	if !v.c.Orders.Enabled {
		v.fail("shop_status.enabled", "needs orders.enabled: only orders the connector sent follow their deals")
	}
	if len(s.Map) > 0 {
		return
	}
	// An empty map is the orders' status maps read backwards, which must
	// then give one shop status per amoCRM status.
	v.oneWayBack("orders.status_map", v.c.Orders.StatusMap)
	for _, p := range sortedKeys(v.c.Orders.PipelineStatusMap) {
		v.oneWayBack("orders.pipeline_status_map."+joinKey(p), v.c.Orders.PipelineStatusMap[p])
	}
}

// oneWayBack fails when two shop statuses of m map to one amoCRM status:
// read backwards, that status would not say which shop status it means.
func (v *validator) oneWayBack(table string, m map[string]IDRef) {
	shop := map[string][]string{}
	for _, k := range sortedKeys(m) {
		ref := m[k].String()
		shop[ref] = append(shop[ref], k)
	}
	for _, ref := range sortedKeys(shop) {
		if ids := shop[ref]; len(ids) > 1 {
			v.fail("shop_status.map", "empty, so it is %s read backwards, where %q is the amoCRM status of shop statuses %s: say which one it moves an order to",
				table, ref, strings.Join(ids, " and "))
		}
	}
}

func (v *validator) cron(key, spec string) {
	if _, err := ParseCron(spec); err != nil {
		v.fail(key, "want a cron spec like \"*/5 * * * *\" or \"@every 1m\", got %q: %v", spec, err)
	}
}

func (v *validator) oneOf(key, got string, want ...string) {
	if !slices.Contains(want, got) {
		v.fail(key, "want one of %s, got %q", quoteAll(want), got)
	}
}

func (v *validator) positive(key string, d Duration) {
	if d.Duration <= 0 {
		v.fail(key, "want a duration above zero like \"10s\", got %q", d.String())
	}
}

func (v *validator) id(key string, r IDRef) {
	if r.ID < 0 {
		v.fail(key, "want an id above zero or a name, got %d", r.ID)
	}
}

// isHostPort reports "host:port" with a numeric port, the host bracketed
// when it holds colons (an IPv6 address), as net.Listen takes it.
func isHostPort(s string) bool {
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return false
	}
	host, port := s[:i], s[i+1:]
	if strings.Contains(host, ":") && (!strings.HasPrefix(host, "[") || !strings.HasSuffix(host, "]")) {
		return false
	}
	n, err := strconv.Atoi(port)
	return err == nil && n >= 0 && n <= 65535
}

func quoteAll(ss []string) string {
	quoted := make([]string, len(ss))
	for i, s := range ss {
		quoted[i] = strconv.Quote(s)
	}
	return strings.Join(quoted, ", ")
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

// StatusMapWarning is the warning `check` and `import-settings` give when
// deals go to category pipelines while orders.status_map is empty: those
// deals then never follow a miniShop2 status change. "" when it does not apply.
func StatusMapWarning(c *Config) string {
	if !c.Orders.Enabled || len(c.Orders.Category) == 0 || len(c.Orders.StatusMap) > 0 || len(c.Orders.PipelineStatusMap) > 0 {
		return ""
	}
	return `deals go to the pipelines of category rules (orders.category) but orders.status_map is empty, ` +
		`so their orders' status changes in the shop are not sent: map each status, e.g. "2" = "Оплачен" ` +
		`(a name is looked up in each deal's pipeline)`
}
