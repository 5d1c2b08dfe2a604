package amocrm_test

// Tests against the amoCRM emulator over real HTTP: the "done when".

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/amocrm"
	"github.com/modx-amocrm/modx-amocrm/internal/crm"
	"github.com/modx-amocrm/modx-amocrm/internal/sandbox"
	"github.com/modx-amocrm/modx-amocrm/internal/sandbox/sandboxtest"
)

const sandboxToken = "sandbox-long-lived-token"

func sandboxOAuth(url string, box *tokenBox) (*amocrm.Client, error) {
	return amocrm.New(amocrm.Config{BaseURL: url, ClientID: sandbox.DefaultClientID,
		ClientSecret: sandbox.DefaultClientSecret, RedirectURI: sandbox.DefaultRedirectURI,
		Sleep: new(noSleep).sleep}, memStore{box})
}

func mustSandboxOAuth(t *testing.T, url string, box *tokenBox) *amocrm.Client {
	t.Helper()
	c, err := sandboxOAuth(url, box)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func countRequests(s *sandbox.Server, match func(sandbox.RequestLog) bool) int {
	n := 0
	for _, r := range s.Requests() {
		if match(r) {
			n++
		}
	}
	return n
}

func isTokenCall(r sandbox.RequestLog) bool { return r.Path == "/oauth2/access_token" }
func is429(r sandbox.RequestLog) bool       { return r.Status == http.StatusTooManyRequests }

func TestSandboxOAuth(t *testing.T) {
	ctx := context.Background()
	srv, url := sandboxtest.Start(t, sandbox.Options{})
	box := &tokenBox{}
	c := mustSandboxOAuth(t, url, box)
	if _, err := c.Account(ctx); !errors.Is(err, amocrm.ErrNoToken) {
		t.Fatalf("before auth: got %v, want ErrNoToken", err)
	}
	if err := c.Exchange(ctx, sandbox.DefaultAuthCode); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Account(ctx); err != nil {
		t.Fatal(err)
	}
	first := box.current()
	info, err := c.TokenStatus(ctx)
	if err != nil || info.Mode != "oauth" || !info.CanRefresh || info.Expiry.IsZero() {
		t.Errorf("TokenStatus = %+v, %v; want oauth, refreshable, with expiry", info, err)
	}
	err = c.Exchange(ctx, sandbox.DefaultAuthCode)
	if err == nil {
		t.Fatal("second exchange of the code: got nil error")
	}
	assertNoSecrets(t, err, sandbox.DefaultAuthCode, sandbox.DefaultClientSecret)

	box.expire()
	if _, err := mustSandboxOAuth(t, url, box).Pipelines(ctx); err != nil {
		t.Fatalf("after refresh: %v", err)
	}
	if got := box.current(); got.RefreshToken == first.RefreshToken || got.AccessToken == first.AccessToken {
		t.Error("the refreshed pair was not stored")
	}

	// An old refresh token (a restored backup, a second installation).
	box.mu.Lock()
	box.tok = first
	box.mu.Unlock()
	box.expire()
	_, err = mustSandboxOAuth(t, url, box).Account(ctx)
	if !errors.Is(err, amocrm.ErrTokenRevoked) || !amocrm.IsFatal(err) {
		t.Fatalf("old refresh token: got %v, want ErrTokenRevoked", err)
	}
	if !strings.Contains(err.Error(), "modx-amocrm auth") {
		t.Errorf("error %q does not say how to recover", err)
	}
	assertNoSecrets(t, err, first.RefreshToken, first.AccessToken, sandbox.DefaultClientSecret)
	if got := countRequests(srv, isTokenCall); got != 4 {
		t.Errorf("token endpoint calls = %d, want 4 (exchange, spent code, refresh, refused refresh)", got)
	}
}

func TestSandboxWrongSecretIsPlain(t *testing.T) {
	_, url := sandboxtest.Start(t, sandbox.Options{})
	const wrong = "not-the-sandbox-secret"
	c, err := amocrm.New(amocrm.Config{BaseURL: url, ClientID: sandbox.DefaultClientID, ClientSecret: wrong,
		RedirectURI: sandbox.DefaultRedirectURI}, memStore{&tokenBox{}})
	if err != nil {
		t.Fatal(err)
	}
	err = c.Exchange(context.Background(), sandbox.DefaultAuthCode)
	var aerr *amocrm.APIError
	if !errors.As(err, &aerr) || aerr.Status != http.StatusBadRequest {
		t.Fatalf("got %v, want *APIError 400", err)
	}
	assertNoSecrets(t, err, wrong, sandbox.DefaultAuthCode)
}

func TestSandboxWrongRedirectURI(t *testing.T) {
	_, url := sandboxtest.Start(t, sandbox.Options{})
	c, err := amocrm.New(amocrm.Config{BaseURL: url, ClientID: sandbox.DefaultClientID, ClientSecret: sandbox.DefaultClientSecret,
		RedirectURI: "https://shop.example/amocrm"}, memStore{&tokenBox{}})
	if err != nil {
		t.Fatal(err)
	}
	err = c.Exchange(context.Background(), sandbox.DefaultAuthCode)
	if !errors.Is(err, amocrm.ErrRedirectURI) || amocrm.IsFatal(err) {
		t.Fatalf("got %v, want ErrRedirectURI, not fatal", err)
	}
}

func TestSandboxUnauthorizedRefreshesOnce(t *testing.T) {
	ctx := context.Background()
	// The sandbox's clock jumps a day ahead: the access token the client
	// still holds as valid is refused, and the refresh token is not.
	var ahead atomic.Int64
	srv, url := sandboxtest.Start(t, sandbox.Options{Now: func() time.Time {
		return time.Now().Add(time.Duration(ahead.Load()))
	}})
	box := &tokenBox{}
	c := mustSandboxOAuth(t, url, box)
	if err := c.Exchange(ctx, sandbox.DefaultAuthCode); err != nil {
		t.Fatal(err)
	}
	ahead.Store(int64(25 * time.Hour))
	if _, err := c.Account(ctx); err != nil {
		t.Fatal(err)
	}
	unauthorized := countRequests(srv, func(r sandbox.RequestLog) bool { return r.Status == http.StatusUnauthorized })
	if got := countRequests(srv, isTokenCall); got != 2 || unauthorized != 1 {
		t.Errorf("token calls = %d, 401s = %d; want 2 and 1", got, unauthorized)
	}
}

func TestSandboxTwoProcessesRefreshOnce(t *testing.T) {
	ctx := context.Background()
	srv, url := sandboxtest.Start(t, sandbox.Options{RPS: -1})
	box := &tokenBox{}
	if err := mustSandboxOAuth(t, url, box).Exchange(ctx, sandbox.DefaultAuthCode); err != nil {
		t.Fatal(err)
	}
	box.expire()
	// Two processes: separate clients with separate handles on one store.
	a, b := mustSandboxOAuth(t, url, box), mustSandboxOAuth(t, url, box)
	start := make(chan struct{})
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() {
			<-start
			c := a
			if i%2 == 1 {
				c = b
			}
			_, errs[i] = c.Account(ctx)
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("call %d: %v", i, err)
		}
	}
	if got := countRequests(srv, isTokenCall); got != 2 {
		t.Errorf("token endpoint calls = %d, want 2 (exchange and one refresh)", got)
	}
}

