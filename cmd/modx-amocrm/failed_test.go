package main

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/modx-amocrm/modx-amocrm/internal/modx/modxtest"
)

// brokenOrder is an order whose properties are not JSON: it is parked.
var brokenOrder = modxtest.OrderSpec{Num: "2510/7", Properties: "{", Address: map[string]any{"phone": "+7 999 111-22-44"}}

// TestFailedShowsOrderNumberAndZone: the order number shop staff know
// stands beside the record key, and times carry the shop's zone.
func TestFailedShowsOrderNumberAndZone(t *testing.T) {
	e := newShopEnv(t, modxtest.Options{})
	id := e.order(brokenOrder)
	cfg := writeText(t, strings.Replace(e.configText(""), "[modx]\n", "[modx]\ntimezone = \"Europe/Moscow\"\n", 1), 0o600)
	if code, _, errOut := runMain(t, "run", "-once", "-config", cfg); code != exitParked {
		t.Fatalf("run: exit %d, want %d: %s", code, exitParked, errOut)
	}
	code, out, errOut := runMain(t, "failed", "-config", cfg)
	if code != exitOK {
		t.Fatalf("failed: exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	header := regexp.MustCompile(`^RECORD +ORDER +ATTEMPTS +NEXT ATTEMPT +PARKED SINCE +LAST ATTEMPT +REASON$`)
	const when = `\d{4}-\d\d-\d\d \d\d:\d\d:\d\d MSK`
	row := regexp.MustCompile(`^order:` + strconv.FormatInt(id, 10) + ` +2510/7 +1 +` + when + ` +` + when + ` +` + when + ` +.*properties`)
	if len(lines) != 2 || !header.MatchString(lines[0]) || !row.MatchString(lines[1]) {
		t.Errorf("failed printed:\n%s\nwant a header and the order with its number, times in MSK and the reason", out)
	}

	_, out, _ = runMain(t, "failed", "-config", cfg, "-json")
	var list []parked
	if err := json.Unmarshal([]byte(out), &list); err != nil || len(list) != 1 || list[0].OrderNum != "2510/7" {
		t.Errorf("failed -json: %v, %+v; want order_num 2510/7", err, list)
	}
}

// TestRetryNotParked: naming a record that is not parked says which and
// exits 1; the parked ones named with it are still re-queued.
func TestRetryNotParked(t *testing.T) {
	e := newShopEnv(t, modxtest.Options{})
	id := e.order(brokenOrder)
	cfg := e.config("")
	if code, _, errOut := runMain(t, "run", "-once", "-config", cfg); code != exitParked {
		t.Fatalf("run: exit %d: %s", code, errOut)
	}
	parkedKey := "order:" + strconv.FormatInt(id, 10)

	code, out, errOut := runMain(t, "retry", "-config", cfg, "order:999", "form:3")
	want := "modx-amocrm retry: not parked, so not re-queued: order:999, form:3 (`modx-amocrm failed` lists the parked records)\n"
	if code != exitFatal || out != "" || errOut != want {
		t.Errorf("retry order:999 form:3: exit %d, stdout %q, stderr %q; want %d, nothing, %q", code, out, errOut, exitFatal, want)
	}

	// Flags after the records, as people type them.
	code, out, errOut = runMain(t, "retry", parkedKey, "order:999", "-config", cfg)
	want = "modx-amocrm retry: not parked, so not re-queued: order:999 (`modx-amocrm failed` lists the parked records)\n"
	if code != exitFatal || out != "re-queued 1 record; the next pass sends it\n" || errOut != want {
		t.Errorf("retry %s order:999: exit %d, stdout %q, stderr %q", parkedKey, code, out, errOut)
	}
}

// TestRunParkedMessage: a pass that parks nothing does not say it parked;
// it says what earlier passes parked still waits (and exits 3 for alerts).
func TestRunParkedMessage(t *testing.T) {
	e := newShopEnv(t, modxtest.Options{})
	e.order(brokenOrder)
	cfg := e.config("")
	code, _, errOut := runMain(t, "run", "-once", "-config", cfg)
	if last := lastLine(errOut); code != exitParked || last != "modx-amocrm run: 1 record was parked: see `modx-amocrm failed`: some records were parked" {
		t.Errorf("first run: exit %d, last line %q", code, last)
	}
	code, _, errOut = runMain(t, "run", "-once", "-config", cfg)
	if !strings.Contains(errOut, "parked 0;") {
		t.Fatalf("second run parked again (the retry is a minute away):\n%s", errOut)
	}
	if last := lastLine(errOut); code != exitParked || last != "modx-amocrm run: 1 record parked by earlier passes still waits: see `modx-amocrm failed`: some records were parked" {
		t.Errorf("second run: exit %d, last line %q", code, last)
	}
}

// TestMaxAttemptsFromConfig: sync.max_attempts = 1 parks a record for good
// on its first failure: it waits for `retry`.
func TestMaxAttemptsFromConfig(t *testing.T) {
	e := newShopEnv(t, modxtest.Options{})
	e.order(brokenOrder)
	cfg := writeText(t, strings.Replace(e.configText(""), "[sync]\n", "[sync]\nmax_attempts = 1\n", 1), 0o600)
	if code, _, errOut := runMain(t, "run", "-once", "-config", cfg); code != exitParked {
		t.Fatalf("run: exit %d: %s", code, errOut)
	}
	_, out, _ := runMain(t, "failed", "-config", cfg, "-json")
	var list []parked
	if err := json.Unmarshal([]byte(out), &list); err != nil || len(list) != 1 || list[0].NextAttemptAt != nil {
		t.Errorf("failed -json: %v, %s; want one record with next_attempt_at null", err, out)
	}
	if _, out, _ = runMain(t, "failed", "-config", cfg); !strings.Contains(out, "waits for retry") {
		t.Errorf("failed does not say the record waits for retry:\n%s", out)
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}
