package sandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// amoCRM's limits on pipelines and on statuses per pipeline (system ones
// included).
const (
	maxPipelines = 50
	maxStatuses  = 100
)

type pipelineInput struct {
	Name         *string                `json:"name"`
	Sort         *int64                 `json:"sort"`
	IsMain       *bool                  `json:"is_main"`
	IsUnsortedOn *bool                  `json:"is_unsorted_on"`
	Embedded     *pipelineEmbeddedInput `json:"_embedded"`
	RequestID    *string                `json:"request_id"`
}

type pipelineEmbeddedInput struct {
	Statuses []statusInput `json:"statuses"`
}

func (in pipelineInput) statuses() []statusInput {
	if in.Embedded == nil {
		return nil
	}
	return in.Embedded.Statuses
}

type statusInput struct {
	Name      *string `json:"name"`
	Sort      *int64  `json:"sort"`
	Color     *string `json:"color"`
	RequestID *string `json:"request_id"`
}

type statusView struct {
	Status
	PipelineID int64  `json:"pipeline_id"`
	AccountID  int64  `json:"account_id"`
	RequestID  string `json:"request_id,omitempty"`
	Links      links  `json:"_links"`
}

type pipelineView struct {
	ID           int64  `json:"id"`
	Name         string `json:"name"`
	Sort         int64  `json:"sort"`
	IsMain       bool   `json:"is_main"`
	IsUnsortedOn bool   `json:"is_unsorted_on"`
	IsArchive    bool   `json:"is_archive"`
	AccountID    int64  `json:"account_id"`
	RequestID    string `json:"request_id,omitempty"`
	Links        links  `json:"_links"`
	Embedded     struct {
		Statuses []statusView `json:"statuses"`
	} `json:"_embedded"`
}

func (s *Server) viewStatus(r *http.Request, p *Pipeline, st Status) statusView {
	return statusView{Status: st, PipelineID: p.ID, AccountID: s.st.Account.ID,
		Links: selfLinks(r, fmt.Sprintf("/api/v4/leads/pipelines/%d/statuses/%d", p.ID, st.ID))}
}

func (s *Server) viewPipeline(r *http.Request, p *Pipeline) pipelineView {
	v := pipelineView{ID: p.ID, Name: p.Name, Sort: p.Sort, IsMain: p.IsMain, IsUnsortedOn: p.IsUnsortedOn, IsArchive: p.IsArchive,
		AccountID: s.st.Account.ID, Links: selfLinks(r, fmt.Sprintf("/api/v4/leads/pipelines/%d", p.ID))}
	v.Embedded.Statuses = make([]statusView, len(p.Statuses))
	for i, st := range p.Statuses {
		v.Embedded.Statuses[i] = s.viewStatus(r, p, st)
	}
	return v
}

// writeCollection answers a whole (unpaged) collection with _total_items.
func writeCollection(w http.ResponseWriter, r *http.Request, key string, items any, n int) {
	if n == 0 {
		noContent(w)
		return
	}
	writeHAL(w, struct {
		Total    int            `json:"_total_items"`
		Links    links          `json:"_links"`
		Embedded map[string]any `json:"_embedded"`
	}{n, selfLinks(r, r.URL.Path), map[string]any{key: items}})
}

// handlePipelines is GET /api/v4/leads/pipelines (not paged, as amoCRM).
func (s *Server) handlePipelines(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	views := make([]pipelineView, len(s.st.Pipelines))
	for i := range s.st.Pipelines {
		views[i] = s.viewPipeline(r, &s.st.Pipelines[i])
	}
	writeCollection(w, r, "pipelines", views, len(views))
}

// pipelineOr404 finds the {id} pipeline or answers amoCRM's 404; s.mu is held.
func (s *Server) pipelineOr404(w http.ResponseWriter, r *http.Request) *Pipeline {
	id, _ := pathID(r, "id")
	p := s.st.pipeline(id)
	if p == nil {
		writeProblem(w, http.StatusNotFound, "Not Found", "Pipeline not found")
	}
	return p
}

// handlePipeline is GET /api/v4/leads/pipelines/{id}.
func (s *Server) handlePipeline(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.pipelineOr404(w, r); p != nil {
		writeHAL(w, s.viewPipeline(r, p))
	}
}

// handleStatuses is GET /api/v4/leads/pipelines/{id}/statuses.
func (s *Server) handleStatuses(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.pipelineOr404(w, r)
	if p == nil {
		return
	}
	views := make([]statusView, len(p.Statuses))
	for i, st := range p.Statuses {
		views[i] = s.viewStatus(r, p, st)
	}
	writeCollection(w, r, "statuses", views, len(views))
}

