package main

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/modx/modxtest"
	"github.com/modx-amocrm/modx-amocrm/internal/sandbox"
)

func TestRunOnceBackfill(t *testing.T) {
	e := newShopEnv(t, modxtest.Options{})
	ds := e.generate(200)
	cfg := e.config("")

	code, _, errOut := runMain(t, "run", "-config", cfg, "-once")
	if code != exitOK {
		t.Fatalf("first run: exit %d, want %d; stderr:\n%s", code, exitOK, errOut)
	}
	if !strings.Contains(errOut, "created ") || !strings.Contains(errOut, "requests") {
		t.Errorf("no summary line on stderr:\n%s", errOut)
	}
	assertOneDealPerOrder(t, e, ds)

	leads := len(e.box.Leads())
	code, _, errOut = runMain(t, "run", "-config", cfg, "-once")
	if code != exitOK {
		t.Fatalf("second run: exit %d; stderr:\n%s", code, errOut)
	}
	if !strings.Contains(errOut, "created 0,") {
		t.Errorf("second run created something:\n%s", errOut)
	}
	if got := len(e.box.Leads()); got != leads {
		t.Errorf("deals after the second run: got %d, want %d", got, leads)
	}
}

func TestRunOnceParksFailedRetry(t *testing.T) {
	e := newShopEnv(t, modxtest.Options{})
	good := e.order(modxtest.OrderSpec{Address: map[string]any{"phone": "+7 999 111-22-33"}})
	broken := e.order(modxtest.OrderSpec{Properties: "{", Address: map[string]any{"phone": "+7 999 111-22-44"}})
	cfg := e.config("")

	code, _, errOut := runMain(t, "run", "-config", cfg, "-once")
	if code != exitParked {
		t.Fatalf("run: exit %d, want %d; stderr:\n%s", code, exitParked, errOut)
	}
	if got := e.dealsByOrder()[strconv.FormatInt(good, 10)]; got != 1 {
		t.Errorf("good order %d has %d deals, want 1", good, got)
	}

	code, out, errOut := runMain(t, "failed", "-config", cfg)
	if code != exitOK {
		t.Fatalf("failed: exit %d; stderr:\n%s", code, errOut)
	}
	key := "order:" + strconv.FormatInt(broken, 10)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[1], key) || !strings.Contains(lines[1], "properties") {
		t.Errorf("failed lists:\n%s\nwant a header and %s with a reason about its properties", out, key)
	}

	code, out, _ = runMain(t, "failed", "-config", cfg, "-json")
	var list []parked
	if err := json.Unmarshal([]byte(out), &list); code != exitOK || err != nil || len(list) != 1 || list[0].Key != key {
		t.Errorf("failed -json: exit %d, %v, got %+v", code, err, list)
	}

	code, out, errOut = runMain(t, "retry", "-config", cfg, key)
	if code != exitOK || !strings.Contains(out, "re-queued 1 ") {
		t.Errorf("retry: exit %d, stdout %q, stderr %q; want 1 re-queued", code, out, errOut)
	}
	var next *string
	if err := e.db.Get(&next, "SELECT CAST(next_attempt_at AS CHAR) FROM amocrm_sync_failures WHERE kind = 'order' AND source_id = ?", broken); err != nil {
		t.Fatal(err)
	}
	if next == nil {
		t.Error("after retry the order still waits for retry; want it due")
	}
}

func TestRetryUsage(t *testing.T) {
	for _, args := range [][]string{
		{"retry"},
		{"retry", "order"},
		{"retry", "order:x"},
		{"retry", "-all", "order:1"},
	} {
		if code, _, _ := runMain(t, args...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
		}
	}
}

func TestRunUsage(t *testing.T) {
	for _, args := range [][]string{
		{"run", "-since", "yesterday"},
		{"run", "-only", "orders,carts"},
		{"run", "-report", "r.json"},
		{"run", "extra"},
	} {
		if code, _, _ := runMain(t, args...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
		}
	}
}

