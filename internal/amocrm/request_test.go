package amocrm_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/amocrm"
	"github.com/modx-amocrm/modx-amocrm/internal/crm"
)

// failThen answers the first n requests with status (and body), then ok.
func failThen(n int32, status int, body string, ok string) (http.Handler, *atomic.Int32) {
	var calls atomic.Int32
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if calls.Add(1) <= n {
			w.WriteHeader(status)
			fmt.Fprint(w, body)
			return
		}
		fmt.Fprint(w, ok)
	}), &calls
}

func serve(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

const accountJSON = `{"id":1,"name":"Shop"}`

func TestReadsRetryOnTransientErrors(t *testing.T) {
	tests := []struct {
		status int
		body   string
	}{
		{http.StatusTooManyRequests, "<html>429 Too Many Requests</html>"},
		{http.StatusInternalServerError, "<html>oops</html>"},
		{http.StatusBadGateway, ""},
		{http.StatusGatewayTimeout, "<html>504</html>"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.status), func(t *testing.T) {
			h, calls := failThen(3, tt.status, tt.body, accountJSON)
			c := longLivedClient(t, serve(t, h), nil)
			a, err := c.Account(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if a.ID != 1 || calls.Load() != 4 {
				t.Errorf("got account %d after %d calls, want 1 after 4", a.ID, calls.Load())
			}
			if got := c.Stats().Retries; got != 3 {
				t.Errorf("Stats().Retries = %d, want 3", got)
			}
		})
	}
}

func TestRetriesAreBounded(t *testing.T) {
	h, calls := failThen(100, http.StatusTooManyRequests, "<html>slow down</html>", accountJSON)
	c := longLivedClient(t, serve(t, h), func(cfg *amocrm.Config) { cfg.MaxRetries = 2 })
	_, err := c.Account(context.Background())
	if !errors.Is(err, amocrm.ErrRateLimited) {
		t.Fatalf("got %v, want ErrRateLimited", err)
	}
	if strings.Contains(err.Error(), "html") {
		t.Errorf("error %q echoes the HTML body", err)
	}
	if calls.Load() != 3 || c.Stats().TooMany != 3 {
		t.Errorf("calls = %d, 429s counted = %d, want 3 and 3", calls.Load(), c.Stats().TooMany)
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	var calls atomic.Int32
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		fmt.Fprint(w, accountJSON)
	})
	sleeper := &noSleep{}
	c := longLivedClient(t, serve(t, h), func(cfg *amocrm.Config) { cfg.Sleep = sleeper.sleep })
	if _, err := c.Account(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(sleeper.waits) != 1 || sleeper.waits[0] != 7*time.Second {
		t.Errorf("waits = %v, want [7s]", sleeper.waits)
	}
}

func TestCreateOutcomes(t *testing.T) {
	leadsOK := `{"_embedded":{"leads":[{"id":77,"request_id":"0"}]}}`
	tests := []struct {
		name      string
		status    int
		wantCalls int32
		wantErr   error
	}{
		{"429 is retried", http.StatusTooManyRequests, 2, nil},
		{"500 is unknown", http.StatusInternalServerError, 1, amocrm.ErrOutcomeUnknown},
		{"504 is unknown", http.StatusGatewayTimeout, 1, amocrm.ErrOutcomeUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, calls := failThen(1, tt.status, "", leadsOK)
			c := longLivedClient(t, serve(t, h), nil)
			got, err := c.CreateLeads(context.Background(), []crm.Lead{{Name: "Заказ 1"}})
			if !errors.Is(err, tt.wantErr) || calls.Load() != tt.wantCalls {
				t.Fatalf("got err %v after %d calls, want %v after %d", err, calls.Load(), tt.wantErr, tt.wantCalls)
			}
			if tt.wantErr == nil && (len(got) != 1 || got[0].ID != 77) {
				t.Errorf("created = %+v, want id 77", got)
			}
		})
	}
}

func TestCreateDroppedConnectionIsUnknown(t *testing.T) {
	var calls atomic.Int32
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		io.Copy(io.Discard, r.Body) // "stored"
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	})
	c := longLivedClient(t, serve(t, h), nil)
	_, err := c.CreateContacts(context.Background(), []crm.Contact{{Name: "Иван"}})
	var unknown *amocrm.OutcomeUnknownError
	if !errors.As(err, &unknown) || unknown.Class != "contacts" {
		t.Fatalf("got %v, want *OutcomeUnknownError for contacts", err)
	}
	if calls.Load() != 1 {
		t.Errorf("creates sent = %d, want 1", calls.Load())
	}
	if amocrm.IsRetryable(err) {
		t.Error("IsRetryable(outcome unknown) = true, want false")
	}
}

func TestCreateRetriedWhenRequestNeverLeft(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens: connection refused
	var attempts atomic.Int32
	c := longLivedClient(t, "http://"+addr, func(cfg *amocrm.Config) {
		cfg.OnRequest = func(amocrm.RequestInfo) { attempts.Add(1) }
	})
	_, err = c.CreateLeads(context.Background(), []crm.Lead{{Name: "x"}})
	if err == nil || errors.Is(err, amocrm.ErrOutcomeUnknown) {
		t.Fatalf("got %v, want a plain connection error", err)
	}
	if got := attempts.Load(); got != amocrm.DefaultMaxRetries+1 {
		t.Errorf("attempts = %d, want %d", got, amocrm.DefaultMaxRetries+1)
	}
}

