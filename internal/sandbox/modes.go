package sandbox

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Modes make the sandbox a harsher account than the default one: readings
// of the documentation where it leaves a behaviour open, taken at their
// pessimistic side, and account states a connector must survive. The zero
// value is the default account. Each field is a flag of `modx-amocrm
// sandbox`; doc.go gives the source of each.
type Modes struct {
	// SearchLag: `query` finds nothing written (created or changed) less
	// than this long ago.
	SearchLag time.Duration
	// SearchNoFields: `query` matches names only, never custom-field values
	// (so never a phone, an e-mail or an order number).
	SearchNoFields bool
	// FiltersIgnored: every filter[...] is ignored and lists come back
	// unfiltered, as on an account without the API filtering alpha.
	FiltersIgnored bool
	// NoRequestID: validation-errors items carry no request_id.
	NoRequestID bool
	// UnsortedDuplicates: a repeated source_uid in leads/unsorted/forms is
	// stored as one more incoming lead, and every lead of that source_uid is
	// tagged DuplicateTag, instead of being refused.
	UnsortedDuplicates bool
	// DuplicateControl: leads/complex answers a lead whose contact matches
	// an existing contact's phone or e-mail with the existing contact's lead
	// (or a new lead on the existing contact) and merged: true.
	DuplicateControl bool
	// Error244: every write is answered 400 "Код ошибки 244", as for an
	// unpaid account or a user without rights.
	Error244 bool
	// BlockAfter429: after this many 429 answers within a minute, every
	// request gets nginx's 403 page for BlockFor. 0: never.
	BlockAfter429 int
	// BlockFor is how long a block lasts; default DefaultBlockFor.
	BlockFor time.Duration
	// NoLists: the account's plan (or the integration's user) has no lists:
	// every /api/v4/catalogs request, and every link or links read naming a
	// list element, is answered 403.
	NoLists bool
	// LinksStrict: linking an element a lead already has adds to its
	// quantity instead of setting it, and unlinking what is not linked is
	// refused, so a client that sends a link again without reading it back
	// is caught.
	LinksStrict bool
}

// Defaults of the modes that take a value.
const (
	DefaultSearchLag = time.Minute
	DefaultBlockFor  = time.Hour
	// DuplicateTag marks incoming leads of a repeated source_uid.
	DuplicateTag = "Дубль"
	// code244 is the detail amoCRM answers writes with (amocrm-api-php #33).
	code244 = "Код ошибки 244. В случае повторного возникновения ошибки, обращайтесь в нашу техническую поддержку - support@amocrm.ru"
	// noListsDetail is the sandbox's answer for lists on an account
	// without them; amoCRM's wording is not documented.
	noListsDetail = "Access to lists is denied"
)

// writeNoLists answers a lists request of an account without lists: 403
// problem+json, the status amoCRM's error table gives a request the user
// has no rights for (amocrm.ru developers/content/api/errors).
func writeNoLists(w http.ResponseWriter) {
	writeProblem(w, http.StatusForbidden, "Forbidden", noListsDetail)
}

// Strict returns m with every behaviour the documentation leaves open at its
// pessimistic side: search lag (DefaultSearchLag unless m sets one), search
// blind to field values, filters ignored, validation errors without
// request_id, unsorted duplicates stored and strict links. Account states
// (duplicate control, 244, the 429 block, no lists) are left as m has them.
func (m Modes) Strict() Modes {
	if m.SearchLag == 0 {
		m.SearchLag = DefaultSearchLag
	}
	m.SearchNoFields, m.FiltersIgnored, m.NoRequestID, m.UnsortedDuplicates, m.LinksStrict = true, true, true, true, true
	return m
}

// String lists the modes that are on, as `modx-amocrm sandbox` flags;
// "default" when none is.
func (m Modes) String() string {
	var on []string
	add := func(set bool, flag string) {
		if set {
			on = append(on, flag)
		}
	}
	add(m.SearchLag > 0, "-search-lag "+m.SearchLag.String())
	add(m.SearchNoFields, "-search-no-fields")
	add(m.FiltersIgnored, "-filters-ignored")
	add(m.NoRequestID, "-no-request-id")
	add(m.UnsortedDuplicates, "-unsorted-duplicates")
	add(m.DuplicateControl, "-duplicate-control")
	add(m.Error244, "-error-244")
	add(m.BlockAfter429 > 0, fmt.Sprintf("-block-after-429 %d -block-for %s", m.BlockAfter429, m.blockFor()))
	add(m.NoLists, "-no-lists")
	add(m.LinksStrict, "-links-strict")
	if len(on) == 0 {
		return "default"
	}
	return strings.Join(on, " ")
}

func (m Modes) blockFor() time.Duration {
	if m.BlockFor > 0 {
		return m.BlockFor
	}
	return DefaultBlockFor
}

// SetModes replaces the modes, e.g. to turn an account unpaid mid-test.
func (s *Server) SetModes(m Modes) { s.modeSet.Store(&m) }

func (s *Server) modes() Modes { return *s.modeSet.Load() }

// abuseGuard blocks the account after too many 429s, as amoCRM does for
// repeated rate-limit violations (reference §2.1). The block is account-wide:
// every token and the OAuth endpoint get the 403 page.
type abuseGuard struct {
	mu    sync.Mutex
	hits  []time.Time // 429s of the last minute
	until time.Time
}

// blocked reports whether the account is blocked at now.
func (g *abuseGuard) blocked(now time.Time) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return now.Before(g.until)
}

// tooMany records a 429 at now and starts a block when it is the limit-th
// within a minute.
func (g *abuseGuard) tooMany(now time.Time, m Modes) {
	if m.BlockAfter429 <= 0 {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	recent := g.hits[:0]
	for _, t := range g.hits {
		if now.Sub(t) < time.Minute {
			recent = append(recent, t)
		}
	}
	g.hits = append(recent, now)
	if len(g.hits) >= m.BlockAfter429 {
		g.until, g.hits = now.Add(m.blockFor()), nil
	}
}
