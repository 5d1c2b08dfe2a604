// Package metrics exposes modx-amocrm's Prometheus metrics on a registry of
// its own. Labels are few and bounded: a source, an entity kind and result,
// an API endpoint class and HTTP status — never a record id. Every method is
// safe on a nil *Metrics, which records nothing, so code under test needs no
// registry.
package metrics

import (
	"runtime"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// The values of the source, kind and result labels; their series exist from
// the start.
var (
	sources = []string{"orders", "order_logs", "forms", "users"}
	kinds   = []string{"lead", "contact", "field", "pipeline", "note"}
	results = []string{"created", "updated", "unchanged", "skipped", "failed"}
)

// Metrics holds every collector. Create it with New.
type Metrics struct {
	registry *prometheus.Registry

	lastSuccess     *prometheus.GaugeVec
	passes          *prometheus.CounterVec
	passDuration    prometheus.Histogram
	rowsRead        *prometheus.CounterVec
	written         *prometheus.CounterVec
	parked          *prometheus.GaugeVec
	backlog         *prometheus.GaugeVec
	requests        *prometheus.CounterVec
	requestDuration *prometheus.HistogramVec
	rateLimitWaits  prometheus.Counter
	rateLimitWait   prometheus.Counter
	tokenExpiry     *prometheus.GaugeVec // no labels: a series only while an expiry is known
	leader          prometheus.Gauge
}

// New registers the metrics, the Go runtime and process collectors and
// modx_amocrm_build_info{version,revision,goversion} on a new registry;
// an empty revision (a build outside a git checkout) shows as "unknown".
func New(version, revision string) *Metrics {
	const ns = "modx_amocrm"
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		lastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns,
			Name: "last_success_timestamp_seconds", Help: "Unix time of the last pass that completed for the source."},
			[]string{"source"}),
		passes: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns,
			Name: "passes_total", Help: "Passes per source by result (ok, failed)."},
			[]string{"source", "result"}),
		passDuration: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: ns,
			Name: "pass_duration_seconds", Help: "Duration of whole sync passes.",
			Buckets: prometheus.ExponentialBuckets(0.1, 4, 9)}), // 0.1s .. ~1.8h
		rowsRead: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns,
			Name: "rows_read_total", Help: "Rows read from MODX per source."},
			[]string{"source"}),
		written: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns,
			Name: "entities_written_total", Help: "amoCRM entities by kind and what happened to them."},
			[]string{"kind", "result"}),
		parked: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns,
			Name: "parked_records", Help: "Records parked with a failure, waiting for a retry."},
			[]string{"source"}),
		backlog: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns,
			Name: "backlog_rows", Help: "Rows past the watermark still to be synced."},
			[]string{"source"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns,
			Name: "api_requests_total", Help: "amoCRM API requests by endpoint class and HTTP status (error: no response)."},
			[]string{"class", "code"}),
		requestDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: ns,
			Name: "api_request_duration_seconds", Help: "amoCRM API request duration by endpoint class.",
			Buckets: prometheus.DefBuckets}, []string{"class"}),
		rateLimitWaits: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns,
			Name: "rate_limit_waits_total", Help: "Requests that waited for the rate limiter."}),
		rateLimitWait: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns,
			Name: "rate_limit_wait_seconds_total", Help: "Time spent waiting for the rate limiter."}),
		tokenExpiry: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns,
			Name: "token_expiry_timestamp_seconds",
			Help: "Unix time the amoCRM access token expires; absent while no expiry is known."}, nil),
		leader: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns,
			Name: "leader", Help: "1 while this instance holds the site's lock and may write."}),
	}
	if revision == "" {
		revision = "unknown"
	}
	info := prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Name: "build_info",
		Help:        "Build of the running binary; always 1.",
		ConstLabels: prometheus.Labels{"version": version, "revision": revision, "goversion": runtime.Version()}})
	info.Set(1)
	m.registry.MustRegister(
		m.lastSuccess, m.passes, m.passDuration, m.rowsRead, m.written, m.parked, m.backlog,
		m.requests, m.requestDuration, m.rateLimitWaits, m.rateLimitWait, m.tokenExpiry, m.leader, info,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	// Series that exist from the start make rate() and absent() alerts work
	// before the first event.
	for _, s := range sources {
		m.rowsRead.WithLabelValues(s)
		m.parked.WithLabelValues(s)
		m.backlog.WithLabelValues(s)
		m.passes.WithLabelValues(s, "ok")
		m.passes.WithLabelValues(s, "failed")
	}
	for _, k := range kinds {
		for _, r := range results {
			m.written.WithLabelValues(k, r)
		}
	}
	return m
}