func TestSandboxRefreshIsStoredBeforeUse(t *testing.T) {
	ctx := context.Background()
	sb, err := sandbox.New(sandbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	box := &tokenBox{}
	var mu sync.Mutex
	var checked int
	var unsaved []string
	// Every API call is checked on arrival: a crash at that moment must find
	// the token it carries in the store.
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/") {
			bearer := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
			mu.Lock()
			checked++
			if tok := box.current(); tok == nil || tok.AccessToken != bearer {
				unsaved = append(unsaved, r.URL.Path)
			}
			mu.Unlock()
		}
		sb.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	c := mustSandboxOAuth(t, ts.URL, box)
	if err := c.Exchange(ctx, sandbox.DefaultAuthCode); err != nil {
		t.Fatal(err)
	}
	box.expire()
	if _, err := mustSandboxOAuth(t, ts.URL, box).Account(ctx); err != nil {
		t.Fatal(err)
	}
	if checked != 1 || len(unsaved) != 0 {
		t.Errorf("checked %d API calls, %v carried an unsaved token; want 1 and none", checked, unsaved)
	}
}

func sandboxLongLived(t *testing.T, opts sandbox.Options, mod func(*amocrm.Config)) (*sandbox.Server, *amocrm.Client) {
	t.Helper()
	opts.LongLivedTokens = []string{sandboxToken}
	srv, url := sandboxtest.Start(t, opts)
	cfg := amocrm.Config{BaseURL: url, LongLivedToken: sandboxToken}
	if mod != nil {
		mod(&cfg)
	}
	c, err := amocrm.New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	return srv, c
}