// handleAddPipelines is POST /api/v4/leads/pipelines. Each new pipeline
// gets the unsorted status (when is_unsorted_on), its statuses, 142 and 143.
func (s *Server) handleAddPipelines(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	names := map[string]bool{}
	for _, p := range s.st.Pipelines {
		names[strings.ToLower(p.Name)] = true
	}
	count := len(s.st.Pipelines)
	b, ok := checkBatch(w, r, maxBatch, func(c *checker, in pipelineInput) pipelineInput {
		if count++; count > maxPipelines {
			c.fail(codeCount, "", fmt.Sprintf("An account has at most %d pipelines.", maxPipelines))
		}
		checkName(c, "name", in.Name, names)
		taken := map[string]bool{}
		for i, st := range in.statuses() {
			checkName(c, fmt.Sprintf("_embedded.statuses.%d.name", i), st.Name, taken)
		}
		return in
	})
	if !ok {
		return
	}
	views := make([]pipelineView, len(b.inputs))
	for i, in := range b.inputs {
		p := Pipeline{ID: s.st.next(seqPipeline), Name: strings.TrimSpace(*in.Name), IsUnsortedOn: true}
		setIf(&p.Sort, in.Sort)
		if in.IsUnsortedOn != nil {
			p.IsUnsortedOn = *in.IsUnsortedOn
		}
		for _, st := range in.statuses() {
			p.Statuses = append(p.Statuses, s.newStatus(st, len(p.Statuses)))
		}
		p.Statuses = completeStatuses(s.st, p)
		if in.IsMain != nil && *in.IsMain {
			for j := range s.st.Pipelines {
				s.st.Pipelines[j].IsMain = false
			}
			p.IsMain = true
		}
		s.st.Pipelines = append(s.st.Pipelines, p)
		views[i] = s.viewPipeline(r, &s.st.Pipelines[len(s.st.Pipelines)-1])
		views[i].RequestID = b.rids[i]
	}
	writeHAL(w, struct {
		Total    int                       `json:"_total_items"`
		Embedded map[string][]pipelineView `json:"_embedded"`
	}{len(views), map[string][]pipelineView{"pipelines": views}})
}

// checkName requires a non-blank name not in taken, then takes it.
func checkName(c *checker, path string, name *string, taken map[string]bool) {
	switch {
	case name == nil || strings.TrimSpace(*name) == "":
		c.missing(path)
	case len([]rune(*name)) > maxTextLen:
		c.fail(codeTooLong, path, fmt.Sprintf("This value is too long. It should have %d characters or less.", maxTextLen))
	case taken[strings.ToLower(strings.TrimSpace(*name))]:
		c.fail(codeUnique, path, detailUnique)
	default:
		taken[strings.ToLower(strings.TrimSpace(*name))] = true
	}
}

func (s *Server) newStatus(in statusInput, n int) Status {
	st := Status{ID: s.st.next(seqStatus), Name: strings.TrimSpace(*in.Name), Sort: int64(20 + 10*n), IsEditable: true, Color: "#99ccff"}
	setIf(&st.Sort, in.Sort)
	if in.Color != nil {
		st.Color = *in.Color
	}
	return st
}

// handleAddStatuses is POST /api/v4/leads/pipelines/{id}/statuses.
func (s *Server) handleAddStatuses(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.pipelineOr404(w, r)
	if p == nil {
		return
	}
	taken := map[string]bool{}
	for _, st := range p.Statuses {
		taken[strings.ToLower(st.Name)] = true
	}
	count := len(p.Statuses)
	b, ok := checkBatch(w, r, maxBatch, func(c *checker, in statusInput) statusInput {
		if count++; count > maxStatuses {
			c.fail(codeCount, "", fmt.Sprintf("A pipeline has at most %d statuses.", maxStatuses))
		}
		checkName(c, "name", in.Name, taken)
		return in
	})
	if !ok {
		return
	}
	views := make([]statusView, len(b.inputs))
	for i, in := range b.inputs {
		st := s.newStatus(in, len(p.Statuses))
		p.Statuses = insertOpen(p.Statuses, st)
		views[i] = s.viewStatus(r, p, st)
		views[i].RequestID = b.rids[i]
	}
	writeHAL(w, struct {
		Total    int                     `json:"_total_items"`
		Embedded map[string][]statusView `json:"_embedded"`
	}{len(views), map[string][]statusView{"statuses": views}})
}

// handlePatchStatus is PATCH /api/v4/leads/pipelines/{id}/statuses/{status}
// with one object. System statuses (unsorted, 142, 143) are not editable.
func (s *Server) handlePatchStatus(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.pipelineOr404(w, r)
	if p == nil {
		return
	}
	id, _ := pathID(r, "status")
	st := findStatus(p, id)
	if st == nil {
		writeProblem(w, http.StatusNotFound, "Not Found", "Status not found")
		return
	}
	var in statusInput
	c := &checker{rid: "0"}
	var body json.RawMessage
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		badRequest(w, "Request body must be a JSON object")
		return
	}
	if decodeStrict(c, "", body, &in) && !st.IsEditable {
		c.choice("id")
	}
	if in.Name != nil {
		taken := map[string]bool{}
		for _, other := range p.Statuses {
			if other.ID != st.ID {
				taken[strings.ToLower(other.Name)] = true
			}
		}
		checkName(c, "name", in.Name, taken)
	}
	if writeValidation(w, []*checker{c}) {
		return
	}
	if in.Name != nil {
		st.Name = strings.TrimSpace(*in.Name)
	}
	setIf(&st.Sort, in.Sort)
	if in.Color != nil {
		st.Color = *in.Color
	}
	writeHAL(w, s.viewStatus(r, p, *st))
}

// insertOpen puts st before the closing statuses 142 and 143.
func insertOpen(statuses []Status, st Status) []Status {
	i := len(statuses)
	for j, other := range statuses {
		if other.ID == StatusWon || other.ID == StatusLost {
			i = j
			break
		}
	}
	return slices.Insert(statuses, i, st)
}
