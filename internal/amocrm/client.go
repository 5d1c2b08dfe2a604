// Package amocrm is a client of the amoCRM (Kommo) REST API v4: OAuth tokens
// kept in a shared store, one rate limiter per process, retries that never
// repeat a create blindly, batching and paging.
package amocrm

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// Defaults of Config.
const (
	DefaultRateLimit  = 6 // requests/s; amoCRM blocks integrations that keep exceeding 7
	DefaultTimeout    = 30 * time.Second
	DefaultMaxRetries = 5
	DefaultBatchSize  = 50
	MaxBatchSize      = 250
	complexBatchSize  = 50 // leads/complex takes at most 50 leads
)

// Config configures a Client. BaseURL and either LongLivedToken or the OAuth
// fields (ClientID, ClientSecret, RedirectURI and a TokenStore) are required.
type Config struct {
	BaseURL        string // https://{account}.amocrm.ru, or a sandbox URL
	ClientID       string
	ClientSecret   string
	RedirectURI    string
	LongLivedToken string // private integrations: no OAuth at all
	TokenName      string // key of the token in the TokenStore; default "default"

	RateLimit  float64       // requests/s for the whole Client, retries included; default 6
	Timeout    time.Duration // per request attempt; default 30s
	MaxRetries int           // attempts after the first; default 5
	BatchSize  int           // entities per write request, up to 250; default 50

	// FiltersIgnored starts the Client knowing that the account ignores
	// filter[...] (it lacks the API filtering alpha), as an earlier run
	// found: LeadsByIDs and ContactsByIDs then read each id on its own.
	FiltersIgnored bool
	// OnFiltersIgnored is called once, when the Client finds that the
	// account ignores filters, so the caller can remember it for the next
	// run (Config.FiltersIgnored).
	OnFiltersIgnored func()

	HTTPClient *http.Client // its Timeout is not used: Timeout applies per attempt
	Logger     *slog.Logger
	OnRequest  func(RequestInfo) // called after every attempt, e.g. for metrics
	// Sleep waits between attempts; nil sleeps for real. Tests pass a fast one.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Client talks to one amoCRM account. It is safe for concurrent use.
type Client struct {
	base      *url.URL
	http      *http.Client
	limiter   *rate.Limiter
	timeout   time.Duration
	retries   int
	batchSize int
	log       *slog.Logger
	onRequest func(RequestInfo)
	sleep     func(ctx context.Context, d time.Duration) error
	oauth     *oauthConfig // nil in long-lived token mode
	longLived string
	tokens    *tokenSource // nil in long-lived token mode
	stats     statsCollector

	filtersIgnored   atomic.Bool
	onFiltersIgnored func()
	// What the account said of its filters (Filters), asked once.
	filterMu     sync.Mutex
	filterAsked  bool
	filterAnswer FilterSupport
}

// New returns a Client. store may be nil only in long-lived token mode.
func New(cfg Config, store TokenStore) (*Client, error) {
	base, err := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
	if err != nil || base.Scheme == "" || base.Host == "" {
		return nil, fmt.Errorf("amocrm base url %q: must be an absolute http(s) URL", cfg.BaseURL)
	}
	c := &Client{
		base:      base,
		http:      cfg.HTTPClient,
		limiter:   rate.NewLimiter(rate.Limit(orDefault(cfg.RateLimit, DefaultRateLimit)), 1),
		timeout:   orDefault(cfg.Timeout, DefaultTimeout),
		retries:   orDefault(cfg.MaxRetries, DefaultMaxRetries),
		batchSize: min(orDefault(cfg.BatchSize, DefaultBatchSize), MaxBatchSize),
		log:       cfg.Logger,
		onRequest: cfg.OnRequest,
		sleep:     cfg.Sleep,
		longLived: cfg.LongLivedToken,

		onFiltersIgnored: cfg.OnFiltersIgnored,
	}
	c.filtersIgnored.Store(cfg.FiltersIgnored)
	if c.http == nil {
		c.http = &http.Client{}
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.sleep == nil {
		c.sleep = sleepCtx
	}
	if c.longLived != "" {
		return c, nil
	}
	if cfg.ClientID == "" || cfg.ClientSecret == "" || cfg.RedirectURI == "" {
		return nil, errors.New("amocrm: either a long-lived token or client id, client secret and redirect uri are required")
	}
	if store == nil {
		return nil, errors.New("amocrm: OAuth mode needs a token store")
	}
	c.oauth = &oauthConfig{clientID: cfg.ClientID, clientSecret: cfg.ClientSecret, redirectURI: cfg.RedirectURI}
	c.tokens = &tokenSource{store: store, name: orDefault(cfg.TokenName, "default"), refresh: c.refreshToken, log: c.log}
	return c, nil
}

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// FiltersIgnored reports whether the account is known to ignore filter[...].
func (c *Client) FiltersIgnored() bool { return c.filtersIgnored.Load() }

// noteFiltersIgnored records that the account ignores filters, telling the
// log and OnFiltersIgnored the first time.
func (c *Client) noteFiltersIgnored() {
	if !c.filtersIgnored.CompareAndSwap(false, true) {
		return
	}
	c.log.Warn("amocrm account ignores list filters, reading entities by id one at a time")
	if c.onFiltersIgnored != nil {
		c.onFiltersIgnored()
	}
}
