package amocrm

import (
	"maps"
	"net/http"
	"sync"
	"time"
)

// RequestInfo describes one attempt. Its fields have low cardinality so they
// can label metrics.
type RequestInfo struct {
	Class         string // "leads", "leads_complex", "contacts", "lead_fields", "oauth", ...
	Method        string
	Status        int // 0 when no response arrived
	Duration      time.Duration
	Retry         bool // not the first attempt of its call
	RateLimitWait time.Duration
}

// RequestKey counts requests by class and status.
type RequestKey struct {
	Class  string
	Status int
}

// Stats sums the attempts a Client made, for the run summary.
type Stats struct {
	Requests      map[RequestKey]int
	Retries       int
	TooMany       int // 429 responses
	RateLimitWait time.Duration
}

type statsCollector struct {
	mu sync.Mutex
	s  Stats
}

func (c *Client) record(info RequestInfo) {
	c.stats.mu.Lock()
	if c.stats.s.Requests == nil {
		c.stats.s.Requests = map[RequestKey]int{}
	}
	c.stats.s.Requests[RequestKey{info.Class, info.Status}]++
	if info.Retry {
		c.stats.s.Retries++
	}
	if info.Status == http.StatusTooManyRequests {
		c.stats.s.TooMany++
	}
	c.stats.s.RateLimitWait += info.RateLimitWait
	c.stats.mu.Unlock()
	if c.onRequest != nil {
		c.onRequest(info)
	}
}

// Stats returns a copy of the counters so far.
func (c *Client) Stats() Stats {
	c.stats.mu.Lock()
	defer c.stats.mu.Unlock()
	s := c.stats.s
	s.Requests = maps.Clone(s.Requests)
	return s
}
