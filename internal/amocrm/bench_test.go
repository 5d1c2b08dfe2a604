package amocrm_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/modx-amocrm/modx-amocrm/internal/amocrm"
	"github.com/modx-amocrm/modx-amocrm/internal/crm"
)

// BenchmarkLeadsPage measures a request of the client (limiter, retry loop,
// headers, HAL decoding of a 50-lead page) against a local server; "raw" is
// the same request with net/http and encoding/json alone, for the overhead.
func BenchmarkLeadsPage(b *testing.B) {
	var leads []string
	for i := range 50 {
		leads = append(leads, fmt.Sprintf(`{"id":%d,"name":"Заказ с сайта %d","price":1500,"pipeline_id":1,"status_id":2,
			"custom_fields_values":[{"field_id":10,"field_name":"Номер","values":[{"value":"%d"}]}],
			"_embedded":{"contacts":[{"id":%d,"is_main":true}]}}`, i+1, i+1, i+1, i+1000))
	}
	page := []byte(`{"_page":1,"_links":{"self":{"href":"x"}},"_embedded":{"leads":[` + strings.Join(leads, ",") + `]}}`)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/hal+json")
		w.Write(page)
	}))
	defer srv.Close()
	c, err := amocrm.New(amocrm.Config{BaseURL: srv.URL, LongLivedToken: "t", RateLimit: 1e9}, nil)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.Run("client", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.LeadsByIDs(ctx, []int64{1, 2, 3}, true); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("raw", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			resp, err := http.Get(srv.URL + "/api/v4/leads?filter[id][]=1&with=contacts")
			if err != nil {
				b.Fatal(err)
			}
			var p struct {
				Embedded struct {
					Leads []crm.Lead `json:"leads"`
				} `json:"_embedded"`
			}
			err = json.NewDecoder(resp.Body).Decode(&p)
			resp.Body.Close()
			if err != nil || len(p.Embedded.Leads) != 50 {
				b.Fatalf("decode: %v, %d leads", err, len(p.Embedded.Leads))
			}
		}
	})
}
