package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/modx-amocrm/modx-amocrm/internal/config"
	"github.com/modx-amocrm/modx-amocrm/internal/modx/modxtest"
	"github.com/modx-amocrm/modx-amocrm/internal/sandbox"
	"github.com/modx-amocrm/modx-amocrm/internal/sandbox/sandboxtest"
	"github.com/modx-amocrm/modx-amocrm/internal/testdb"
)

// switchEnv is a shop that ran the extra 1.9.3, the account it wrote to,
// and modx-amocrm's files.
type switchEnv struct {
	*shopEnv
	shop  *modxtest.ExtraShop
	extra *modxtest.Extra
	dir   string
}

func newSwitchEnv(t *testing.T) *switchEnv {
	t.Helper()
	db, dsn := testdb.New(t)
	o := modxtest.Options{Prefix: "modx_", OldExtra: true, MyISAM: true, FormIt: true, SimpleQueue: true}
	ctx := context.Background()
	if err := modxtest.Create(ctx, db, o); err != nil {
		t.Fatal(err)
	}
	box, url := sandboxtest.Start(t, sandbox.Options{Seed: sandboxtest.ExtraSeed(), RPS: -1})
	e := &switchEnv{shopEnv: &shopEnv{t: t, ctx: ctx, db: db, dsn: dsn, shop: o, box: box, url: url}, dir: t.TempDir()}
	e.extra = &modxtest.Extra{DB: db, Shop: o, BaseURL: url}
	var now time.Time
	if err := db.Get(&now, "SELECT UTC_TIMESTAMP()"); err != nil {
		t.Fatal(err)
	}
	auth := modxtest.ExtraAuth{Account: "example", ClientID: sandbox.DefaultClientID, ClientSecret: sandbox.DefaultClientSecret,
		Code: sandbox.DefaultAuthCode, RedirectURI: sandbox.DefaultRedirectURI}
	shop, err := modxtest.BuildExtraShop(ctx, e.extra, auth, sandboxtest.ExtraMain, sandboxtest.ExtraWholesale, now)
	if err != nil {
		t.Fatal(err)
	}
	e.shop = shop
	// The shop queued through simpleQueue, and one task still waits.
	if err := modxtest.SetSetting(ctx, db, o, "amocrm_use_simple_queue", "1"); err != nil {
		t.Fatal(err)
	}
	if err := e.extra.Queue(ctx, 2, strconv.FormatInt(shop.AtZero[1], 10), now.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	// The site_url the extra used as its redirect URI is the sandbox's.
	if err := modxtest.SetSetting(ctx, db, o, "site_url", sandbox.DefaultRedirectURI); err != nil {
		t.Fatal(err)
	}
	return e
}

// stopExtra is the README's third step: the plugin disabled, the hook
// out of the form, the queue off and its task done.
func (e *switchEnv) stopExtra() {
	testdb.Exec(e.t, e.db, "UPDATE modx_site_plugins SET disabled = 1 WHERE name = 'amocrm';\n"+
		"UPDATE modx_site_content SET content = REPLACE(content, 'amoCRMAddContact,', '') WHERE id = "+strconv.FormatInt(e.shop.Form, 10)+";\n"+
		"UPDATE modx_system_settings SET value = '' WHERE `key` = 'amocrm_use_simple_queue';\n"+
		"UPDATE modx_simplequeue_messages SET processed = 1")
}

var secretValue = regexp.MustCompile(`(?m)^(\s*client_secret = )'[^']+'`)

// importConfig runs import-settings as the README's first step and
// returns the file. Its amoCRM is the sandbox, not amocrm.ru: base_url is
// the one line a test changes.
func (e *switchEnv) importConfig() string {
	e.t.Helper()
	path := filepath.Join(e.dir, "config.toml")
	if code, _, errOut := e.show("import-settings", "-dsn", e.dsn, "-o", path); code != exitOK {
		e.t.Fatalf("import-settings: exit %d: %s", code, errOut)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		e.t.Fatal(err)
	}
	// The file holds the extra's client secret, as the config needs it:
	// the log does not.
	e.t.Logf("%s:\n%s", path, secretValue.ReplaceAll(data, []byte("${1}'xxxxx'")))
	e.editConfig(path, "base_url = ''", "base_url = '"+e.url+"'")
	e.givePassword()
	return path
}

// show runs a command and logs it with what it printed, so that
// `go test -v -run TestSwitchFromExtraRun` is the switch's transcript as a
// user at the terminal sees it. The DSN is logged redacted, as the
// config's printing redacts it.
func (e *switchEnv) show(args ...string) (code int, stdout, stderr string) {
	e.t.Helper()
	code, stdout, stderr = runMain(e.t, args...)
	redacted := config.Config{MODX: config.MODX{DSN: e.dsn}}.Redacted().MODX.DSN
	shown := slices.Clone(args)
	for i, a := range shown {
		if a == e.dsn {
			shown[i] = redacted
		}
	}
	e.t.Logf("$ modx-amocrm %s\n%s%s(exit %d)", strings.Join(shown, " "), stdout, stderr, code)
	return code, stdout, stderr
}

// givePassword: the imported config leaves the password out, as it tells
// the user to; the environment gives it, as it would the service's (CI's
// test user has one).
func (e *switchEnv) givePassword() {
	e.t.Helper()
	parsed, err := mysql.ParseDSN(e.dsn)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Setenv("MODX_AMOCRM_MODX_PASSWORD", parsed.Passwd)
}

// TestSwitchFromExtraImport: the imported config of a shop that ran the
// extra 1.9.3 carries its ids, its status map of two pipelines (one table
// each), its enum types without the Cyrillic key, and passes check against
// the account unedited.
func TestSwitchFromExtraImport(t *testing.T) {
	e := newSwitchEnv(t)
	path := e.importConfig()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg := parseImported(t, data)
	if err := cfg.Validate(); err != nil {
		t.Fatalf("validate: %v\n%s", err, data)
	}
	e.givePassword() // parseImported read the file with no secrets around it
	table := func(first int64) map[string]config.IDRef {
		return map[string]config.IDRef{"1": {ID: first + 1}, "2": {ID: first + 2}, "3": {ID: first + 3}, "4": {ID: first + 4}}
	}
	if want := map[string]map[string]config.IDRef{"3001": table(31000), "3002": table(32000)}; !reflect.DeepEqual(cfg.Orders.PipelineStatusMap, want) {
		t.Errorf("pipeline_status_map: got %v, want %v", cfg.Orders.PipelineStatusMap, want)
	}
	if cfg.Orders.PipelineID != (config.IDRef{ID: sandboxtest.ExtraMain}) || len(cfg.Orders.Category) != 1 || cfg.Orders.Category[0].ID != int(e.shop.Category) {
		t.Errorf("orders: pipeline %v, category %+v", cfg.Orders.PipelineID, cfg.Orders.Category)
	}
	if want := map[string]string{"phone": "WORK", "email": "WORK"}; !reflect.DeepEqual(cfg.Contacts.EnumTypes, want) {
		t.Errorf("enum_types: got %v, want %v", cfg.Contacts.EnumTypes, want)
	}
	for _, comment := range []string{
		"# the extra's links: 4 order deals and 0 form deals (amocrm_leads), 2 contacts (amocrm_users)",
		"# from amocrm_status, the extra's status map of pipelines 3001, 3002",
		`"телефон" is the phone field by another name, already phone = "WORK"`,
		"# amocrm_protocol = \"https\" (not set, the extra's default): read by the extra 1.9.3",
	} {
		if !strings.Contains(string(data), comment) {
			t.Errorf("the config lacks %q", comment)
		}
	}
	if code, out, errOut := runMain(t, "auth", "-config", path, "-from-modx"); code != exitOK {
		t.Fatalf("auth -from-modx: exit %d: %s %s", code, out, errOut)
	}
	code, out, _ := runMain(t, "check", "-config", path)
	if code != exitOK {
		t.Errorf("check: exit %d, want %d:\n%s", code, exitOK, out)
	}
	if want := `ok    status map  orders.pipeline_status_map maps shop statuses in "Воронка" (4), "Опт" (4); their status names agree, ` +
		`so one orders.status_map by name would do the same: "1" = "Новый", "2" = "Оплачен", "3" = "Отправлен", "4" = "Отменён"`; !strings.Contains(out, want) {
		t.Errorf("check lacks %q:\n%s", want, out)
	}
}

// TestSwitchFromExtraGuards: check names whatever of the extra still runs,
// each line saying what to do, and is quiet once the shop has stopped it.
func TestSwitchFromExtraGuards(t *testing.T) {
	e := newSwitchEnv(t)
	path := e.importConfig()
	if code, out, errOut := runMain(t, "auth", "-config", path, "-from-modx"); code != exitOK {
		t.Fatalf("auth -from-modx: exit %d: %s %s", code, out, errOut)
	}
	_, out, _ := runMain(t, "check", "-config", path)
	for _, want := range []string{
		`warn  old extra   the amoCRM extra's plugin "amocrm" is enabled: it sends every order, status change and user too`,
		`warn  old hook    the extra's FormIt hook amocrmaddcontact is named in resource ` + strconv.FormatInt(e.shop.Form, 10) + ` "Обратный звонок": `,
		"warn  old queue   1 of the extra's simpleQueue tasks wait (the newest from ",
		"find the line with `crontab -l -u <the web server's user> | grep secondlyrunner`",
		"warn  orders      2 of 2 orders at status 0 are placed orders",
		"warn  old token   the extra still runs with the token modx-amocrm took over",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("check lacks %q:\n%s", want, out)
		}
	}

	e.stopExtra()
	_, out, _ = runMain(t, "check", "-config", path)
	if want := "ok    old extra   the amoCRM extra's plugin is not enabled; it left amocrm_leads (4 order deals, 0 form deals), " +
		"amocrm_users (2 contacts), amocrm_status, amocrm_token_field: the first run takes over its links"; !strings.Contains(out, want) {
		t.Errorf("check lacks %q:\n%s", want, out)
	}
	for _, gone := range []string{"old hook", "old queue"} {
		if strings.Contains(out, gone) {
			t.Errorf("check still says %q:\n%s", gone, out)
		}
	}
	if want := "ok    old token   the token taken over from the extra is modx-amocrm's alone"; !strings.Contains(out, want) {
		t.Errorf("check lacks %q:\n%s", want, out)
	}

	// The extra, still running somewhere, refreshes the token after the
	// takeover: ours is dead, and check fails saying what to do.
	testdb.Exec(t, e.db, `UPDATE modx_system_settings SET value = '{"token_type":"Bearer","expires_in":1,"access_token":"a2","refresh_token":"r2"}' WHERE `+"`key` = 'amocrm_token_field'")
	code, out, _ := runMain(t, "check", "-config", path)
	if want := "FAIL  old token   the extra refreshed the token after `modx-amocrm auth -from-modx` took it over"; code != exitFatal || !strings.Contains(out, want) {
		t.Errorf("exit %d, want %d and %q:\n%s", code, exitFatal, want, out)
	}
}

