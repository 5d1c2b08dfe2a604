package sandbox_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/modx-amocrm/modx-amocrm/internal/sandbox"
	"github.com/modx-amocrm/modx-amocrm/internal/sandbox/sandboxtest"
)

// benchPost sends body to path with the test token and fails unless 200.
func benchPost(b *testing.B, base, path string, body []byte) {
	req, _ := http.NewRequest("POST", base+path, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		b.Fatalf("status %d", resp.StatusCode)
	}
}

func complexBatch(n int) []byte {
	items := make([]any, n)
	for i := range items {
		items[i] = map[string]any{"name": fmt.Sprintf("Заказ %d", i), "price": 1000,
			"_embedded": map[string]any{"contacts": []any{map[string]any{"name": "Клиент",
				"custom_fields_values": []any{phone(fmt.Sprintf("+7999%07d", i), "WORK"), email(fmt.Sprintf("c%d@example.com", i))}}}}}
	}
	body, _ := json.Marshal(items)
	return body
}

// BenchmarkComplex50 is one full leads/complex request (50 leads with new
// contacts) over HTTP on 127.0.0.1.
func BenchmarkComplex50(b *testing.B) {
	_, base := sandboxtest.Start(b, sandbox.Options{RPS: -1, LongLivedTokens: []string{testToken}})
	body := complexBatch(50)
	b.ReportAllocs()
	for b.Loop() {
		benchPost(b, base, "/api/v4/leads/complex", body)
	}
}

// BenchmarkContactQuery is a phone search over 10,000 contacts.
func BenchmarkContactQuery(b *testing.B) {
	_, base := sandboxtest.Start(b, sandbox.Options{RPS: -1, LongLivedTokens: []string{testToken}})
	body := complexBatch(50)
	for range 200 {
		benchPost(b, base, "/api/v4/leads/complex", body)
	}
	req, _ := http.NewRequest("GET", base+"/api/v4/contacts?query=79990000049", nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	b.ReportAllocs()
	for b.Loop() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
}
