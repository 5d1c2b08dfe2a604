package transform

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/modx-amocrm/modx-amocrm/internal/crm"
)

// StatusMaps says how the orders' status maps apply in the account, for
// `check`: the old extra's amocrm_status becomes one table per pipeline
// (orders.pipeline_status_map) where one status_map cannot hold it, unless
// the tables' status names agree across pipelines, and then one
// orders.status_map by name does the same.
type StatusMaps struct {
	// Tables are orders.pipeline_status_map resolved, in key order.
	Tables []PipelineStatuses
	// ByName is the orders.status_map by name (shop status -> amoCRM
	// status name) that would do what the tables do: every table maps the
	// same shop statuses to statuses of the same names. Nil when they
	// differ (Differ says where) or there are no tables.
	ByName map[int64]string
	Differ string
	// Unmapped names the pipelines a deal may be put in (orders.pipeline_id,
	// category rules) where no shop status is mapped, with the key that
	// sends deals there: their orders' status changes move nothing.
	Unmapped []string
}

// PipelineStatuses is one pipeline's table: shop status -> amoCRM status name.
type PipelineStatuses struct {
	Pipeline string
	Statuses map[int64]string
}

// StatusMaps reports how the status maps apply (see StatusMaps).
func (m *Mapper) StatusMaps() StatusMaps {
	var r StatusMaps
	for _, id := range m.mappedPipelines {
		p := m.acc.byID[id]
		t := PipelineStatuses{Pipeline: p.name, Statuses: map[int64]string{}}
		for shop, s := range m.statusMap[id] {
			t.Statuses[shop] = p.statusName(s)
		}
		r.Tables = append(r.Tables, t)
	}
	r.ByName, r.Differ = sameNames(r.Tables)

	type target struct {
		key      string
		pipeline int64
	}
	targets := []target{{"orders.pipeline_id", m.defPipeline}}
	for i, rule := range m.rules {
		if rule.pipeline != 0 {
			targets = append(targets, target{fmt.Sprintf("orders.category[%d]", i+1), rule.pipeline})
		}
	}
	for _, t := range targets {
		site := t.pipeline == m.meta.SitePipelineID && len(m.siteStatusMap) > 0
		if len(m.statusMap[t.pipeline]) == 0 && !site {
			r.Unmapped = append(r.Unmapped, fmt.Sprintf("%q (%s)", m.acc.byID[t.pipeline].name, t.key))
		}
	}
	return r
}

// sameNames gives the one map by name the tables agree on, or says where
// they differ.
func sameNames(tables []PipelineStatuses) (map[int64]string, string) {
	if len(tables) == 0 {
		return nil, ""
	}
	first := tables[0]
	for _, t := range tables[1:] {
		for _, shop := range slices.Sorted(maps.Keys(first.Statuses)) {
			name, ok := t.Statuses[shop]
			switch {
			case !ok:
				return nil, fmt.Sprintf("shop status %d is mapped in %q, not in %q", shop, first.Pipeline, t.Pipeline)
			case !strings.EqualFold(name, first.Statuses[shop]):
				return nil, fmt.Sprintf("shop status %d is %q in %q, %q in %q", shop, first.Statuses[shop], first.Pipeline, name, t.Pipeline)
			}
		}
		for _, shop := range slices.Sorted(maps.Keys(t.Statuses)) {
			if _, ok := first.Statuses[shop]; !ok {
				return nil, fmt.Sprintf("shop status %d is mapped in %q, not in %q", shop, t.Pipeline, first.Pipeline)
			}
		}
	}
	return maps.Clone(first.Statuses), ""
}

// statusName is a status's name in the pipeline (142 and 143 have theirs
// in every pipeline).
func (p *pipeline) statusName(id int64) string {
	for _, s := range p.statuses {
		if s.ID == id {
			return s.Name
		}
	}
	return fmt.Sprint(id)
}

// Stands reports whether a deal left at stage (the amoCRM status last set,
// or found, for its order) is where the config puts the deal of an order
// at shop status: in the pipeline holding stage (for won and lost, which
// every pipeline holds, in any of them) the status maps to stage, or maps
// nowhere (an unmapped status moves no deal), or stage leads back to it
// ([shop_status]: the way back took a manager's stage for it). Stage 0 is
// a deal no longer followed (deleted in amoCRM). A stage no pipeline holds
// does not stand: the deal is read to learn where it is.
func (m *Mapper) Stands(stage, status int64) bool {
	if stage == 0 {
		return true
	}
	holding := m.acc.holding[stage]
	if stage == crm.StatusWon || stage == crm.StatusLost {
		holding = m.acc.pipelines
	}
	for _, p := range holding {
		to, ok := m.StatusChange(p.id, status)
		if !ok || to == stage || slices.Contains(m.ShopStatus(p.id, stage), status) {
			return true
		}
	}
	return false
}