// TestSwitchFromExtraZeroConfig: a default 1.9.3 install left on its
// zero-config path (amocrm_pipeline_id empty): the extra exchanged the code
// and saved its token, then crashed inside msOnCreateOrder on every
// checkout, leaving the orders at status 0 with no deal. The imported file
// passes check against the sandbox's default account unedited: the first
// run makes the site pipeline, and check counts the orders left behind.
func TestSwitchFromExtraZeroConfig(t *testing.T) {
	db, dsn := testdb.New(t)
	o := modxtest.Options{Prefix: "modx_", OldExtra: true, MyISAM: true, SiteName: "Лавка"}
	ctx := context.Background()
	if err := modxtest.Create(ctx, db, o); err != nil {
		t.Fatal(err)
	}
	box, url := sandboxtest.Start(t, sandbox.Options{RPS: -1})
	e := &switchEnv{shopEnv: &shopEnv{t: t, ctx: ctx, db: db, dsn: dsn, shop: o, box: box, url: url}, dir: t.TempDir()}
	for k, v := range map[string]string{"amocrm_account": "example", "amocrm_client_id": sandbox.DefaultClientID,
		"amocrm_client_secret": sandbox.DefaultClientSecret, "amocrm_client_code": sandbox.DefaultAuthCode, "site_url": sandbox.DefaultRedirectURI} {
		if err := modxtest.SetSetting(ctx, db, o, k, v); err != nil {
			t.Fatal(err)
		}
	}
	var now time.Time
	if err := db.Get(&now, "SELECT UTC_TIMESTAMP()"); err != nil {
		t.Fatal(err)
	}
	extra := &modxtest.Extra{DB: db, Shop: o, BaseURL: url}
	if err := extra.Authorize(ctx, sandbox.DefaultClientID, sandbox.DefaultClientSecret, sandbox.DefaultAuthCode, sandbox.DefaultRedirectURI, now); err != nil {
		t.Fatal(err)
	}
	for _, ago := range []time.Duration{3 * time.Hour, 2 * time.Hour} {
		e.order(modxtest.OrderSpec{Guest: true, Unplaced: true, CreatedOn: now.Add(-ago)})
	}

	path := e.importConfig()
	if code, out, errOut := runMain(t, "auth", "-config", path, "-from-modx"); code != exitOK {
		t.Fatalf("auth -from-modx: exit %d: %s %s", code, out, errOut)
	}
	code, out, _ := runMain(t, "check", "-config", path)
	if code != exitOK {
		t.Errorf("check: exit %d, want %d:\n%s", code, exitOK, out)
	}
	for _, want := range []string{
		`ok    pipeline    orders.pipeline_id = 0: the first run creates a pipeline named "Лавка" mirroring miniShop2's statuses`,
		"warn  orders      2 of 2 orders at status 0 are placed orders",
		"ok    ids         every pipeline, status, user and field the config names exists",
		"ok    token       oauth token",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("check lacks %q:\n%s", want, out)
		}
	}
}

