package plan

import (
	"slices"
	"strconv"
	"strings"

	"github.com/modx-amocrm/modx-amocrm/internal/crm"
)

// Pipeline is the site pipeline step of orders.pipeline_id = 0: a pipeline
// named after the site whose statuses mirror miniShop2's, settled before
// any batch.
type Pipeline struct {
	Name     string
	Statuses []string // the miniShop2 statuses it must have, by name
	// ID is the pipeline: the one our state remembers (Known), one of the
	// site's name found in the account, or, once applied, the created one.
	ID     int64
	Known  bool
	Action Action   // Create, Update (statuses added) or Unchanged
	Add    []string // statuses to add
	Reason string

	// Outcomes: Written once the step is carried out (or simulated), and
	// After, the account's pipelines then (nil: unchanged).
	Written bool
	After   []crm.Pipeline
}

// MetaSitePipeline is the state meta entry keeping the site pipeline's id.
const MetaSitePipeline = "site_pipeline_id"

// simulate gives a step that creates the pipeline a made-up id, and the
// account the pipeline as amoCRM would make it, so the dry run's report
// shows where deals would go.
func (s *Pipeline) simulate(next func() int64, pipelines []crm.Pipeline) {
	s.Written = true
	if s.Action != Create {
		return
	}
	s.ID = next()
	s.After = append(slices.Clone(pipelines), s.planned())
}

// planned is the pipeline the step creates under its made-up id, with the
// system statuses amoCRM adds; its statuses get made-up ids below it,
// keeping amoCRM's fixed 142 and 143.
func (s *Pipeline) planned() crm.Pipeline {
	status := func(i int, st crm.Status) crm.Status {
		st.PipelineID = s.ID
		if st.ID == 0 {
			st.ID = s.ID*1_000_000 - int64(i)
		}
		return st
	}
	statuses := []crm.Status{status(0, crm.Status{Name: "Неразобранное", Type: crm.StatusTypeUnsorted})}
	for i, n := range s.Statuses {
		statuses = append(statuses, status(i+1, crm.Status{Name: n, Sort: int64(10 * (i + 1))}))
	}
	statuses = append(statuses,
		status(0, crm.Status{ID: crm.StatusWon, Name: "Успешно реализовано"}),
		status(0, crm.Status{ID: crm.StatusLost, Name: "Закрыто и не реализовано"}))
	return crm.Pipeline{ID: s.ID, Name: s.Name, Sort: 100, Embedded: &crm.PipelineEmbedded{Statuses: statuses}}
}

// writes remembers a pipeline made or adopted by its id; one the state
// knows already, or a dry run's made-up one, is not written.
func (s *Pipeline) writes(w *Writes) {
	if s.Written && !s.Known && s.ID > 0 {
		if w.Meta == nil {
			w.Meta = map[string]string{}
		}
		w.Meta[MetaSitePipeline] = strconv.FormatInt(s.ID, 10)
	}
}

// Decide settles the step against the account's pipelines: create it when
// there is none, adopt one found by name, and add missing statuses only
// with orders.auto_update_pipelines (managers' deals stay put: statuses are
// never renamed or removed).
func (s *Pipeline) Decide(pipelines []crm.Pipeline, autoUpdate bool) {
	pl := FindPipeline(pipelines, s.ID)
	if pl == nil {
		s.ID, s.Known, s.Action = 0, false, Create
		return
	}
	s.Action = Unchanged
	if !s.Known {
		s.Reason = "adopted: the account already has a pipeline of this name"
	}
	var missing []string
	for _, n := range s.Statuses {
		if !slices.ContainsFunc(pl.Statuses(), func(st crm.Status) bool { return strings.EqualFold(st.Name, n) }) {
			missing = append(missing, n)
		}
	}
	switch {
	case len(missing) == 0:
	case autoUpdate:
		s.Action, s.Add = Update, missing
	default:
		s.Reason = strings.TrimPrefix(s.Reason+"; statuses missing: "+strings.Join(missing, ", ")+
			" (orders.auto_update_pipelines adds them)", "; ")
	}
}

// entry renders the step, or nothing when there is nothing to say.
func (s *Pipeline) entry(source string) (Entry, bool) {
	if s.Known && s.Action == Unchanged && s.Reason == "" {
		return Entry{}, false
	}
	e := Entry{Source: source, Kind: "pipeline", Key: "pipeline:" + s.Name, Action: s.Action,
		AmoID: shown(s.ID), Title: s.Name, Reason: s.Reason}
	add := s.Add
	if s.Action == Create {
		add = s.Statuses
	}
	for _, n := range add {
		e.Changes = append(e.Changes, Change{Field: "status", New: n})
	}
	return e, true
}