func TestTimeoutNeverHangs(t *testing.T) {
	release := make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	url := serve(t, h)
	t.Cleanup(func() { close(release) })
	c := longLivedClient(t, url, func(cfg *amocrm.Config) {
		cfg.Timeout = 20 * time.Millisecond
		cfg.MaxRetries = 1
	})
	ctx := context.Background()
	if _, err := c.Account(ctx); err == nil || errors.Is(err, amocrm.ErrOutcomeUnknown) {
		t.Errorf("read: got %v, want a timeout error", err)
	}
	if _, err := c.CreateLeads(ctx, []crm.Lead{{Name: "x"}}); !errors.Is(err, amocrm.ErrOutcomeUnknown) {
		t.Errorf("create: got %v, want ErrOutcomeUnknown", err)
	}
}

func TestCreateCancelledInFlightIsUnknown(t *testing.T) {
	// A shutdown signal arrives after the server got the create.
	ctx, cancel := context.WithCancel(context.Background())
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		cancel()
		<-r.Context().Done()
	})
	_, err := longLivedClient(t, serve(t, h), nil).CreateLeads(ctx, []crm.Lead{{Name: "x"}})
	if !errors.Is(err, amocrm.ErrOutcomeUnknown) || !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want ErrOutcomeUnknown and context.Canceled", err)
	}
}

func TestPatch504SplitsBatch(t *testing.T) {
	var sizes []int
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var leads []crm.Lead
		json.NewDecoder(r.Body).Decode(&leads)
		sizes = append(sizes, len(leads))
		if len(leads) > 2 {
			w.WriteHeader(http.StatusGatewayTimeout)
			return
		}
		fmt.Fprint(w, `{"_embedded":{"leads":[]}}`)
	})
	c := longLivedClient(t, serve(t, h), nil)
	leads := make([]crm.Lead, 8)
	for i := range leads {
		leads[i].ID = int64(i + 1)
	}
	if err := c.UpdateLeads(context.Background(), leads); err != nil {
		t.Fatal(err)
	}
	if got, want := fmt.Sprint(sizes), "[8 4 2 2 4 2 2]"; got != want {
		t.Errorf("batch sizes = %s, want %s", got, want)
	}
}

func TestErrorResponsesAreTyped(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		body    string
		want    error
		fatal   bool
		retries bool
	}{
		{"unpaid", 402, `{"title":"Payment Required","status":402}`, amocrm.ErrPaymentRequired, true, false},
		{"code 244", 400, `{"title":"Bad Request","status":400,"detail":"Код ошибки 244. В случае повторного возникновения ошибки, обращайтесь в нашу техническую поддержку - support@amocrm.ru"}`, amocrm.ErrPaymentRequired, true, false},
		{"code 244 in English", 400, `{"title":"Bad Request","status":400,"detail":"Error code 244"}`, amocrm.ErrPaymentRequired, true, false},
		{"other 400", 400, `{"title":"Bad Request","status":400,"detail":"Код ошибки 2440"}`, nil, false, false},
		{"blocked", 403, `<html><body><h1>403 Forbidden</h1></body></html>`, amocrm.ErrForbidden, true, false},
		{"bad token", 401, `{"title":"Unauthorized","status":401}`, amocrm.ErrUnauthorized, true, false},
		{"not found", 404, `{"title":"Not Found","detail":"Pipeline not found","status":404}`, nil, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, calls := failThen(100, tt.status, tt.body, "")
			_, err := longLivedClient(t, serve(t, h), nil).Pipelines(context.Background())
			var aerr *amocrm.APIError
			if !errors.As(err, &aerr) || aerr.Status != tt.status {
				t.Fatalf("got %v, want *APIError %d", err, tt.status)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
			if amocrm.IsFatal(err) != tt.fatal || amocrm.IsRetryable(err) != tt.retries {
				t.Errorf("IsFatal, IsRetryable = %v, %v; want %v, %v", amocrm.IsFatal(err), amocrm.IsRetryable(err), tt.fatal, tt.retries)
			}
			if calls.Load() != 1 {
				t.Errorf("calls = %d, want 1", calls.Load())
			}
			if strings.Contains(err.Error(), "<") {
				t.Errorf("error %q echoes HTML", err)
			}
			assertNoSecrets(t, err)
		})
	}
}

func TestValidationErrorsMapToItems(t *testing.T) {
	body := `{"validation-errors":[{"request_id":"1","errors":[{"code":"NotSupportedChoice","path":"custom_fields_values.0.field_id","detail":"bad"}]},
		{"errors":[{"code":"FieldMissing","path":"currency","detail":"missing"}]}],
		"title":"Bad Request","status":400,"detail":"Request validation failed"}`
	h, _ := failThen(1, http.StatusBadRequest, body, "")
	_, err := longLivedClient(t, serve(t, h), nil).CreateLeads(context.Background(), []crm.Lead{{Name: "a"}, {Name: "b"}})
	var verr *amocrm.ValidationError
	if !errors.As(err, &verr) {
		t.Fatalf("got %v, want *ValidationError", err)
	}
	if got := verr.Items["1"]; len(got) != 1 || got[0].Code != "NotSupportedChoice" {
		t.Errorf(`Items["1"] = %+v, want NotSupportedChoice`, got)
	}
	if got := verr.Items[""]; len(got) != 1 || got[0].Path != "currency" {
		t.Errorf(`Items[""] = %+v, want currency`, got)
	}
}

func TestSecretsNeverInErrors(t *testing.T) {
	// A server that fails every way it can; the errors must not carry the
	// token, which is in every request.
	for _, status := range []int{400, 401, 403, 404, 429, 500, 504} {
		h, _ := failThen(100, status, `{"title":"x","detail":"y"}`, "")
		c := longLivedClient(t, serve(t, h), func(cfg *amocrm.Config) { cfg.MaxRetries = 1 })
		_, err := c.Account(context.Background())
		if err == nil {
			t.Fatalf("status %d: got nil error", status)
		}
		assertNoSecrets(t, err)
	}
}
