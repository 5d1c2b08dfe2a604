package amocrm_test

// The client against the sandbox's strict modes, over real HTTP: each test
// shows the client right on an account harsher than the default one.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/amocrm"
	"github.com/modx-amocrm/modx-amocrm/internal/crm"
	"github.com/modx-amocrm/modx-amocrm/internal/sandbox"
	"github.com/modx-amocrm/modx-amocrm/internal/sandbox/sandboxtest"
)

// strictSandbox serves a sandbox in modes, without a rate limit and on a
// settable clock, and a client that neither waits nor sleeps.
func strictSandbox(t *testing.T, modes sandbox.Modes, mod func(*amocrm.Config)) (*sandbox.Server, *amocrm.Client, *sandboxtest.Clock) {
	t.Helper()
	clock := sandboxtest.NewClock()
	srv, c := sandboxLongLived(t, sandbox.Options{RPS: -1, Now: clock.Now, Modes: modes}, func(cfg *amocrm.Config) {
		cfg.RateLimit, cfg.BatchSize, cfg.Sleep = 1000, amocrm.MaxBatchSize, new(noSleep).sleep
		if mod != nil {
			mod(cfg)
		}
	})
	return srv, c, clock
}

func isGet(r sandbox.RequestLog) bool { return r.Method == http.MethodGet }

func named(prefix string, n int) []crm.Contact {
	out := make([]crm.Contact, n)
	for i := range out {
		out[i].Name = fmt.Sprintf("%s %d", prefix, i)
	}
	return out
}

func contactIDs(cs []crm.Contact) []int64 {
	out := make([]int64, len(cs))
	for i, c := range cs {
		out[i] = c.ID
	}
	slices.Sort(out)
	return out
}

// On an account without the filter alpha, filter[id][] answers everything:
// the client notices, reads the ids without filters instead (here the two
// newest-first pages of the 300 contacts), and remembers it. Asked first
// (Filters, once), the account's own answer decides: no probe when it says
// "disabled", a remembered "ignored" dropped when it says "enabled", and
// found out from answers when it says nothing.
func TestStrictFiltersIgnoredByIDs(t *testing.T) {
	ctx := context.Background()
	const unasked = -1
	for _, tt := range []struct {
		name          string
		modes         sandbox.Modes
		seeded        bool                 // Config.FiltersIgnored from an earlier run
		answer        amocrm.FilterSupport // what Filters says, asked before the reads; unasked: not asked
		wantRequests  []int                // GETs of the first and the second call
		wantIgnored   bool
		wantCallbacks int
	}{
		{"filters honoured", sandbox.Modes{}, false, unasked, []int{1, 1}, false, 0},
		{"filters ignored", sandbox.Modes{FiltersIgnored: true}, false, unasked, []int{1 + 2, 2}, true, 1},
		{"known from an earlier run", sandbox.Modes{FiltersIgnored: true}, true, unasked, []int{2, 2}, true, 0},
		{"asked: enabled", sandbox.Modes{}, false, amocrm.FiltersEnabled, []int{1, 1}, false, 0},
		{"asked: enabled, ignored remembered", sandbox.Modes{}, true, amocrm.FiltersEnabled, []int{1, 1}, false, 0},
		{"asked: disabled", sandbox.Modes{FiltersIgnored: true}, false, amocrm.FiltersDisabled, []int{2, 2}, true, 1},
		{"asked: strict", sandbox.Modes{}.Strict(), false, amocrm.FiltersDisabled, []int{2, 2}, true, 1},
		{"asked: not said, filters work", sandbox.Modes{NoFilterFlag: true}, false, amocrm.FiltersUnknown, []int{1, 1}, false, 0},
		{"asked: not said, filters ignored", sandbox.Modes{NoFilterFlag: true, FiltersIgnored: true}, false, amocrm.FiltersUnknown, []int{1 + 2, 2}, true, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			callbacks := 0
			srv, c, _ := strictSandbox(t, tt.modes, func(cfg *amocrm.Config) {
				cfg.FiltersIgnored = tt.seeded
				cfg.OnFiltersIgnored = func() { callbacks++ }
			})
			all, err := c.CreateContacts(ctx, named("Клиент", 300))
			if err != nil {
				t.Fatal(err)
			}
			if tt.answer != unasked {
				srv.ResetRequests()
				for range 2 {
					if got, err := c.Filters(ctx); err != nil || got != tt.answer {
						t.Fatalf("Filters() = %v, %v; want %v", got, err, tt.answer)
					}
				}
				reqs := srv.Requests()
				if len(reqs) != 1 || reqs[0].Method != "GET" || reqs[0].Path != "/api/v4/account" || reqs[0].Query != "with=is_api_filter_enabled" {
					t.Errorf("two calls of Filters made %+v, want one GET /api/v4/account?with=is_api_filter_enabled", reqs)
				}
			}
			want := []int64{all[7].ID, all[150].ID, all[299].ID}
			for i, wantGets := range tt.wantRequests {
				srv.ResetRequests()
				got, err := c.ContactsByIDs(ctx, []int64{want[2], want[0], want[1]})
				if err != nil {
					t.Fatal(err)
				}
				if ids := contactIDs(got); !slices.Equal(ids, want) {
					t.Errorf("call %d: got %d contacts %v, want exactly %v", i+1, len(ids), ids[:min(len(ids), 5)], want)
				}
				if n := countRequests(srv, isGet); n != wantGets {
					t.Errorf("call %d: %d GETs, want %d", i+1, n, wantGets)
				}
			}
			if c.FiltersIgnored() != tt.wantIgnored || callbacks != tt.wantCallbacks {
				t.Errorf("FiltersIgnored() = %v, callbacks %d; want %v and %d", c.FiltersIgnored(), callbacks, tt.wantIgnored, tt.wantCallbacks)
			}
		})
	}
}

