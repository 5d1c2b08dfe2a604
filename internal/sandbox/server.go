package sandbox

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Options configures a Server. Zero values take the documented defaults.
type Options struct {
	Subdomain       string // default "example"
	ClientID        string // default DefaultClientID
	ClientSecret    string // default DefaultClientSecret
	AuthCode        string // default DefaultAuthCode
	RedirectURI     string // default DefaultRedirectURI
	LongLivedTokens []string
	RPS             float64       // per-token limit, default 7; <0 disables
	AccessTTL       time.Duration // default 24h
	CodeTTL         time.Duration // default 20m
	Now             func() time.Time
	Seed            *Seed  // nil: DefaultSeed()
	StatePath       string // "" keeps everything in memory
	Logger          *slog.Logger
	Modes           Modes // zero: the default account
}

// Fixed sandbox credentials, printed by `modx-amocrm sandbox` on start.
const (
	DefaultClientID     = "00000000-0000-4000-8000-000000000001"
	DefaultClientSecret = "sandbox-client-secret"
	DefaultAuthCode     = "def50200sandboxauthcode"
	DefaultRedirectURI  = "https://example.com/"
	defaultRPS          = 7
	maxBodyBytes        = 16 << 20
)

// Server is the emulator; it is an http.Handler and safe for concurrent use.
type Server struct {
	opts    Options
	log     *slog.Logger
	mux     *http.ServeMux
	limits  *limiter
	faults  *faultState
	reqs    *requestLog
	abuse   abuseGuard
	modeSet atomic.Pointer[Modes]

	mu sync.Mutex // guards st
	st *state
}

// New builds a server from opts, loading StatePath when it exists.
func New(opts Options) (*Server, error) {
	opts = withDefaults(opts)
	st, err := initialState(opts)
	if err != nil {
		return nil, err
	}
	s := &Server{
		opts:   opts,
		log:    opts.Logger,
		limits: newLimiter(opts.RPS),
		faults: newFaultState(),
		reqs:   newRequestLog(),
		st:     st,
	}
	s.SetModes(opts.Modes)
	s.issueCode(opts.AuthCode)
	s.routes()
	return s, nil
}