// TestSwitchFromExtraRun follows the README's steps on a default 1.9.3
// install with deals and name-only contacts the extra made: import, take
// the token over, stop the extra, check, dry run, run. No second deal for
// an order it sent, one contact each for Иван and Мария (hers gaining the
// phone and e-mail of her order after the switch), every deal at the
// status its order has, the web order miniShop2 4.4.1 left at status 0
// sent at «Новый» with the warning; then an edited status map and a later
// status change move deals.
func TestSwitchFromExtraRun(t *testing.T) {
	e := newSwitchEnv(t)
	path := e.importConfig()
	if code, out, errOut := e.show("auth", "-config", path, "-from-modx"); code != exitOK {
		t.Fatalf("auth -from-modx: exit %d: %s %s", code, out, errOut)
	}
	e.stopExtra()
	// Meanwhile a manager marks Иван's paid order sent: no extra moves it.
	if err := modxtest.ChangeStatusBy(e.ctx, e.db, e.shopEnv.shop, e.shop.Sent[0], 3, e.shop.Admin, time.Now()); err != nil {
		t.Fatal(err)
	}
	if code, out, _ := e.show("check", "-config", path); code != exitOK || !strings.Contains(out, "sent at the shop's new-order status 1") {
		t.Errorf("check: exit %d:\n%s", code, out)
	}
	deals, contacts := len(e.box.Leads()), len(e.box.Contacts())

	code, out, errOut := e.show("run", "-config", path, "-once", "-dry-run")
	if code != exitOK {
		t.Fatalf("run -once -dry-run: exit %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{
		"taken over: 4 order deals (amocrm_leads) and 2 contacts of MODX users (amocrm_users)",
		"orders up to id " + strconv.FormatInt(e.shop.Sent[3], 10) + ", the newest it sent, are history",
		"deal taken over from the old extra",
		"status: Оплачен -> Отправлен",
		"the contact linked to MODX user " + strconv.FormatInt(e.shop.Maria, 10),
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the dry run does not show %q:\n%s", want, out)
		}
	}
	if got := len(e.box.Leads()); got != deals {
		t.Fatalf("the dry run made deals: %d, want %d", got, deals)
	}

	code, out, errOut = e.show("run", "-config", path, "-once")
	if code != exitOK {
		t.Fatalf("run -once: exit %d\n%s\n%s", code, out, errOut)
	}
	if got := len(e.box.Leads()); got != deals+1 {
		t.Errorf("deals: got %d, want the extra's %d and the order placed after it stopped", got, deals)
	}
	if got := len(e.box.Contacts()); got != contacts {
		t.Errorf("contacts: got %d, want the extra's %d (one each for Иван and Мария)", got, contacts)
	}
	maria := e.shop.Contacts[e.shop.Maria]
	if phones, emails := e.contactValues(maria); !slices.Contains(phones, "+79220000002") || !slices.Contains(emails, "maria.new@mail.ru") {
		t.Errorf("Мария's contact holds %v %v, want her new phone and e-mail", phones, emails)
	}
	atZero := e.shop.AtZero[1]
	if want := fmt.Sprintf("order_id=%d note=\"placed but left at status 0, sent at the shop's new-order status 1", atZero); !strings.Contains(errOut, want) {
		t.Errorf("no warning for the order at status 0 (%s):\n%s", want, errOut)
	}
	statuses := map[int64]int64{e.shop.Sent[0]: 31003, e.shop.Sent[1]: 31003, e.shop.Sent[2]: 32004, e.shop.Sent[3]: 31001}
	e.assertStatuses(statuses)
	if l := e.newDeal(deals); l.StatusID != 31001 || len(l.Contacts) != 1 || l.Contacts[0].ID != maria {
		t.Errorf("the deal of order %d: status %d, contacts %v; want «Новый» on Мария's contact %d", atZero, l.StatusID, l.Contacts, maria)
	}

	// The map is edited by hand: shop status 3 goes to «Оплачен» in the main
	// pipeline. The next run moves the deals there, Иван's and Мария's.
	e.editConfig(path, "3 = 31003", "3 = 31002")
	if code, _, errOut := e.show("run", "-config", path, "-once"); code != exitOK {
		t.Fatalf("run -once after the map edit: exit %d\n%s", code, errOut)
	}
	statuses[e.shop.Sent[0]], statuses[e.shop.Sent[1]] = 31002, 31002
	e.assertStatuses(statuses)

	// A later status change moves its deal.
	if err := modxtest.ChangeStatusBy(e.ctx, e.db, e.shopEnv.shop, e.shop.Sent[0], 4, e.shop.Admin, time.Now()); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := e.show("run", "-config", path, "-once"); code != exitOK {
		t.Fatalf("run -once after a status change: exit %d\n%s", code, errOut)
	}
	statuses[e.shop.Sent[0]] = 31004
	e.assertStatuses(statuses)
}

