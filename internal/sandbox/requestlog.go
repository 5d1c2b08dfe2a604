package sandbox

import (
	"fmt"
	"net/http"
	"sync"
	"time"
)

// RequestLog is one request as the sandbox saw it. TokenID identifies the
// bearer token without revealing it.
type RequestLog struct {
	Time      time.Time
	RequestID string
	Method    string
	Path      string
	Query     string
	Status    int
	TokenKind string // "", "oauth", "long-lived", "invalid"
	TokenID   string
	Items     int  // elements of a write body's JSON array
	Dropped   bool // applied, then the connection was closed unanswered
}

// maxLoggedRequests bounds the log's memory; the oldest entries go first.
const maxLoggedRequests = 100_000

type requestLog struct {
	mu   sync.Mutex
	seq  uint64
	reqs []RequestLog
}

func newRequestLog() *requestLog { return &requestLog{} }

// begin starts the entry of a new request and gives it a request id.
func (l *requestLog) begin(r *http.Request, now time.Time) RequestLog {
	l.mu.Lock()
	l.seq++
	seq := l.seq
	l.mu.Unlock()
	return RequestLog{Time: now, RequestID: fmt.Sprintf("sandbox-%012x", seq), Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery}
}

func (l *requestLog) add(rec RequestLog) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.reqs) >= maxLoggedRequests {
		l.reqs = append(l.reqs[:0], l.reqs[len(l.reqs)-maxLoggedRequests/2:]...)
	}
	l.reqs = append(l.reqs, rec)
}

func (l *requestLog) all() []RequestLog {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]RequestLog(nil), l.reqs...)
}

func (l *requestLog) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.reqs = nil
}
