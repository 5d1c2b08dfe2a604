package metrics

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// serve starts ServeListener on a free loopback port and returns its base URL.
func serve(t *testing.T, m *Metrics, health func() error) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.ServeListener(ctx, ln, health) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("ServeListener after cancel: got %v, want nil", err)
		}
	})
	return "http://" + ln.Addr().String()
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read %s: %v", url, err)
	}
	return resp.StatusCode, string(body)
}

func TestScrape(t *testing.T) {
	m := New("1.2.3", "abc123")
	at := time.Unix(1_700_000_000, 0)
	m.PassDone("orders", true, at)
	m.PassDone("forms", false, at)
	m.PassDuration(3 * time.Second)
	m.RowsRead("orders", 120)
	m.Written("lead", "created", 7)
	m.Written("contact", "unchanged", 2)
	m.SetParked("orders", 3)
	m.SetBacklog("order_logs", 42)
	m.ObserveRequest("complex", 200, 150*time.Millisecond)
	m.ObserveRequest("leads", 429, 10*time.Millisecond)
	m.ObserveRequest("contacts", 0, 30*time.Second)
	m.RateLimitWait(250 * time.Millisecond)
	m.SetTokenExpiry(at.Add(24 * time.Hour))
	m.SetLeader(true)

	code, body := get(t, serve(t, m, nil)+"/metrics")
	if code != http.StatusOK {
		t.Fatalf("GET /metrics: got status %d, want 200", code)
	}
	want := []string{
		`modx_amocrm_last_success_timestamp_seconds{source="orders"} 1.7e+09`,
		`modx_amocrm_passes_total{result="ok",source="orders"} 1`,
		`modx_amocrm_passes_total{result="failed",source="forms"} 1`,
		`modx_amocrm_passes_total{result="failed",source="users"} 0`,
		`modx_amocrm_pass_duration_seconds_count 1`,
		`modx_amocrm_rows_read_total{source="orders"} 120`,
		`modx_amocrm_rows_read_total{source="users"} 0`,
		`modx_amocrm_entities_written_total{kind="lead",result="created"} 7`,
		`modx_amocrm_entities_written_total{kind="contact",result="unchanged"} 2`,
		`modx_amocrm_entities_written_total{kind="note",result="failed"} 0`,
		`modx_amocrm_parked_records{source="orders"} 3`,
		`modx_amocrm_backlog_rows{source="order_logs"} 42`,
		`modx_amocrm_api_requests_total{class="complex",code="200"} 1`,
		`modx_amocrm_api_requests_total{class="leads",code="429"} 1`,
		`modx_amocrm_api_requests_total{class="contacts",code="error"} 1`,
		`modx_amocrm_api_request_duration_seconds_count{class="complex"} 1`,
		`modx_amocrm_rate_limit_waits_total 1`,
		`modx_amocrm_rate_limit_wait_seconds_total 0.25`,
		`modx_amocrm_token_expiry_timestamp_seconds 1.7000864e+09`,
		`modx_amocrm_leader 1`,
		`modx_amocrm_build_info{goversion="go`,
		`revision="abc123",version="1.2.3"} 1`,
		`go_goroutines `,
	}
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("/metrics lacks %q", w)
		}
	}
	if t.Failed() {
		t.Logf("/metrics:\n%s", body)
	}
}

// TestTokenExpiryUnknown: a token without a known expiry (a long-lived
// token that is no JWT) leaves no series, not year 1 (-6.2e10), which
// would fire an expiry alert for ever.
func TestTokenExpiryUnknown(t *testing.T) {
	m := New("1.2.3", "abc123")
	url := serve(t, m, nil) + "/metrics"
	const name = "modx_amocrm_token_expiry_timestamp_seconds "
	if _, body := get(t, url); strings.Contains(body, name) {
		t.Errorf("before any token: /metrics has %q", name)
	}
	m.SetTokenExpiry(time.Unix(1_700_000_000, 0))
	if _, body := get(t, url); !strings.Contains(body, name+"1.7e+09") {
		t.Errorf("after an expiry: /metrics lacks %q", name+"1.7e+09")
	}
	m.SetTokenExpiry(time.Time{})
	if _, body := get(t, url); strings.Contains(body, name) {
		t.Errorf("after an unknown expiry: /metrics still has %q", name)
	}
}

func TestHealthz(t *testing.T) {
	var failing atomic.Bool
	health := func() error {
		if failing.Load() {
			return errors.New("database: connection refused")
		}
		return nil
	}
	url := serve(t, New("test", ""), health) + "/healthz"

	if code, body := get(t, url); code != http.StatusOK || body != "ok\n" {
		t.Errorf("healthy: got %d %q, want 200 \"ok\\n\"", code, body)
	}
	failing.Store(true)
	if code, body := get(t, url); code != http.StatusServiceUnavailable || !strings.Contains(body, "connection refused") {
		t.Errorf("unhealthy: got %d %q, want 503 with the reason", code, body)
	}
}

func TestServeBadAddress(t *testing.T) {
	if err := New("test", "").Serve(context.Background(), "127.0.0.1:notaport", nil); err == nil {
		t.Error("Serve on a bad address: got nil error, want one")
	}
}

func TestNilMetricsIsNoop(t *testing.T) {
	var m *Metrics // callers under test pass nil; none of these may panic
	m.PassDone("orders", true, time.Now())
	m.PassDuration(time.Second)
	m.RowsRead("orders", 1)
	m.Written("lead", "created", 1)
	m.SetParked("orders", 1)
	m.SetBacklog("orders", 1)
	m.ObserveRequest("leads", 200, time.Second)
	m.RateLimitWait(time.Second)
	m.SetTokenExpiry(time.Now())
	m.SetLeader(true)
}