// concurrently runs call n times in each of g goroutines; every call must succeed.
func concurrently(t *testing.T, g, n int, call func() error) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, g*n)
	for range g {
		wg.Go(func() {
			for range n {
				if err := call(); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestSandboxBurstAtDefaultLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("200 calls at 6/s take about 33s")
	}
	srv, c := sandboxLongLived(t, sandbox.Options{}, nil)
	concurrently(t, 4, 50, func() error {
		_, err := c.Account(context.Background())
		return err
	})
	if got := countRequests(srv, is429); got != 0 {
		t.Errorf("429 responses = %d, want 0", got)
	}
	if got := c.Stats().TooMany; got != 0 {
		t.Errorf("Stats().TooMany = %d, want 0", got)
	}
}

func TestSandboxTooFastIsAbsorbed(t *testing.T) {
	srv, c := sandboxLongLived(t, sandbox.Options{}, func(cfg *amocrm.Config) {
		cfg.RateLimit = 50
		cfg.MaxRetries = 8
	})
	concurrently(t, 5, 10, func() error {
		_, err := c.Pipelines(context.Background())
		return err
	})
	if got := countRequests(srv, is429); got == 0 {
		t.Error("no 429 at 50 requests/s: the test exercised nothing")
	}
}

func TestSandboxDroppedCreateIsUnknown(t *testing.T) {
	srv, c := sandboxLongLived(t, sandbox.Options{}, nil)
	srv.SetFaults(sandbox.Faults{DropAfterWrite: 1})
	_, err := c.CreateLeads(context.Background(), []crm.Lead{{Name: "Заказ с сайта 1042"}})
	if !errors.Is(err, amocrm.ErrOutcomeUnknown) {
		t.Fatalf("got %v, want ErrOutcomeUnknown", err)
	}
	creates := countRequests(srv, func(r sandbox.RequestLog) bool {
		return r.Method == http.MethodPost && r.Path == "/api/v4/leads"
	})
	if creates != 1 || len(srv.Leads()) != 1 {
		t.Errorf("creates sent = %d, leads stored = %d; want 1 and 1", creates, len(srv.Leads()))
	}
	// The caller reconciles by looking the deal up.
	found, err := c.SearchLeads(context.Background(), "1042")
	if err != nil || len(found) != 1 {
		t.Errorf("search after unknown outcome: %d leads, %v; want 1", len(found), err)
	}
}

func TestSandboxFaults(t *testing.T) {
	ctx := context.Background()
	fast := func(cfg *amocrm.Config) { cfg.Sleep = new(noSleep).sleep; cfg.RateLimit = 1000 }
	noLimit := sandbox.Options{RPS: -1}

	t.Run("5xx storm on reads", func(t *testing.T) {
		srv, c := sandboxLongLived(t, noLimit, func(cfg *amocrm.Config) { fast(cfg); cfg.MaxRetries = 20 })
		srv.SetFaults(sandbox.Faults{ErrorRate: 0.5})
		for range 20 {
			if _, err := c.Pipelines(ctx); err != nil {
				t.Fatal(err)
			}
		}
	})
	t.Run("5xx on creates", func(t *testing.T) {
		srv, c := sandboxLongLived(t, noLimit, fast)
		srv.SetFaults(sandbox.Faults{ErrorRate: 1})
		_, err := c.CreateContacts(ctx, []crm.Contact{{Name: "Иван"}})
		if !errors.Is(err, amocrm.ErrOutcomeUnknown) {
			t.Fatalf("got %v, want ErrOutcomeUnknown", err)
		}
	})
	t.Run("504 on big batches", func(t *testing.T) {
		srv, c := sandboxLongLived(t, noLimit, fast)
		leads := make([]crm.Lead, 40)
		for i := range leads {
			leads[i].Name = "deal"
		}
		created, err := c.CreateLeads(ctx, leads)
		if err != nil {
			t.Fatal(err)
		}
		srv.SetFaults(sandbox.Faults{BatchLimit: 10})
		for i := range created {
			created[i].Name = "renamed"
		}
		if err := c.UpdateLeads(ctx, created); err != nil {
			t.Fatal(err)
		}
		for _, l := range srv.Leads() {
			if l.Name != "renamed" {
				t.Fatalf("lead %d name = %q, want renamed", l.ID, l.Name)
			}
		}
	})
	t.Run("latency beyond the timeout", func(t *testing.T) {
		srv, c := sandboxLongLived(t, noLimit, func(cfg *amocrm.Config) {
			fast(cfg)
			cfg.Timeout = 50 * time.Millisecond
			cfg.MaxRetries = 2
		})
		srv.SetFaults(sandbox.Faults{Latency: time.Minute})
		if _, err := c.Account(ctx); err == nil {
			t.Error("read: got nil error")
		}
		if _, err := c.CreateLeads(ctx, []crm.Lead{{Name: "x"}}); !errors.Is(err, amocrm.ErrOutcomeUnknown) {
			t.Errorf("create: got %v, want ErrOutcomeUnknown", err)
		}
	})
	for _, tt := range []struct {
		name   string
		faults sandbox.Faults
		want   error
	}{
		{"blocked", sandbox.Faults{Blocked: true}, amocrm.ErrForbidden},
		{"unpaid", sandbox.Faults{Unpaid: true}, amocrm.ErrPaymentRequired},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv, c := sandboxLongLived(t, noLimit, fast)
			srv.SetFaults(tt.faults)
			_, err := c.Account(ctx)
			if !errors.Is(err, tt.want) || !amocrm.IsFatal(err) {
				t.Errorf("got %v, want fatal %v", err, tt.want)
			}
		})
	}
}

