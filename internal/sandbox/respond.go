package sandbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
)

// Content types of amoCRM responses: HAL for success, problem+json for errors.
const (
	contentHAL     = "application/hal+json"
	contentProblem = "application/problem+json"
	contentHTML    = "text/html; charset=utf-8"
)

// HTML pages of the errors amoCRM answers from its nginx, not its API.
const (
	blockedPage         = "<html><head><title>403 Forbidden</title></head><body><center><h1>403 Forbidden</h1></center><hr><center>nginx</center></body></html>\n"
	tooManyRequestsPage = "<html><head><title>429 Too Many Requests</title></head><body><center><h1>429 Too Many Requests</h1></center><hr><center>nginx</center></body></html>\n"
	gatewayTimeoutPage  = "<html><head><title>504 Gateway Time-out</title></head><body><center><h1>504 Gateway Time-out</h1></center><hr><center>nginx</center></body></html>\n"
)

func errorPage(status int) string {
	return fmt.Sprintf("<html><head><title>%d %s</title></head><body><center><h1>%d %s</h1></center><hr><center>nginx</center></body></html>\n",
		status, http.StatusText(status), status, http.StatusText(status))
}

type problem struct {
	Title  string `json:"title"`
	Type   string `json:"type"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
}

func writeJSON(w http.ResponseWriter, status int, contentType string, v any) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Only our own types are encoded here; failing is a sandbox bug.
		panic(fmt.Sprintf("sandbox: encode response: %v", err))
	}
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	w.Write(b.Bytes())
}

func writeHAL(w http.ResponseWriter, v any) { writeJSON(w, http.StatusOK, contentHAL, v) }

func writeProblem(w http.ResponseWriter, status int, title, detail string) {
	writeJSON(w, status, contentProblem, problem{Title: title, Type: fmt.Sprintf("https://httpstatus.es/%d", status), Status: status, Detail: detail})
}

func badRequest(w http.ResponseWriter, detail string) {
	writeProblem(w, http.StatusBadRequest, "Bad Request", detail)
}

func writeHTML(w http.ResponseWriter, status int, page string) {
	w.Header().Set("Content-Type", contentHTML)
	w.WriteHeader(status)
	w.Write([]byte(page))
}

func noContent(w http.ResponseWriter) { w.WriteHeader(http.StatusNoContent) }

// link is a HAL link.
type link struct {
	Href string `json:"href"`
}

type links struct {
	Self link  `json:"self"`
	Next *link `json:"next,omitempty"`
	Prev *link `json:"prev,omitempty"`
}

func selfLinks(r *http.Request, path string) links {
	return links{Self: link{Href: baseURL(r) + path}}
}

func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// bufferedResponse holds a whole response until the server decides to send
// it or to drop the connection instead.
type bufferedResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func newBufferedResponse() *bufferedResponse {
	return &bufferedResponse{header: http.Header{}, status: http.StatusOK}
}

func (b *bufferedResponse) Header() http.Header         { return b.header }
func (b *bufferedResponse) Write(p []byte) (int, error) { return b.body.Write(p) }
func (b *bufferedResponse) WriteHeader(status int)      { b.status = status }

func (b *bufferedResponse) copyTo(w http.ResponseWriter) {
	for k, v := range b.header {
		w.Header()[k] = v
	}
	w.WriteHeader(b.status)
	w.Write(b.body.Bytes())
}

// dropRequestIDs removes request_id from every validation-errors item of a
// buffered 400, as in the response logged in reference §4.1.
func (b *bufferedResponse) dropRequestIDs() {
	var body map[string]json.RawMessage
	if json.Unmarshal(b.body.Bytes(), &body) != nil || body["validation-errors"] == nil {
		return
	}
	var items []map[string]json.RawMessage
	if json.Unmarshal(body["validation-errors"], &items) != nil {
		return
	}
	for _, it := range items {
		delete(it, "request_id")
	}
	body["validation-errors"], _ = json.Marshal(items)
	b.body.Reset()
	writeJSON(b, b.status, contentProblem, body)
}

// countItems is the number of elements of a JSON array body, 1 for any
// other JSON value and 0 for an empty or broken body.
func countItems(b []byte) int {
	var items []json.RawMessage
	if err := json.Unmarshal(b, &items); err == nil {
		return len(items)
	}
	if json.Valid(b) && len(bytes.TrimSpace(b)) > 0 {
		return 1
	}
	return 0
}
