package sandbox_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/modx-amocrm/modx-amocrm/internal/sandbox"
	"github.com/modx-amocrm/modx-amocrm/internal/sandbox/sandboxtest"
)

const testToken = "test-long-lived-token"

// api talks to a sandbox over real HTTP.
type api struct {
	t     *testing.T
	base  string
	token string
	srv   *sandbox.Server
	clock *sandboxtest.Clock
}

// start serves a sandbox with a long-lived test token, a fake clock and no
// rate limit unless opts set one.
func start(t *testing.T, opts sandbox.Options) *api {
	t.Helper()
	c := sandboxtest.NewClock()
	if opts.Now == nil {
		opts.Now = c.Now
	}
	if opts.RPS == 0 {
		opts.RPS = -1
	}
	opts.LongLivedTokens = append(opts.LongLivedTokens, testToken)
	srv, base := sandboxtest.Start(t, opts)
	return &api{t: t, base: base, token: testToken, srv: srv, clock: c}
}

// response is a finished request.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// do sends body (a string is sent as is, anything else as JSON) and
// returns the response; a transport error fails the test.
func (a *api) do(method, path string, body any) response {
	a.t.Helper()
	resp, err := a.send(method, path, body)
	if err != nil {
		a.t.Fatalf("%s %s: %v", method, path, err)
	}
	return resp
}

func (a *api) send(method, path string, body any) (response, error) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			a.t.Fatalf("encode body: %v", err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, a.base+path, rd)
	if err != nil {
		a.t.Fatalf("new request: %v", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if a.token != "" {
		req.Header.Set("Authorization", "Bearer "+a.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return response{}, err
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}, nil
}

// want fails unless the response has the status.
func (r response) want(t *testing.T, status int) response {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d; body %s", r.status, status, r.body)
	}
	return r
}

// validation is the 400 validation-errors body.
type validation struct {
	Errors []struct {
		RequestID string `json:"request_id"`
		Errors    []struct {
			Code   string `json:"code"`
			Path   string `json:"path"`
			Detail string `json:"detail"`
		} `json:"errors"`
	} `json:"validation-errors"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
}

// firstError returns "request_id code path" of the first validation error.
func firstError(t *testing.T, r response) string {
	t.Helper()
	r.want(t, http.StatusBadRequest)
	var v validation
	r.json(t, &v)
	if len(v.Errors) == 0 || len(v.Errors[0].Errors) == 0 {
		t.Fatalf("no validation errors in %s", r.body)
	}
	e := v.Errors[0]
	return e.RequestID + " " + e.Errors[0].Code + " " + e.Errors[0].Path
}

// phone is a PHONE field value for a write.
func phone(number, enum string) map[string]any {
	return map[string]any{"field_code": "PHONE", "values": []any{map[string]any{"value": number, "enum_code": enum}}}
}

func email(addr string) map[string]any {
	return map[string]any{"field_code": "EMAIL", "values": []any{map[string]any{"value": addr, "enum_code": "WORK"}}}
}

// unsortedForm is a leads/unsorted/forms item in the wholesale pipeline.
func unsortedForm(uid string) map[string]any {
	return map[string]any{"source_name": "Сайт", "source_uid": uid, "pipeline_id": sandbox.WholesalePipelineID,
		"metadata":  map[string]any{"form_id": "callback", "form_name": "Обратный звонок", "form_page": "https://shop.example/", "form_sent_at": 1700000000},
		"_embedded": map[string]any{"leads": []any{map[string]any{"name": "Звонок"}}, "contacts": []any{map[string]any{"name": "Олег", "custom_fields_values": []any{phone("+79995550000", "WORK")}}}}}
}

// ids extracts _embedded[key][].id from a write or list response.
func ids(t *testing.T, r response, key string) []int64 {
	t.Helper()
	var v struct {
		Embedded map[string][]struct {
			ID int64 `json:"id"`
		} `json:"_embedded"`
	}
	r.json(t, &v)
	var out []int64
	for _, e := range v.Embedded[key] {
		out = append(out, e.ID)
	}
	return out
}