// TestSandboxEntities round-trips every entity method through the emulator,
// checking the client reads back what it wrote.
func TestSandboxEntities(t *testing.T) {
	ctx := context.Background()
	_, c := sandboxLongLived(t, sandbox.Options{RPS: -1}, func(cfg *amocrm.Config) { cfg.RateLimit = 1000 })

	users, err := c.Users(ctx)
	if err != nil || len(users) != 3 {
		t.Fatalf("Users: %d, %v; want 3", len(users), err)
	}

	fields, err := c.CreateLeadFields(ctx, []crm.CustomField{
		{Name: "Номер заказа", Type: "text", Code: "ORDER_NUM"},
		{Name: "Доставка", Type: "select", Enums: []crm.Enum{{Value: "Курьер"}, {Value: "Самовывоз"}}},
	})
	if err != nil || len(fields) != 2 || fields[0].ID == 0 || len(fields[1].Enums) != 2 || fields[1].Enums[0].ID == 0 {
		t.Fatalf("CreateLeadFields = %+v, %v; want ids and enum ids", fields, err)
	}
	if got, err := c.LeadFields(ctx); err != nil || len(got) != len(sandbox.TrackingCodes)+2 {
		t.Errorf("LeadFields: %d, %v; want the tracking fields and 2", len(got), err)
	}
	if got, err := c.CreateContactFields(ctx, []crm.CustomField{{Name: "Город", Type: "text"}}); err != nil || len(got) != 1 {
		t.Errorf("CreateContactFields: %+v, %v", got, err)
	}
	if got, err := c.ContactFields(ctx); err != nil || len(got) != 4 {
		t.Errorf("ContactFields: %d, %v; want PHONE, EMAIL, POSITION and the new one", len(got), err)
	}

	pipes, err := c.CreatePipelines(ctx, []crm.Pipeline{{Name: "Сайт", Embedded: &crm.PipelineEmbedded{
		Statuses: []crm.Status{{Name: "Новый", Sort: 10}}}}})
	if err != nil || len(pipes) != 1 || pipes[0].ID == 0 {
		t.Fatalf("CreatePipelines = %+v, %v", pipes, err)
	}
	pid := pipes[0].ID
	added, err := c.AddStatuses(ctx, pid, []crm.Status{{Name: "Оплачен", Sort: 20}})
	if err != nil || len(added) != 1 || added[0].ID == 0 {
		t.Fatalf("AddStatuses = %+v, %v", added, err)
	}
	added[0].Name = "Оплачен полностью"
	if st, err := c.UpdateStatus(ctx, pid, added[0]); err != nil || st.Name != "Оплачен полностью" {
		t.Errorf("UpdateStatus = %+v, %v", st, err)
	}

	contacts, err := c.CreateContacts(ctx, []crm.Contact{{Name: "Иван Петров", CustomFieldsValues: []crm.CustomFieldValues{
		{FieldCode: "PHONE", Values: []crm.FieldValue{{Value: "+79991234567", EnumCode: "WORK"}}}}}})
	if err != nil || len(contacts) != 1 || contacts[0].ID == 0 {
		t.Fatalf("CreateContacts = %+v, %v", contacts, err)
	}
	contacts[0].Name = "Иван Сидоров"
	if err := c.UpdateContacts(ctx, contacts); err != nil {
		t.Fatal(err)
	}
	if got, err := c.ContactsByIDs(ctx, []int64{contacts[0].ID}); err != nil || len(got) != 1 || got[0].Name != "Иван Сидоров" {
		t.Errorf("ContactsByIDs = %+v, %v; want the renamed contact", got, err)
	}
	if got, err := c.SearchContacts(ctx, "79991234567", 10); err != nil || len(got) != 1 {
		t.Errorf("SearchContacts by phone: %d, %v; want 1", len(got), err)
	}

	leads, err := c.CreateLeads(ctx, []crm.Lead{{Name: "Заказ 1", PipelineID: pid,
		Embedded: &crm.LeadEmbedded{Contacts: []crm.Contact{{ID: contacts[0].ID}}}}})
	if err != nil || len(leads) != 1 {
		t.Fatalf("CreateLeads = %+v, %v", leads, err)
	}
	got, err := c.LeadsByIDs(ctx, []int64{leads[0].ID}, true)
	if err != nil || len(got) != 1 || got[0].Embedded == nil || len(got[0].Embedded.Contacts) != 1 {
		t.Fatalf("LeadsByIDs with contacts = %+v, %v", got, err)
	}
	if got[0].Embedded.Contacts[0].ID != contacts[0].ID {
		t.Errorf("lead contact = %d, want %d", got[0].Embedded.Contacts[0].ID, contacts[0].ID)
	}
	notes, err := c.AddLeadNotes(ctx, []crm.Note{{EntityID: leads[0].ID, NoteType: "common", Params: []byte(`{"text":"Товары: 2"}`)}})
	if err != nil || len(notes) != 1 || notes[0].ID == 0 {
		t.Errorf("AddLeadNotes = %+v, %v", notes, err)
	}
	if got, err := c.LeadNotes(ctx, leads[0].ID, "common"); err != nil || len(got) != 1 || got[0].ID != notes[0].ID ||
		string(got[0].Params) != `{"text":"Товары: 2"}` {
		t.Errorf("LeadNotes = %+v, %v; want the note just added", got, err)
	}
	if got, err := c.LeadNotes(ctx, leads[0].ID, "service_message"); err != nil || len(got) != 0 {
		t.Errorf("LeadNotes of another type = %+v, %v; want none", got, err)
	}

	complex, err := c.CreateComplexLeads(ctx, []crm.Lead{{Name: "Заказ 2", Embedded: &crm.LeadEmbedded{
		Contacts: []crm.Contact{{Name: "Мария"}}}}})
	if err != nil || len(complex) != 1 || complex[0].ID == 0 || complex[0].ContactID == 0 {
		t.Errorf("CreateComplexLeads = %+v, %v", complex, err)
	}

	unsorted, err := c.CreateUnsortedForms(ctx, []crm.UnsortedForm{{SourceName: "Сайт", SourceUID: "form-45",
		Metadata: crm.FormMeta{FormID: "callback", FormName: "Обратный звонок", FormPage: "https://shop.example/", FormSentAt: 1700000000},
		Embedded: crm.UnsortedEmbedded{Leads: []crm.Lead{{Name: "Звонок"}}, Contacts: []crm.Contact{{Name: "Олег"}}}}})
	if err != nil || len(unsorted) != 1 || unsorted[0].UID == "" {
		t.Errorf("CreateUnsortedForms = %+v, %v", unsorted, err)
	}
}