func TestRunDryRunWritesNothing(t *testing.T) {
	e := newShopEnv(t, modxtest.Options{})
	e.generate(50)
	cfg := e.config("")
	// A first real pass creates the state tables and a few links, so the
	// dry run has something to compare against.
	if code, _, errOut := runMain(t, "run", "-config", cfg, "-once", "-only", "orders"); code != exitOK {
		t.Fatalf("real run: exit %d; stderr:\n%s", code, errOut)
	}
	for i := range 5 {
		e.order(modxtest.OrderSpec{Address: map[string]any{"phone": "+7 912 000-00-0" + strconv.Itoa(i)}})
	}
	rows, writes := e.stateRows(), e.writes()

	path := filepath.Join(t.TempDir(), "report.json")
	code, out, errOut := runMain(t, "run", "-config", cfg, "-dry-run", "-report", path)
	if code != exitOK {
		t.Fatalf("dry run: exit %d; stderr:\n%s", code, errOut)
	}
	if got := e.stateRows(); !maps.Equal(got, rows) {
		t.Errorf("state rows changed: before %v, after %v", rows, got)
	}
	if got := e.writes(); got != writes {
		t.Errorf("sandbox write requests: before %d, after %d", writes, got)
	}
	if !strings.Contains(out, "create") {
		t.Errorf("text report on stdout lacks the creates:\n%s", out)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		DryRun  bool `json:"dry_run"`
		Entries []struct {
			Action string `json:"action"`
			Kind   string `json:"kind"`
		} `json:"entries"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatalf("report.json does not parse: %v", err)
	}
	creates := 0
	for _, en := range doc.Entries {
		if en.Kind == "lead" && en.Action == "create" {
			creates++
		}
	}
	if !doc.DryRun || creates != 5 {
		t.Errorf("report: dry_run %v, %d deal creates; want true and 5", doc.DryRun, creates)
	}
}

// TestRunStopsOnUnpaidAccount: an unpaid account (402), or one whose writes
// get 400 "Код ошибки 244" (no rights, or the subscription ended), stops a
// run and the daemon with exit 1 and a plain message, whichever source
// writes first.
func TestRunStopsOnUnpaidAccount(t *testing.T) {
	unpaid := map[string]func(*sandbox.Server){
		"402":                func(s *sandbox.Server) { s.SetFaults(sandbox.Faults{Unpaid: true}) },
		"400 Код ошибки 244": func(s *sandbox.Server) { s.SetModes(sandbox.Modes{Error244: true}) }, // writes only
	}
	sources := map[string]struct {
		config string
		seed   func(e *shopEnv)
	}{
		"order": {seed: func(e *shopEnv) { e.order(modxtest.OrderSpec{}) }},
		"unsorted form": {config: "[forms]\nenabled = true\nas_lead = true\nunsorted = true\npipeline_id = \"Воронка\"\n", seed: func(e *shopEnv) {
			if _, err := modxtest.InsertForm(e.ctx, e.db, e.shop, modxtest.FormSpec{Values: `{"phone":"+7 999 000-00-01"}`}); err != nil {
				e.t.Fatal(err)
			}
		}},
		"user": {config: "[users]\nenabled = true\n", seed: func(e *shopEnv) {
			if _, err := modxtest.InsertUser(e.ctx, e.db, e.shop, modxtest.UserSpec{Phone: "+7 999 000-00-02"}); err != nil {
				e.t.Fatal(err)
			}
		}},
	}
	for name, setUnpaid := range unpaid {
		for source, src := range sources {
			t.Run(name+"/"+source, func(t *testing.T) {
				e := newShopEnv(t, modxtest.Options{FormIt: true})
				src.seed(e)
				cfg := e.config(src.config)
				setUnpaid(e.box)
				for _, args := range [][]string{
					{"run", "-config", cfg, "-once"},
					{"run", "-config", cfg}, // the daemon exits too, so systemd shows the failure
				} {
					code, _, errOut := runMain(t, args...)
					if code != exitFatal || !strings.Contains(errOut, "not paid") {
						t.Errorf("%v: exit %d, stderr %q; want %d and a plain message", args, code, errOut, exitFatal)
					}
				}
			})
		}
	}
}

// TestRunRemembersFiltersIgnored: a run that finds the account ignoring
// filter[id][] (it answers its whole list) records it in the state, and the
// next run reads deals by id without asking with a filter first.
func TestRunRemembersFiltersIgnored(t *testing.T) {
	for _, tc := range []struct {
		name  string
		modes sandbox.Modes
		// told: the account answers with=is_api_filter_enabled, so no run
		// ever sends a filter; else the second run finds it out from an
		// answer and the third remembers.
		told bool
	}{
		{"the account says so", sandbox.Modes{FiltersIgnored: true}, true},
		{"found out and remembered", sandbox.Modes{FiltersIgnored: true, NoFilterFlag: true}, false},
	} {
		t.Run(tc.name, func(t *testing.T) { testRunRemembersFiltersIgnored(t, tc.modes, tc.told) })
	}
}

func testRunRemembersFiltersIgnored(t *testing.T, modes sandbox.Modes, told bool) {
	e := newShopEnv(t, modxtest.Options{})
	e.box.SetModes(modes)
	id := e.order(modxtest.OrderSpec{Address: map[string]any{"phone": "+7 999 111-22-44"}})
	// Another deal, so that the whole list is more than the deal asked for.
	e.order(modxtest.OrderSpec{Address: map[string]any{"phone": "+7 999 111-22-45"}})
	cfg := e.config("")
	filtered := func() int {
		n := 0
		for _, r := range e.box.Requests() {
			if strings.Contains(r.Query, "filter%5B") || strings.Contains(r.Query, "filter[") {
				n++
			}
		}
		return n
	}
	statuses := modxtest.Statuses(e.shop)
	for i, status := range []int64{0, statuses.Paid, statuses.Sent} {
		if status != 0 { // a status change: the deal is read before it moves
			if err := modxtest.ChangeStatus(e.ctx, e.db, e.shop, id, status, time.Time{}); err != nil {
				t.Fatal(err)
			}
		}
		e.box.ResetRequests()
		if code, _, errOut := runMain(t, "run", "-config", cfg, "-once"); code != exitOK {
			t.Fatalf("run %d: exit %d; stderr:\n%s", i+1, code, errOut)
		}
		switch got := filtered(); {
		case told && got > 0:
			t.Errorf("run %d: %d filtered requests, want none (the account says it ignores them)", i+1, got)
		case !told && i == 1 && got == 0:
			t.Fatalf("run %d asked nothing with a filter: the test no longer finds the account out", i+1)
		case !told && i == 2 && got > 0:
			t.Errorf("run %d: %d filtered requests, want none (the account is known to ignore them)", i+1, got)
		}
	}
	if got := len(e.box.Leads()); got != 2 {
		t.Errorf("deals: got %d, want 2", got)
	}
}

// TestRunOnceParksOrderLeftAtStatusZero (issue 11 case 5): an order at
// status 0 without its address is a checkout that failed before writing
// it: once past sync.abandon_after it is parked, `failed` lists it and
// run -once exits 3. (With its products and address it is a placed order
// and is sent: issue 21.)
func TestRunOnceParksOrderLeftAtStatusZero(t *testing.T) {
	e := newShopEnv(t, modxtest.Options{})
	var now time.Time
	if err := e.db.Get(&now, "SELECT UTC_TIMESTAMP()"); err != nil {
		t.Fatal(err)
	}
	stuck := e.order(modxtest.OrderSpec{Unplaced: true, NoAddress: true, CreatedOn: now.Add(-2 * time.Hour)})
	cfg := e.config("")
	if code, _, errOut := runMain(t, "run", "-config", cfg, "-once"); code != exitParked {
		t.Fatalf("run: exit %d, want %d; stderr:\n%s", code, exitParked, errOut)
	}
	_, out, _ := runMain(t, "failed", "-config", cfg)
	if key := "order:" + strconv.FormatInt(stuck, 10); !strings.Contains(out, key) || !strings.Contains(out, "status 0") {
		t.Errorf("failed does not list %s at status 0:\n%s", key, out)
	}
}

// TestDryRunFailureSaysSo: a dry run that fails says so where its report
// goes, not "nothing to do", exits 1, and its -report file records the
// error and when the run was.
func TestDryRunFailureSaysSo(t *testing.T) {
	e := newShopEnv(t, modxtest.Options{})
	e.order(modxtest.OrderSpec{})
	cfg := writeText(t, strings.Replace(e.configText(""), `pipeline_id = "Воронка"`, `pipeline_id = "Воронка 2"`, 1), 0o600)
	before := time.Now().Add(-time.Second)
	for _, name := range []string{"report.json", "report.html"} {
		path := filepath.Join(t.TempDir(), name)
		code, out, errOut := runMain(t, "run", "-dry-run", "-config", cfg, "-report", path)
		if code != exitFatal || !strings.Contains(errOut, `"Воронка 2"`) {
			t.Errorf("%s: exit %d, stderr %q; want %d and the pipeline named", name, code, errOut, exitFatal)
		}
		if strings.Contains(out, "nothing to do") || lineOf(out, "failed ") == "" {
			t.Errorf("%s: stdout says nothing failed:\n%s", name, out)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if name == "report.html" {
			if !strings.Contains(string(data), `<p class="error">the pass failed: `) {
				t.Errorf("report.html does not say the pass failed")
			}
			continue
		}
		var doc struct {
			Error   string    `json:"error"`
			Started time.Time `json:"started"`
		}
		if err := json.Unmarshal(data, &doc); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(doc.Error, `"Воронка 2"`) || doc.Started.Before(before) || doc.Started.After(time.Now()) {
			t.Errorf("report.json: error %q, started %v; want the error and a time of this run", doc.Error, doc.Started)
		}
	}
}

// TestDryRunPipedIsCapped: piped, a dry run prints its summary and at most
// pipedEntries entries, parked ones first, and names the file holding all.
func TestDryRunPipedIsCapped(t *testing.T) {
	e := newShopEnv(t, modxtest.Options{})
	e.generate(300)
	e.order(brokenOrder) // parked: its properties are not JSON
	path := filepath.Join(t.TempDir(), "report.json")
	code, out, errOut := runMain(t, "run", "-dry-run", "-config", e.config(""), "-report", path)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	entry := regexp.MustCompile(`(?m)^(create|update|unchanged|skip|park) +\S+ +\S+`)
	entries := entry.FindAllString(out, -1)
	if len(entries) != pipedEntries || !strings.HasPrefix(entries[0], "park ") {
		t.Errorf("%d entries printed, the first %q; want %d, the parked order first", len(entries), entries[0], pipedEntries)
	}
	if !regexp.MustCompile(`(?m)^… \d+ more entries in the report: ` + regexp.QuoteMeta(path) + `$`).MatchString(out) {
		t.Errorf("stdout does not say where the other entries are:\n%s", out)
	}
}

// TestRunSaysWhatItDidNot: a run that would do nothing and say nothing
// says why instead: a source -only names that the config turns off, and a
// token amoCRM refuses when there was nothing to send.
func TestRunSaysWhatItDidNot(t *testing.T) {
	e := newShopEnv(t, modxtest.Options{})
	cfg := e.config("")
	code, _, errOut := runMain(t, "run", "-once", "-only", "forms", "-config", cfg)
	want := "modx-amocrm run: -only forms: forms.enabled is false in " + cfg + ", so there is nothing to run; set it to true first\n"
	if code != exitUsage || errOut != want {
		t.Errorf("-only forms with forms off: exit %d, stderr %q; want %d, %q", code, errOut, exitUsage, want)
	}

	// A first run caches the account's metadata: the next has nothing to ask.
	if code, _, errOut := runMain(t, "run", "-once", "-config", cfg); code != exitOK {
		t.Fatalf("first run: exit %d: %s", code, errOut)
	}
	bad := writeText(t, strings.Replace(e.configText(""), shopToken, "not-the-token", 1), 0o600)
	for _, args := range [][]string{{"run", "-once", "-config", bad}, {"run", "-dry-run", "-config", bad}} {
		code, _, errOut = runMain(t, args...)
		if code != exitFatal || !strings.Contains(errOut, "nothing to send; checking the token: amoCRM refused the access token (HTTP 401") || strings.Contains(errOut, "not-the-token") {
			t.Errorf("%v with a bad token and nothing to send: exit %d, stderr %q", args, code, errOut)
		}
	}
}