// assertStatuses checks the statuses of the extra's deals, by order.
func (e *switchEnv) assertStatuses(want map[int64]int64) {
	e.t.Helper()
	got := map[int64]int64{}
	for _, l := range e.box.Leads() {
		got[l.ID] = l.StatusID
	}
	for order, status := range want {
		if lead := e.shop.Deals[order]; got[lead] != status {
			e.t.Errorf("order %d's deal %d: status %d, want %d", order, lead, got[lead], status)
		}
	}
}

// newDeal is the deal made after the first n, the extra's.
func (e *switchEnv) newDeal(n int) sandbox.LeadState {
	e.t.Helper()
	leads := e.box.Leads()
	if len(leads) != n+1 {
		e.t.Fatalf("%d deals, want %d", len(leads), n+1)
	}
	slices.SortFunc(leads, func(a, b sandbox.LeadState) int { return int(a.ID - b.ID) })
	return leads[n]
}

// contactValues are the phones and e-mails of contact id.
func (e *switchEnv) contactValues(id int64) (phones, emails []string) {
	for _, c := range e.box.Contacts() {
		if c.ID != id {
			continue
		}
		for _, f := range c.CustomFieldsValues {
			for _, v := range f.Values {
				switch f.FieldCode {
				case "PHONE":
					phones = append(phones, fmt.Sprint(v.Value))
				case "EMAIL":
					emails = append(emails, fmt.Sprint(v.Value))
				}
			}
		}
	}
	return phones, emails
}

// editConfig replaces old with new in the config file, as a person edits it.
func (e *switchEnv) editConfig(path, old, new string) {
	e.t.Helper()
	data, err := os.ReadFile(path)
	if err != nil || !strings.Contains(string(data), old) {
		e.t.Fatalf("the config lacks %q: %v", old, err)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(data), old, new, 1)), 0o600); err != nil {
		e.t.Fatal(err)
	}
}