// Without filters, ids are read from the top of the list while its pages
// hold some of them, the rest one a request: never more than one request
// more than reading each, and a page for many recent ones.
func TestStrictScanForIDs(t *testing.T) {
	ctx := context.Background()
	srv, c, _ := strictSandbox(t, sandbox.Modes{FiltersIgnored: true}, func(cfg *amocrm.Config) { cfg.FiltersIgnored = true })
	all, err := c.CreateContacts(ctx, named("Клиент", 1000))
	if err != nil {
		t.Fatal(err)
	}
	deleted := all[999].ID + 1000 // never created
	for _, tt := range []struct {
		name string
		at   []int // indexes into all; -1 the id amoCRM does not have
		gets int
	}{
		{"the newest 100", seq(900, 1000), 1},
		{"recent ones over two pages", []int{999, 800, 700, 600}, 2},
		{"one recent, two old", []int{999, 3, 5}, 2 + 2},         // the second page finds none: the two are read each
		{"old ones only", []int{3, 5, 7}, 1 + 3},                 // the top page finds none
		{"an unknown id among them", []int{999, 998, -1}, 1 + 1}, // the top page reaches below the ids; the unknown one is asked for
	} {
		t.Run(tt.name, func(t *testing.T) {
			var want []int64
			ask := make([]int64, len(tt.at))
			for i, at := range tt.at {
				if at < 0 {
					ask[i] = deleted
					continue
				}
				ask[i] = all[at].ID
				want = append(want, all[at].ID)
			}
			slices.Sort(want)
			srv.ResetRequests()
			got, err := c.ContactsByIDs(ctx, ask)
			if err != nil {
				t.Fatal(err)
			}
			if ids := contactIDs(got); !slices.Equal(ids, want) {
				t.Errorf("got %v, want %v", ids, want)
			}
			if n := countRequests(srv, isGet); n != tt.gets || n > len(ask)+1 {
				t.Errorf("%d GETs, want %d (at most %d)", n, tt.gets, len(ask)+1)
			}
		})
	}
}