func withDefaults(o Options) Options {
	def := func(v *string, d string) {
		if *v == "" {
			*v = d
		}
	}
	def(&o.Subdomain, defaultSubdomain)
	def(&o.ClientID, DefaultClientID)
	def(&o.ClientSecret, DefaultClientSecret)
	def(&o.AuthCode, DefaultAuthCode)
	def(&o.RedirectURI, DefaultRedirectURI)
	if o.RPS == 0 {
		o.RPS = defaultRPS
	}
	if o.AccessTTL == 0 {
		o.AccessTTL = 24 * time.Hour
	}
	if o.CodeTTL == 0 {
		o.CodeTTL = 20 * time.Minute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return o
}

func initialState(o Options) (*state, error) {
	if o.StatePath != "" {
		st, err := loadState(o.StatePath)
		if err != nil || st != nil {
			return st, err
		}
	}
	st := newState()
	seed := o.Seed
	if seed == nil {
		seed = DefaultSeed()
		seed.Account.Subdomain = o.Subdomain
	}
	if err := seed.apply(st); err != nil {
		return nil, err
	}
	st.Secret = make([]byte, 32)
	if _, err := rand.Read(st.Secret); err != nil {
		return nil, fmt.Errorf("jwt secret: %w", err)
	}
	return st, nil
}

func (s *Server) routes() {
	m := http.NewServeMux()
	m.HandleFunc("POST /oauth2/access_token", s.handleToken)
	api := m.HandleFunc // authentication happens in serve, before routing
	api("GET /api/v4/account", s.handleAccount)
	api("GET /api/v4/users", s.handleUsers)
	api("GET /api/v4/leads/pipelines", s.handlePipelines)
	api("POST /api/v4/leads/pipelines", s.handleAddPipelines)
	api("GET /api/v4/leads/{id}/{sub}", s.leadsSub)
	api("GET /api/v4/leads/pipelines/{id}/statuses", s.handleStatuses)
	api("POST /api/v4/leads/pipelines/{id}/statuses", s.handleAddStatuses)
	api("PATCH /api/v4/leads/pipelines/{id}/statuses/{status}", s.handlePatchStatus)
	for _, entity := range []string{entityLeads, entityContacts} {
		api("GET /api/v4/"+entity+"/custom_fields", s.handleFields(entity))
		api("POST /api/v4/"+entity+"/custom_fields", s.handleAddFields(entity))
	}
	api("GET /api/v4/contacts", s.handleList(s.contactReads()))
	api("GET /api/v4/contacts/{id}", s.handleGet(s.contactReads()))
	api("POST /api/v4/contacts", s.handleWriteContacts(false))
	api("PATCH /api/v4/contacts", s.handleWriteContacts(true))
	api("GET /api/v4/leads", s.handleList(s.leadReads()))
	api("GET /api/v4/leads/{id}", s.handleGet(s.leadReads()))
	api("POST /api/v4/leads", s.handleWriteLeads(false))
	api("PATCH /api/v4/leads", s.handleWriteLeads(true))
	api("POST /api/v4/leads/complex", s.handleComplex)
	api("POST /api/v4/leads/notes", s.handleNotes)
	api("POST /api/v4/leads/{id}/notes", s.handleNotes)
	api("POST /api/v4/leads/unsorted/forms", s.handleUnsortedForms)
	api("GET /api/v4/events", s.handleEvents)
	api("GET /api/v4/events/{id}", s.handleEvent)
	api("GET /api/v4/catalogs", s.lists(s.handleCatalogs))
	api("GET /api/v4/catalogs/{id}", s.lists(s.handleCatalog))
	api("GET /api/v4/catalogs/{id}/custom_fields", s.lists(s.handleCatalogFields))
	api("GET /api/v4/catalogs/{id}/elements", s.lists(s.handleElements))
	api("GET /api/v4/catalogs/{id}/elements/{element}", s.lists(s.handleElement))
	api("POST /api/v4/catalogs/{id}/elements", s.lists(s.handleWriteElements(false)))
	api("PATCH /api/v4/catalogs/{id}/elements", s.lists(s.handleWriteElements(true)))
	api("POST /api/v4/leads/link", s.linkRoute(false))
	api("POST /api/v4/leads/{id}/link", s.linkRoute(false))
	api("POST /api/v4/leads/unlink", s.linkRoute(true))
	api("POST /api/v4/leads/{id}/unlink", s.linkRoute(true))
	api("GET /api/v4/leads/links", s.handleLinks)
	api("POST /api/v4/tasks", s.handleAddTasks)
	api("GET /api/v4/tasks", s.handleTasks)
	api("GET /api/v4/tasks/{id}", s.handleTask)
	m.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, http.StatusNotFound, "Not Found", "Route not found")
	}))
	s.mux = m
}

// ServeHTTP answers one request: request id, faults, then the route; the
// response is buffered so a fault can drop the connection after a write.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := s.reqs.begin(r, s.opts.Now())
	w.Header().Set("X-Request-Id", rec.RequestID)
	buf := newBufferedResponse()
	s.serve(buf, r, &rec)
	rec.Status = buf.status
	rec.Dropped = s.faults.shouldDrop(r, buf.status)
	s.reqs.add(rec)
	s.log.Debug("sandbox request", "method", r.Method, "path", r.URL.Path, "status", buf.status, "request_id", rec.RequestID, "dropped", rec.Dropped)
	if rec.Dropped {
		dropConnection(w)
		return
	}
	buf.copyTo(w)
}

// serve runs the checks a real account makes before routing, in its order:
// block, auth, rate limit, payment; then the injected faults.
func (s *Server) serve(w *bufferedResponse, r *http.Request, rec *RequestLog) {
	f, m := s.faults.get(), s.modes()
	if f.Blocked || s.abuse.blocked(s.opts.Now()) {
		writeHTML(w, http.StatusForbidden, blockedPage)
		return
	}
	if !s.readBody(w, r, rec) {
		return
	}
	if !sleep(r.Context(), f.Latency) {
		writeHTML(w, http.StatusGatewayTimeout, gatewayTimeoutPage)
		return
	}
	if strings.HasPrefix(r.URL.Path, "/api/") {
		tok, ok := s.authenticate(r)
		rec.TokenKind, rec.TokenID = tok.kind, tok.id
		switch {
		case !ok:
			writeProblem(w, http.StatusUnauthorized, "Unauthorized", "Неверный логин или пароль")
			return
		case !s.limits.allow(tok.id, s.opts.Now()):
			s.abuse.tooMany(s.opts.Now(), m)
			writeHTML(w, http.StatusTooManyRequests, tooManyRequestsPage)
			return
		case f.Unpaid:
			writeProblem(w, http.StatusPaymentRequired, "Payment Required", "Account is not paid")
			return
		case m.Error244 && r.Method != http.MethodGet:
			badRequest(w, code244)
			return
		}
		if status := s.faults.injected(rec.Items); status != 0 {
			writeHTML(w, status, errorPage(status))
			return
		}
	}
	s.mux.ServeHTTP(w, r)
	if m.NoRequestID && w.status == http.StatusBadRequest {
		w.dropRequestIDs()
	}
}

