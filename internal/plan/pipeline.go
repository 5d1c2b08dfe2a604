package plan

import (
	"slices"
	"strings"

	"github.com/modx-amocrm/modx-amocrm/internal/crm"
	"github.com/modx-amocrm/modx-amocrm/internal/report"
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
	Action report.Action // Create, Update (statuses added) or Unchanged
	Add    []string      // statuses to add
	Reason string
}

// Decide settles the step against the account's pipelines: create it when
// there is none, adopt one found by name, and add missing statuses only
// with orders.auto_update_pipelines (managers' deals stay put: statuses are
// never renamed or removed).
func (s *Pipeline) Decide(pipelines []crm.Pipeline, autoUpdate bool) {
	pl := FindPipeline(pipelines, s.ID)
	if pl == nil {
		s.ID, s.Known, s.Action = 0, false, report.Create
		return
	}
	s.Action = report.Unchanged
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
		s.Action, s.Add = report.Update, missing
	default:
		s.Reason = strings.TrimPrefix(s.Reason+"; statuses missing: "+strings.Join(missing, ", ")+
			" (orders.auto_update_pipelines adds them)", "; ")
	}
}

// entry renders the step, or nothing when there is nothing to say.
func (s *Pipeline) entry(source string) (report.Entry, bool) {
	if s.Known && s.Action == report.Unchanged && s.Reason == "" {
		return report.Entry{}, false
	}
	e := report.Entry{Source: source, Kind: "pipeline", Key: "pipeline:" + s.Name, Action: s.Action,
		AmoID: shown(s.ID), Title: s.Name, Reason: s.Reason}
	add := s.Add
	if s.Action == report.Create {
		add = s.Statuses
	}
	for _, n := range add {
		e.Changes = append(e.Changes, report.Change{Field: "status", New: n})
	}
	return e, true
}