func seq(from, to int) []int {
	out := make([]int, 0, to-from)
	for i := from; i < to; i++ {
		out = append(out, i)
	}
	return out
}

func TestStrictFiltersIgnoredLeadsByIDs(t *testing.T) {
	ctx := context.Background()
	_, c, _ := strictSandbox(t, sandbox.Modes{FiltersIgnored: true}, nil)
	contacts, err := c.CreateContacts(ctx, named("Клиент", 1))
	if err != nil {
		t.Fatal(err)
	}
	leads, err := c.CreateLeads(ctx, []crm.Lead{{Name: "Заказ 1"},
		{Name: "Заказ 2", Embedded: &crm.LeadEmbedded{Contacts: []crm.Contact{{ID: contacts[0].ID}}}}, {Name: "Заказ 3"}})
	if err != nil {
		t.Fatal(err)
	}
	const deleted = 1 // an id amoCRM does not know
	got, err := c.LeadsByIDs(ctx, []int64{leads[1].ID, deleted}, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].ID != leads[1].ID || got[0].Embedded == nil || len(got[0].Embedded.Contacts) != 1 || got[0].Embedded.Contacts[0].ID != contacts[0].ID {
		t.Errorf("LeadsByIDs = %+v, want only deal %d with its contact", got, leads[1].ID)
	}
}

// The contact index refresh reads only what changed, with or without filters.
func TestStrictContactsChangedSince(t *testing.T) {
	ctx := context.Background()
	for _, modes := range []sandbox.Modes{{}, {FiltersIgnored: true}} {
		t.Run(modes.String(), func(t *testing.T) {
			srv, c, clock := strictSandbox(t, modes, nil)
			if _, err := c.CreateContacts(ctx, named("старый", 300)); err != nil {
				t.Fatal(err)
			}
			clock.Add(time.Minute)
			fresh, err := c.CreateContacts(ctx, named("новый", 2))
			if err != nil {
				t.Fatal(err)
			}
			since := clock.Now().Unix()
			want := contactIDs(fresh)

			var asc []crm.Contact
			if err := c.ListContacts(ctx, since, func(p []crm.Contact) error { asc = append(asc, p...); return nil }); err != nil {
				t.Fatal(err)
			}
			if got := contactIDs(asc); !slices.Equal(got, want) {
				t.Errorf("ListContacts: %d contacts, want only the 2 changed since the cursor", len(got))
			}

			srv.ResetRequests()
			var desc []crm.Contact
			if err := c.ContactsChangedSince(ctx, since, func(p []crm.Contact) error { desc = append(desc, p...); return nil }); err != nil {
				t.Fatal(err)
			}
			if len(desc) != 2 || desc[0].ID != want[1] || desc[1].ID != want[0] {
				t.Errorf("ContactsChangedSince = %v, want %v newest first", contactIDs(desc), want)
			}
			if n := countRequests(srv, isGet); n != 1 {
				t.Errorf("ContactsChangedSince made %d requests, want 1 page", n)
			}
			if c.FiltersIgnored() != modes.FiltersIgnored {
				t.Errorf("FiltersIgnored() = %v, want %v", c.FiltersIgnored(), modes.FiltersIgnored)
			}
		})
	}
}