// readBody buffers a write body (so the item count is known before the
// handler runs) and records its number of items.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request, rec *RequestLog) bool {
	if r.Body == nil || r.Method == http.MethodGet {
		return true
	}
	b, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBodyBytes))
	if err != nil {
		writeProblem(w, http.StatusRequestEntityTooLarge, "Request Entity Too Large", "Request body is too large")
		return false
	}
	r.Body = io.NopCloser(bytes.NewReader(b))
	rec.Items = countItems(b)
	return true
}

// Requests returns a copy of the request log, oldest first.
func (s *Server) Requests() []RequestLog { return s.reqs.all() }

// ResetRequests empties the request log.
func (s *Server) ResetRequests() { s.reqs.reset() }

// SetFaults replaces the injected faults.
func (s *Server) SetFaults(f Faults) { s.faults.set(f) }

// Save writes the state to Options.StatePath; without one it does nothing.
func (s *Server) Save() error {
	if s.opts.StatePath == "" {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return writeState(s.opts.StatePath, s.st)
}

// Leads returns a deep copy of the stored leads, by id.
func (s *Server) Leads() []LeadState {
	s.mu.Lock()
	defer s.mu.Unlock()
	return deepCopy(s.st.Leads)
}

// Contacts returns a deep copy of the stored contacts, by id.
func (s *Server) Contacts() []ContactState {
	s.mu.Lock()
	defer s.mu.Unlock()
	return deepCopy(s.st.Contacts)
}

// Fields returns a deep copy of the custom fields of "leads" or "contacts".
func (s *Server) Fields(entity string) []CustomField {
	s.mu.Lock()
	defer s.mu.Unlock()
	return deepCopy(s.st.Fields[entity])
}

// Pipelines returns a deep copy of the pipelines with their statuses.
func (s *Server) Pipelines() []Pipeline {
	s.mu.Lock()
	defer s.mu.Unlock()
	return deepCopy(s.st.Pipelines)
}

// Notes returns a deep copy of the stored lead notes.
func (s *Server) Notes() []NoteState {
	s.mu.Lock()
	defer s.mu.Unlock()
	return deepCopy(s.st.Notes)
}

// Catalogs returns a deep copy of the lists with their fields.
func (s *Server) Catalogs() []CatalogState {
	s.mu.Lock()
	defer s.mu.Unlock()
	return deepCopy(s.st.Catalogs)
}

// Elements returns a deep copy of the elements of every list, by id.
func (s *Server) Elements() []ElementState {
	s.mu.Lock()
	defer s.mu.Unlock()
	return deepCopy(s.st.Elements)
}

// Tasks returns a deep copy of the stored tasks, by id.
func (s *Server) Tasks() []TaskState {
	s.mu.Lock()
	defer s.mu.Unlock()
	return deepCopy(s.st.Tasks)
}

// leadsSub routes GET /api/v4/leads/pipelines/{id}, /api/v4/leads/{id}/links
// and /api/v4/leads/{id}/notes, which one mux pattern each would make
// ambiguous.
func (s *Server) leadsSub(w http.ResponseWriter, r *http.Request) {
	id, sub := r.PathValue("id"), r.PathValue("sub")
	switch {
	case id == "pipelines":
		r.SetPathValue("id", sub)
		s.handlePipeline(w, r)
	case sub == "links":
		s.handleLinks(w, r)
	case sub == "notes":
		s.handleLeadNoteList(w, r)
	default:
		writeProblem(w, http.StatusNotFound, "Not Found", "Route not found")
	}
}

// lists guards a lists route: an account without lists answers 403.
func (s *Server) lists(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.modes().NoLists {
			writeNoLists(w)
			return
		}
		h(w, r)
	}
}

// Unsorted returns a deep copy of the stored unsorted form entries.
func (s *Server) Unsorted() []UnsortedState {
	s.mu.Lock()
	defer s.mu.Unlock()
	return deepCopy(s.st.Unsorted)
}

func (s *Server) now() int64 { return s.opts.Now().Unix() }
