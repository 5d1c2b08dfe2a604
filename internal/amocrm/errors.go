package amocrm

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strings"
)

// Sentinel errors. Callers tell cases apart with errors.Is; *APIError and
// *OutcomeUnknownError match the ones that describe them.
var (
	// ErrOutcomeUnknown: a create may or may not have been stored (timeout,
	// 5xx or dropped connection after the request left). The caller must look
	// the entity up before creating it again.
	ErrOutcomeUnknown = errors.New("outcome of the amoCRM write is unknown")
	// ErrRateLimited: 429 on every attempt.
	ErrRateLimited = errors.New("amoCRM rate limit exceeded")
	// ErrUnauthorized: the access token was refused, even after a refresh.
	ErrUnauthorized = errors.New("amoCRM refused the access token")
	// ErrTokenRevoked: the refresh token is dead; only a new auth code helps.
	ErrTokenRevoked = errors.New("amoCRM token has been revoked: put a new auth code in amocrm.auth_code and run `modx-amocrm auth`")
	// ErrNoToken: OAuth mode and nothing in the token store yet.
	ErrNoToken = errors.New("no amoCRM token stored: run `modx-amocrm auth`")
	// ErrPaymentRequired: 402, or a 400 "Код ошибки 244", which amoCRM
	// answers writes with when the subscription ended or the integration's
	// user lacks rights (amocrm-api-php issue #33).
	ErrPaymentRequired = errors.New("amoCRM account is not paid, or the integration's user lacks rights")
	// ErrForbidden: 403, also the HTML page of an account blocked for abuse.
	ErrForbidden = errors.New("amoCRM refused access (blocked for exceeding the rate limit?)")
	// ErrRedirectURI: the token endpoint does not know the redirect URI sent
	// as the integration's.
	ErrRedirectURI = errors.New("amoCRM does not know the redirect URI as the integration's")
)

// APIError is an unsuccessful amoCRM response. Title, Detail and Hint come
// from the problem+json body when there is one; HTML bodies are dropped.
type APIError struct {
	Status    int
	Title     string
	Detail    string
	Hint      string
	RequestID string // X-Request-Id, for support tickets
}

func (e *APIError) Error() string {
	var b strings.Builder
	if kind := e.kind(); kind != nil {
		b.WriteString(kind.Error())
		fmt.Fprintf(&b, " (HTTP %d", e.Status)
	} else {
		fmt.Fprintf(&b, "amoCRM error (HTTP %d", e.Status)
	}
	for _, s := range []string{e.Title, e.Detail, e.Hint} {
		if s != "" {
			b.WriteString(", ")
			b.WriteString(s)
		}
	}
	if e.RequestID != "" {
		b.WriteString(", request id ")
		b.WriteString(e.RequestID)
	}
	b.WriteString(")")
	return b.String()
}

// Is makes errors.Is(err, ErrForbidden) and friends work on an *APIError.
func (e *APIError) Is(target error) bool {
	kind := e.kind()
	return kind != nil && (target == kind || kind == ErrTokenRevoked && target == ErrUnauthorized)
}

func (e *APIError) kind() error {
	hint := strings.ToLower(e.Hint)
	switch {
	case strings.Contains(hint, "token has been revoked"), strings.Contains(hint, "invalid refresh token"):
		return ErrTokenRevoked
	case strings.Contains(hint, "redirect uri"), strings.Contains(hint, "redirect_uri"):
		return ErrRedirectURI
	case e.Status == http.StatusUnauthorized:
		return ErrUnauthorized
	case e.Status == http.StatusPaymentRequired, e.Status == http.StatusBadRequest && isCode244(e.Detail):
		return ErrPaymentRequired
	case e.Status == http.StatusForbidden:
		return ErrForbidden
	case e.Status == http.StatusTooManyRequests:
		return ErrRateLimited
	}
	return nil
}