// After a create whose answer was lost, search finds nothing on a strict
// account; paging newest first down to the id recorded before finds it.
func TestStrictReconcileNewestFirst(t *testing.T) {
	ctx := context.Background()
	srv, c, _ := strictSandbox(t, sandbox.Modes{}.Strict(), nil)
	if id, err := c.NewestLeadID(ctx); err != nil || id != 0 {
		t.Fatalf("NewestLeadID of an empty account = %d, %v; want 0", id, err)
	}
	fields, err := c.CreateLeadFields(ctx, []crm.CustomField{{Name: "Номер заказа", Type: "text", Code: "ORDER_NO"}})
	if err != nil {
		t.Fatal(err)
	}
	order := func(n int) crm.Lead {
		return crm.Lead{Name: fmt.Sprintf("Заказ с сайта %d", n), CustomFieldsValues: []crm.CustomFieldValues{
			{FieldID: fields[0].ID, Values: []crm.FieldValue{{Value: fmt.Sprintf("form:%d", n)}}}}}
	}
	old := make([]crm.Lead, 300)
	for i := range old {
		old[i] = order(i)
	}
	if _, err := c.CreateLeads(ctx, old); err != nil {
		t.Fatal(err)
	}
	before, err := c.NewestLeadID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	srv.SetFaults(sandbox.Faults{DropAfterWrite: 1})
	if _, err := c.CreateLeads(ctx, []crm.Lead{order(1042)}); !errors.Is(err, amocrm.ErrOutcomeUnknown) {
		t.Fatalf("dropped create: %v, want ErrOutcomeUnknown", err)
	}
	for _, q := range []string{"form:1042", "1042"} {
		if found, err := c.SearchLeads(ctx, q); err != nil || len(found) != 0 {
			t.Errorf("search %q: %d deals, %v; want none on a strict account", q, len(found), err)
		}
	}
	srv.ResetRequests()
	var got []crm.Lead
	err = c.LeadsNewestFirst(ctx, before, true, func(p []crm.Lead) error { got = append(got, p...); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].ID <= before || got[0].CustomFieldsValues[0].Values[0].Value != "form:1042" {
		t.Errorf("LeadsNewestFirst(%d) = %+v, want the one deal created after it", before, got)
	}
	if n := countRequests(srv, isGet); n != 1 {
		t.Errorf("%d requests, want 1 page", n)
	}
}

func TestLeadsNewestFirstPaging(t *testing.T) {
	ctx := context.Background()
	srv, c, _ := strictSandbox(t, sandbox.Modes{}, nil)
	leads := make([]crm.Lead, 305)
	for i := range leads {
		leads[i].Name = fmt.Sprint(i)
	}
	created, err := c.CreateLeads(ctx, leads)
	if err != nil {
		t.Fatal(err)
	}
	downTo := created[49].ID // 255 deals above it: a page and a part
	srv.ResetRequests()
	var got []int64
	pages := 0
	err = c.LeadsNewestFirst(ctx, downTo, false, func(p []crm.Lead) error {
		if pages++; pages == 1 {
			// A deal created meanwhile pushes the list down a place.
			if _, err := c.CreateLeads(ctx, []crm.Lead{{Name: "new"}}); err != nil {
				return err
			}
		}
		for _, l := range p {
			got = append(got, l.ID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var want []int64
	for i := len(created) - 1; i >= 50; i-- {
		want = append(want, created[i].ID)
	}
	if !slices.Equal(got, want) {
		t.Errorf("got %d ids (first %v), want the %d above %d, newest first, each once", len(got), got[:min(3, len(got))], len(want), downTo)
	}
	if n := countRequests(srv, isGet); n != 2 {
		t.Errorf("%d list requests, want 2", n)
	}

	srv.ResetRequests()
	calls := 0
	err = c.LeadsNewestFirst(ctx, 0, false, func([]crm.Lead) error { calls++; return amocrm.ErrStopPaging })
	if err != nil || calls != 1 || countRequests(srv, isGet) != 1 {
		t.Errorf("ErrStopPaging: err %v, %d calls, %d requests; want nil, 1, 1", err, calls, countRequests(srv, isGet))
	}
	contacts, err := c.CreateContacts(ctx, named("Клиент", 3))
	if err != nil {
		t.Fatal(err)
	}
	var cs []crm.Contact
	if err := c.ContactsNewestFirst(ctx, contacts[0].ID, func(p []crm.Contact) error { cs = append(cs, p...); return nil }); err != nil {
		t.Fatal(err)
	}
	if newest, err := c.NewestContactID(ctx); err != nil || newest != contacts[2].ID || len(cs) != 2 || cs[0].ID != contacts[2].ID {
		t.Errorf("NewestContactID = %d, %v; ContactsNewestFirst = %v; want %d and the two above %d", newest, err, contactIDs(cs), contacts[2].ID, contacts[0].ID)
	}
}

// Duplicate control answers an existing deal: the client reports it merged.
func TestStrictDuplicateControlMerged(t *testing.T) {
	ctx := context.Background()
	_, c, _ := strictSandbox(t, sandbox.Modes{DuplicateControl: true}, nil)
	lead := func(name string) crm.Lead {
		return crm.Lead{Name: name, Embedded: &crm.LeadEmbedded{Contacts: []crm.Contact{{Name: "Анна",
			CustomFieldsValues: []crm.CustomFieldValues{{FieldCode: "PHONE", Values: []crm.FieldValue{{Value: "+79991112233"}}}}}}}}
	}
	first, err := c.CreateComplexLeads(ctx, []crm.Lead{lead("Заказ 1")})
	if err != nil || len(first) != 1 || first[0].Merged {
		t.Fatalf("first = %+v, %v; want a new deal", first, err)
	}
	second, err := c.CreateComplexLeads(ctx, []crm.Lead{lead("Заказ 2")})
	if err != nil || len(second) != 1 {
		t.Fatal(err)
	}
	if r := second[0]; !r.Merged || r.ID != first[0].ID || r.ContactID != first[0].ContactID || !slices.Equal(r.RequestID, []string{"0"}) {
		t.Errorf("second = %+v, want merged into deal %d with its request id", r, first[0].ID)
	}
	got, err := c.LeadsByIDs(ctx, []int64{second[0].ID}, false)
	if err != nil || len(got) != 1 || got[0].Name != "Заказ 1" {
		t.Errorf("the deal answered = %+v, %v; want the first order's", got, err)
	}
}

// A 400 that names no item: the client reports every error under "" and
// does not retry.
func TestStrictValidationWithoutRequestID(t *testing.T) {
	ctx := context.Background()
	srv, c, _ := strictSandbox(t, sandbox.Modes{NoRequestID: true}, nil)
	bad := crm.Contact{Name: "bad", CustomFieldsValues: []crm.CustomFieldValues{{FieldCode: "PHONE", Values: []crm.FieldValue{{Value: "+79990000000", EnumCode: "CELL"}}}}}
	created, err := c.CreateContacts(ctx, []crm.Contact{{Name: "ok"}, bad})
	var verr *amocrm.ValidationError
	if !errors.As(err, &verr) || amocrm.IsRetryable(err) {
		t.Fatalf("got %v, want a *ValidationError, not retryable", err)
	}
	if len(verr.Items) != 1 || len(verr.Items[""]) != 1 || verr.Items[""][0].Code != "NotSupportedChoice" {
		t.Errorf("Items = %+v, want one error under \"\"", verr.Items)
	}
	if len(created) != 0 || len(srv.Contacts()) != 0 || countRequests(srv, func(r sandbox.RequestLog) bool { return r.Method == http.MethodPost }) != 1 {
		t.Errorf("created %v, stored %d; want nothing and one request", created, len(srv.Contacts()))
	}
}

// "Код ошибки 244" stops the run like 402, with a plain message.
func TestStrictError244IsFatal(t *testing.T) {
	ctx := context.Background()
	srv, c, _ := strictSandbox(t, sandbox.Modes{Error244: true}, nil)
	if _, err := c.Account(ctx); err != nil {
		t.Fatalf("reads still work: %v", err)
	}
	writes := map[string]func() error{
		"create":  func() error { _, err := c.CreateLeads(ctx, []crm.Lead{{Name: "x"}}); return err },
		"complex": func() error { _, err := c.CreateComplexLeads(ctx, []crm.Lead{{Name: "x"}}); return err },
		"update":  func() error { return c.UpdateLeads(ctx, []crm.Lead{{ID: 1, Name: "x"}}) },
	}
	for name, write := range writes {
		srv.ResetRequests()
		err := write()
		if !errors.Is(err, amocrm.ErrPaymentRequired) || !amocrm.IsFatal(err) || errors.Is(err, amocrm.ErrOutcomeUnknown) {
			t.Errorf("%s: got %v, want fatal ErrPaymentRequired", name, err)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, "not paid") || !strings.Contains(msg, "lacks rights") {
			t.Errorf("%s: message %q does not say the account is unpaid or lacks rights", name, msg)
		}
		if n := len(srv.Requests()); n != 1 {
			t.Errorf("%s: %d requests, want 1 (not retried)", name, n)
		}
	}
}

// Incoming leads are not refused a second time: the client gets a second
// lead, so a caller must reconcile before it sends a form again.
func TestStrictUnsortedDuplicatesStored(t *testing.T) {
	ctx := context.Background()
	srv, c, _ := strictSandbox(t, sandbox.Modes{UnsortedDuplicates: true}, nil)
	form := crm.UnsortedForm{SourceName: "Сайт", SourceUID: "form-45",
		Metadata: crm.FormMeta{FormID: "callback", FormName: "Обратный звонок", FormPage: "https://shop.example/", FormSentAt: 1700000000},
		Embedded: crm.UnsortedEmbedded{Leads: []crm.Lead{{Name: "Звонок"}}}}
	var leadIDs []int64
	for range 2 {
		res, err := c.CreateUnsortedForms(ctx, []crm.UnsortedForm{form})
		if err != nil || len(res) != 1 || len(res[0].Embedded.Leads) != 1 {
			t.Fatalf("CreateUnsortedForms = %+v, %v", res, err)
		}
		leadIDs = append(leadIDs, res[0].Embedded.Leads[0].ID)
	}
	got, err := c.LeadsByIDs(ctx, leadIDs, false)
	if err != nil || len(got) != 2 || got[0].ID == got[1].ID || len(srv.Unsorted()) != 2 {
		t.Fatalf("leads %+v, %v; want two distinct incoming leads", got, err)
	}
}

// Repeated 429s block the account: the client stops at the first 403
// instead of hammering on.
func TestStrictBlockAfter429(t *testing.T) {
	ctx := context.Background()
	srv, c := sandboxLongLived(t, sandbox.Options{RPS: 2, Modes: sandbox.Modes{BlockAfter429: 3}}, func(cfg *amocrm.Config) {
		cfg.RateLimit, cfg.MaxRetries, cfg.Sleep = 1000, 10, new(noSleep).sleep
	})
	var err error
	for range 10 {
		if _, err = c.Pipelines(ctx); err != nil {
			break
		}
	}
	if !errors.Is(err, amocrm.ErrForbidden) || !amocrm.IsFatal(err) {
		t.Fatalf("got %v, want fatal ErrForbidden", err)
	}
	if n := countRequests(srv, is429); n != 3 {
		t.Errorf("%d 429s, want 3 before the block", n)
	}
	if n := countRequests(srv, func(r sandbox.RequestLog) bool { return r.Status == http.StatusForbidden }); n != 1 {
		t.Errorf("%d 403s, want 1: a block is not retried", n)
	}
}

// A failed question is not remembered as an answer.
func TestFiltersAskedAgainAfterError(t *testing.T) {
	ctx := context.Background()
	srv, c, _ := strictSandbox(t, sandbox.Modes{}, nil)
	srv.SetFaults(sandbox.Faults{ErrorRate: 1})
	if got, err := c.Filters(ctx); err == nil || got != amocrm.FiltersUnknown {
		t.Fatalf("Filters() on a failing account = %v, %v; want unknown and an error", got, err)
	}
	srv.SetFaults(sandbox.Faults{})
	if got, err := c.Filters(ctx); err != nil || got != amocrm.FiltersEnabled {
		t.Fatalf("Filters() once the account answers = %v, %v; want enabled", got, err)
	}
}
