package sandbox_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/sandbox"
)

func TestRateLimitPerToken(t *testing.T) {
	a := start(t, sandbox.Options{RPS: 7, LongLivedTokens: []string{"other-token"}})
	for i := range 7 {
		a.do("GET", "/api/v4/account", nil).want(t, http.StatusOK)
		_ = i
	}
	r := a.do("GET", "/api/v4/account", nil).want(t, http.StatusTooManyRequests)
	if !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") || r.header.Get("Retry-After") != "" {
		t.Errorf("429 headers = %v, want HTML and no Retry-After", r.header)
	}
	a.token = "other-token"
	a.do("GET", "/api/v4/account", nil).want(t, http.StatusOK)

	a.token = testToken
	a.clock.Add(500e6) // half a second refills 3.5 requests
	for range 3 {
		a.do("GET", "/api/v4/account", nil).want(t, http.StatusOK)
	}
	a.do("GET", "/api/v4/account", nil).want(t, http.StatusTooManyRequests)

	var n429 int
	for _, req := range a.srv.Requests() {
		if req.Status == http.StatusTooManyRequests {
			n429++
		}
	}
	if n429 != 2 {
		t.Errorf("request log has %d 429s, want 2", n429)
	}
}

func TestFaults(t *testing.T) {
	a := start(t, sandbox.Options{})
	contact := []any{map[string]any{"name": "x"}}

	a.srv.SetFaults(sandbox.Faults{BatchLimit: 1})
	a.do("POST", "/api/v4/contacts", []any{contact[0], contact[0]}).want(t, http.StatusGatewayTimeout)
	a.do("POST", "/api/v4/contacts", contact).want(t, http.StatusOK)

	a.srv.SetFaults(sandbox.Faults{Blocked: true})
	r := a.do("GET", "/api/v4/account", nil).want(t, http.StatusForbidden)
	if !strings.Contains(string(r.body), "403 Forbidden") {
		t.Errorf("blocked body = %q, want nginx's HTML", r.body)
	}
	a.srv.SetFaults(sandbox.Faults{Unpaid: true})
	a.do("GET", "/api/v4/account", nil).want(t, http.StatusPaymentRequired)

	a.srv.SetFaults(sandbox.Faults{ErrorRate: 1})
	if r := a.do("GET", "/api/v4/account", nil); r.status < 500 {
		t.Errorf("error rate 1: status %d, want 5xx", r.status)
	}

	a.srv.SetFaults(sandbox.Faults{Latency: time.Second})
	impatient := &http.Client{Timeout: 50 * time.Millisecond}
	req, _ := http.NewRequest("GET", a.base+"/api/v4/account", nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	if resp, err := impatient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("latency: got status %d before the client's timeout", resp.StatusCode)
	}

	a.srv.SetFaults(sandbox.Faults{DropAfterWrite: 1})
	before := len(a.srv.Contacts())
	if _, err := a.send("POST", "/api/v4/contacts", contact); err == nil {
		t.Fatal("dropped write: got a response, want a transport error")
	}
	if got := len(a.srv.Contacts()); got != before+1 {
		t.Errorf("contacts after dropped write = %d, want %d (stored, then dropped)", got, before+1)
	}
	a.do("POST", "/api/v4/contacts", contact).want(t, http.StatusOK)
	// The writes only: the slow request above may be logged after them,
	// once its latency has passed.
	var writes []sandbox.RequestLog
	for _, r := range a.srv.Requests() {
		if r.Method == "POST" && r.Path == "/api/v4/contacts" {
			writes = append(writes, r)
		}
	}
	if last, dropped := writes[len(writes)-1], writes[len(writes)-2]; !dropped.Dropped || last.Dropped {
		t.Errorf("request log Dropped = %v then %v, want true then false", dropped.Dropped, last.Dropped)
	}
}

func TestRequestLog(t *testing.T) {
	a := start(t, sandbox.Options{})
	a.do("POST", "/api/v4/contacts", []any{map[string]any{"name": "a"}, map[string]any{"name": "b"}}).want(t, 200)
	a.do("GET", "/api/v4/contacts?limit=5", nil).want(t, 200)
	reqs := a.srv.Requests()
	if len(reqs) != 2 {
		t.Fatalf("logged %d requests, want 2", len(reqs))
	}
	w, g := reqs[0], reqs[1]
	if w.Method != "POST" || w.Items != 2 || w.Status != 200 || w.TokenKind != "long-lived" || w.TokenID == "" || g.Query != "limit=5" {
		t.Errorf("log = %+v / %+v", w, g)
	}
	if strings.Contains(w.TokenID, testToken) {
		t.Errorf("token id %q reveals the token", w.TokenID)
	}
	a.srv.ResetRequests()
	if n := len(a.srv.Requests()); n != 0 {
		t.Errorf("after reset: %d requests", n)
	}
}

func TestConcurrentWrites(t *testing.T) {
	a := start(t, sandbox.Options{})
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 5 {
				if r, err := a.send("POST", "/api/v4/leads", []any{map[string]any{"name": "x"}}); err != nil || r.status != 200 {
					t.Errorf("concurrent write: %v %d", err, r.status)
				}
			}
		})
	}
	wg.Wait()
	leads := a.srv.Leads()
	seen := map[int64]bool{}
	for _, l := range leads {
		seen[l.ID] = true
	}
	if len(leads) != 40 || len(seen) != 40 {
		t.Errorf("leads = %d with %d distinct ids, want 40", len(leads), len(seen))
	}
}