// isCode244 reports a detail naming legacy error 244 ("Код ошибки 244. В
// случае повторного возникновения ошибки, обращайтесь в нашу техническую
// поддержку"), in Russian or English.
func isCode244(detail string) bool { return code244.MatchString(detail) }

var code244 = regexp.MustCompile(`(?i)(код ошибки|error code)\s*244\b`)

// ValidationError is a 400 with validation-errors. Items maps the request_id
// of each rejected item to its errors; errors without a request_id are under "".
type ValidationError struct {
	Items     map[string][]ItemError
	RequestID string
}

// ItemError is one rejected field of one item.
type ItemError struct {
	Code   string `json:"code"`
	Path   string `json:"path"`
	Detail string `json:"detail"`
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString("amoCRM rejected the request")
	n := 0
	for _, id := range slices.Sorted(maps.Keys(e.Items)) {
		for _, ie := range e.Items[id] {
			if n == 3 {
				b.WriteString("; ...")
				return b.String()
			}
			fmt.Fprintf(&b, "; item %q: %s %s", id, ie.Path, ie.Code)
			n++
		}
	}
	if e.RequestID != "" {
		b.WriteString(" (request id " + e.RequestID + ")")
	}
	return b.String()
}

// OutcomeUnknownError wraps the failure after which a create's outcome is
// unknown. errors.Is(err, ErrOutcomeUnknown) is true.
type OutcomeUnknownError struct {
	Class string // request class, e.g. "leads_complex"
	Err   error
}

func (e *OutcomeUnknownError) Error() string {
	return fmt.Sprintf("%s: %v: %v", e.Class, ErrOutcomeUnknown, e.Err)
}

func (e *OutcomeUnknownError) Is(target error) bool { return target == ErrOutcomeUnknown }
func (e *OutcomeUnknownError) Unwrap() error        { return e.Err }

// IsFatal reports errors that stop a whole run: the account is unpaid or
// blocked, or the token is dead and a human must re-authorize.
func IsFatal(err error) bool {
	return errors.Is(err, ErrPaymentRequired) || errors.Is(err, ErrForbidden) ||
		errors.Is(err, ErrUnauthorized) || errors.Is(err, ErrNoToken)
}

// IsRetryable reports errors worth trying again later without a change:
// rate limits, server errors and network failures, but not unknown outcomes
// (they need reconciling first) nor rejections.
func IsRetryable(err error) bool {
	if err == nil || IsFatal(err) || errors.Is(err, ErrOutcomeUnknown) {
		return false
	}
	var verr *ValidationError
	if errors.As(err, &verr) {
		return false
	}
	var aerr *APIError
	if errors.As(err, &aerr) {
		return aerr.Status == http.StatusTooManyRequests || aerr.Status >= 500
	}
	return true
}

// problem is the problem+json error body, with amoCRM's validation-errors.
type problem struct {
	Title            string `json:"title"`
	Detail           string `json:"detail"`
	Hint             string `json:"hint"`
	ValidationErrors []struct {
		RequestID string      `json:"request_id"`
		Errors    []ItemError `json:"errors"`
	} `json:"validation-errors"`
}

// responseError turns an unsuccessful response into *ValidationError or
// *APIError. Bodies that are not JSON (nginx HTML pages) are not echoed.
func responseError(status int, header http.Header, body []byte) error {
	var p problem
	if json.Unmarshal(body, &p) != nil {
		p = problem{}
	}
	reqID := header.Get("X-Request-Id")
	if status == http.StatusBadRequest && len(p.ValidationErrors) > 0 {
		verr := &ValidationError{Items: map[string][]ItemError{}, RequestID: reqID}
		for _, ve := range p.ValidationErrors {
			verr.Items[ve.RequestID] = append(verr.Items[ve.RequestID], ve.Errors...)
		}
		return verr
	}
	if p.Title == "" {
		p.Title = http.StatusText(status)
	}
	return &APIError{Status: status, Title: p.Title, Detail: p.Detail, Hint: p.Hint, RequestID: reqID}
}
