package report

import (
	"fmt"
	"slices"
	"strings"

	"github.com/modx-amocrm/modx-amocrm/internal/plan"
)

// kindOrder is the display order of the kinds the syncer produces; other
// kinds follow in alphabetical order.
var kindOrder = []string{"lead", "contact", "products", "task", "element", "status_move", "order_status", "note", "field", "pipeline"}

// tally counts entries per kind and action and remembers the account-level
// things a pass would create. It holds a few values per distinct kind,
// source and created field, never per entry.
type tally struct {
	counts  map[string]*kindCounts
	sources map[string]bool
	creates []creation
	total   int
}

// creation is a custom field or pipeline the pass creates (or would).
type creation struct {
	Kind  string `json:"kind"`
	Title string `json:"title"`
}

// kindCounts is one row of the summary: a kind's entries per action.
type kindCounts struct {
	Kind      string `json:"kind"`
	Create    int    `json:"create"`
	Update    int    `json:"update"`
	Unchanged int    `json:"unchanged"`
	Skip      int    `json:"skip"`
	Fail      int    `json:"fail"`
}

// byAction returns the counts in the order of actions.
func (k kindCounts) byAction() [len(actions)]int {
	return [...]int{k.Create, k.Update, k.Unchanged, k.Skip, k.Fail}
}

func (k *kindCounts) add(o kindCounts) {
	k.Create += o.Create
	k.Update += o.Update
	k.Unchanged += o.Unchanged
	k.Skip += o.Skip
	k.Fail += o.Fail
}

// countsOf is n entities with action a.
func countsOf(a plan.Action, n int) (kindCounts, bool) {
	var c kindCounts
	switch a {
	case plan.Create:
		c.Create = n
	case plan.Update:
		c.Update = n
	case plan.Unchanged:
		c.Unchanged = n
	case plan.Skip:
		c.Skip = n
	case plan.Fail:
		c.Fail = n
	default:
		return c, false
	}
	return c, true
}

func (t *tally) add(e plan.Entry) error {
	one, ok := countsOf(e.Action, 1)
	if !ok {
		return fmt.Errorf("report entry %s: unknown action %q", e.Key, e.Action)
	}
	t.count(e.Kind, one)
	t.total++
	if e.Source != "" {
		t.sources[e.Source] = true
	}
	if e.Action == plan.Create && (e.Kind == "field" || e.Kind == "pipeline") {
		t.creates = append(t.creates, creation{Kind: e.Kind, Title: e.Title})
	}
	return nil
}

func (t *tally) count(kind string, n kindCounts) {
	if t.counts == nil {
		t.counts = make(map[string]*kindCounts)
		t.sources = make(map[string]bool)
	}
	c := t.counts[kind]
	if c == nil {
		c = &kindCounts{Kind: kind}
		t.counts[kind] = c
	}
	c.add(n)
}

// addUnlisted adds entities counted but not listed: they count in the
// rows, not in the number of entries.
func (t *tally) addUnlisted(m map[string]map[plan.Action]int) {
	for kind, byAction := range m {
		for a, n := range byAction {
			if c, ok := countsOf(a, n); ok {
				t.count(kind, c)
			}
		}
	}
}

// rows returns the counts per kind in display order.
func (t *tally) rows() []kindCounts {
	var known, other []kindCounts
	for _, k := range kindOrder {
		if c := t.counts[k]; c != nil {
			known = append(known, *c)
		}
	}
	for k, c := range t.counts {
		if !slices.Contains(kindOrder, k) {
			other = append(other, *c)
		}
	}
	slices.SortFunc(other, func(a, b kindCounts) int { return strings.Compare(a.Kind, b.Kind) })
	return append(known, other...)
}

// totals returns the counts over all kinds.
func (t *tally) totals() kindCounts {
	sum := kindCounts{Kind: "total"}
	for _, c := range t.counts {
		sum.add(*c)
	}
	return sum
}

// sourceList returns the sources seen, sorted.
func (t *tally) sourceList() []string {
	s := make([]string, 0, len(t.sources))
	for src := range t.sources {
		s = append(s, src)
	}
	slices.Sort(s)
	return s
}