// Registry is the registry the metrics live on, for tests and extra collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.registry }

// PassDone records the end of a source's part of a pass; a successful one
// moves the source's last-success time to at.
func (m *Metrics) PassDone(source string, ok bool, at time.Time) {
	if m == nil {
		return
	}
	result := "failed"
	if ok {
		result = "ok"
		m.lastSuccess.WithLabelValues(source).Set(float64(at.UnixNano()) / 1e9)
	}
	m.passes.WithLabelValues(source, result).Inc()
}

// PassDuration records how long a whole pass took.
func (m *Metrics) PassDuration(d time.Duration) {
	if m == nil {
		return
	}
	m.passDuration.Observe(d.Seconds())
}

// RowsRead counts rows read from MODX for a source (orders, order_logs,
// forms, users).
func (m *Metrics) RowsRead(source string, n int) {
	if m == nil {
		return
	}
	m.rowsRead.WithLabelValues(source).Add(float64(n))
}

// Written counts n entities of a kind (lead, contact, field, pipeline, note)
// with a result (created, updated, unchanged, skipped, failed).
func (m *Metrics) Written(kind, result string, n int) {
	if m == nil {
		return
	}
	m.written.WithLabelValues(kind, result).Add(float64(n))
}

// SetParked sets the number of parked records of a source.
func (m *Metrics) SetParked(source string, n int) {
	if m == nil {
		return
	}
	m.parked.WithLabelValues(source).Set(float64(n))
}

// SetBacklog sets the number of rows of a source still to be synced.
func (m *Metrics) SetBacklog(source string, n int) {
	if m == nil {
		return
	}
	m.backlog.WithLabelValues(source).Set(float64(n))
}

// ObserveRequest records one amoCRM API request. class is a small fixed set
// named by the client (e.g. leads, contacts, complex, fields, oauth), never a
// URL with ids; code 0 means no HTTP response (timeout, dropped connection).
func (m *Metrics) ObserveRequest(class string, code int, d time.Duration) {
	if m == nil {
		return
	}
	status := "error"
	if code > 0 {
		status = strconv.Itoa(code)
	}
	m.requests.WithLabelValues(class, status).Inc()
	m.requestDuration.WithLabelValues(class).Observe(d.Seconds())
}

// RateLimitWait records one request that waited d for the rate limiter.
func (m *Metrics) RateLimitWait(d time.Duration) {
	if m == nil {
		return
	}
	m.rateLimitWaits.Inc()
	m.rateLimitWait.Add(d.Seconds())
}

// SetTokenExpiry records when the current access token expires. A zero t
// (a long-lived token that is no JWT, so its lifetime is unknown; no token)
// removes the series: its zero time, year 1, would be -6.2e10 and an expiry
// alert would fire for ever, while an absent series fires none.
func (m *Metrics) SetTokenExpiry(t time.Time) {
	if m == nil {
		return
	}
	if t.IsZero() {
		m.tokenExpiry.Reset()
		return
	}
	m.tokenExpiry.WithLabelValues().Set(float64(t.Unix()))
}

// SetLeader records whether this instance holds the site's lock.
func (m *Metrics) SetLeader(leader bool) {
	if m == nil {
		return
	}
	v := 0.0
	if leader {
		v = 1
	}
	m.leader.Set(v)
}
