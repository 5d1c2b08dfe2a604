package amocrm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"sync/atomic"
	"time"
)

const (
	maxBodySize = 64 << 20
	backoffBase = 500 * time.Millisecond
	backoffCap  = 30 * time.Second
)

// call is one logical request; do may send it several times.
type call struct {
	class  string // low-cardinality name for stats and metrics
	method string
	path   string // below the base URL
	query  url.Values
	body   []byte
	form   bool // body is form-encoded (token endpoint)
	noAuth bool
	// create: a repeat could store a second entity, so only 429 and requests
	// that never left are retried; other failures are ErrOutcomeUnknown.
	create bool
	// splittable: a 504 comes back at once so the caller halves the batch.
	splittable bool
}

// response is what one attempt got.
type response struct {
	status int
	header http.Header
	body   []byte
	wrote  bool   // the request may have reached the server
	token  string // access token sent, to tell a refresh whether it is stale
}

func jsonCall(class, method, path string, payload any) (call, error) {
	body, err := json.Marshal(payload)
	if err != nil {
		return call{}, fmt.Errorf("encode %s request: %w", class, err)
	}
	return call{class: class, method: method, path: path, body: body}, nil
}

// do sends cl, retrying as its kind allows, and decodes a 2xx body into out
// (a 204 leaves out untouched). It reports whether the response had content.
func (c *Client) do(ctx context.Context, cl call, out any) (bool, error) {
	var lastErr error
	var wait time.Duration
	refreshed := false
	for attempt := 0; attempt <= c.retries; attempt++ {
		if attempt > 0 {
			if err := c.sleep(ctx, wait); err != nil {
				return false, fmt.Errorf("%s: %w (last error: %w)", cl.class, err, lastErr)
			}
		}
		r, err := c.send(ctx, cl, attempt > 0)
		if err != nil {
			// Also when ctx ended: the create may have been stored all the same.
			if cl.create && r.wrote {
				return false, &OutcomeUnknownError{Class: cl.class, Err: err}
			}
			if ctx.Err() != nil || errors.Is(err, ErrNoToken) || errors.Is(err, ErrUnauthorized) {
				return false, fmt.Errorf("%s: %w", cl.class, err)
			}
			lastErr, wait = err, backoff(attempt, nil)
			c.log.Debug("amocrm request failed, retrying", "class", cl.class, "attempt", attempt+1, "err", err)
			continue
		}
		if r.status == http.StatusUnauthorized && c.tokens != nil && !cl.noAuth && !refreshed {
			// One refresh per call, and it does not count as a retry.
			refreshed = true
			if err := c.tokens.invalidate(ctx, r.token); err != nil {
				return false, fmt.Errorf("%s: %w", cl.class, err)
			}
			attempt--
			wait = 0
			continue
		}
		if r.status < 300 {
			if out == nil || r.status == http.StatusNoContent || len(r.body) == 0 {
				return r.status != http.StatusNoContent, nil
			}
			if err := json.Unmarshal(r.body, out); err != nil {
				return false, fmt.Errorf("decode %s response: %w", cl.class, err)
			}
			return true, nil
		}
		rerr := responseError(r.status, r.header, r.body)
		switch {
		case r.status == http.StatusTooManyRequests:
			lastErr, wait = rerr, backoff(attempt, r.header)
		case r.status >= 500 && cl.create:
			return false, &OutcomeUnknownError{Class: cl.class, Err: rerr}
		case r.status == http.StatusGatewayTimeout && cl.splittable:
			return false, rerr
		case r.status >= 500:
			lastErr, wait = rerr, backoff(attempt, r.header)
		default:
			return false, rerr
		}
		c.log.Debug("amocrm request refused, retrying", "class", cl.class, "status", r.status, "attempt", attempt+1)
	}
	return false, fmt.Errorf("%s: gave up after %d attempts: %w", cl.class, c.retries+1, lastErr)
}

// send makes one attempt under the limiter and the per-attempt deadline.
func (c *Client) send(ctx context.Context, cl call, retry bool) (response, error) {
	var r response
	info := RequestInfo{Class: cl.class, Method: cl.method, Retry: retry}
	waitStart := time.Now()
	if err := c.limiter.Wait(ctx); err != nil {
		return r, fmt.Errorf("wait for rate limiter: %w", err)
	}
	info.RateLimitWait = time.Since(waitStart)

	if !cl.noAuth {
		tok, err := c.accessToken(ctx)
		if err != nil {
			return r, err
		}
		r.token = tok
	}
	actx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	// Once a connection is in hand the request may reach amoCRM, whatever
	// error follows; only a request that never got one provably did not.
	// The transport reports it from its own goroutine.
	var wrote atomic.Bool
	actx = httptrace.WithClientTrace(actx, &httptrace.ClientTrace{
		GotConn: func(httptrace.GotConnInfo) { wrote.Store(true) },
	})
	req, err := http.NewRequestWithContext(actx, cl.method, c.url(cl.path, cl.query), bytes.NewReader(cl.body))
	if err != nil {
		return r, fmt.Errorf("build %s request: %w", cl.class, err)
	}
	switch {
	case cl.form:
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	case cl.body != nil:
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if r.token != "" {
		req.Header.Set("Authorization", "Bearer "+r.token)
	}

	start := time.Now()
	resp, err := c.http.Do(req)
	if err == nil {
		r.status, r.header = resp.StatusCode, resp.Header
		r.body, err = io.ReadAll(io.LimitReader(resp.Body, maxBodySize))
		resp.Body.Close()
	}
	info.Duration = time.Since(start)
	r.wrote = wrote.Load()
	if err == nil {
		info.Status = r.status
	}
	c.record(info)
	if err != nil {
		// *url.Error names the URL, which holds no secret: tokens travel in headers and bodies.
		return r, fmt.Errorf("%s %s: %w", cl.method, cl.path, err)
	}
	return r, nil
}

func (c *Client) url(path string, query url.Values) string {
	u := *c.base
	u.Path += path
	u.RawQuery = query.Encode()
	return u.String()
}

// backoff is exponential with jitter, or Retry-After when the server sent one.
func backoff(attempt int, header http.Header) time.Duration {
	if s := header.Get("Retry-After"); s != "" {
		if secs, err := strconv.Atoi(s); err == nil && secs >= 0 {
			return min(time.Duration(secs)*time.Second, backoffCap)
		}
	}
	d := min(backoffBase<<attempt, backoffCap)
	return d/2 + rand.N(d/2+1)
}
