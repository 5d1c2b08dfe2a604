package transform

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/modx-amocrm/modx-amocrm/internal/config"
	"github.com/modx-amocrm/modx-amocrm/internal/crm"
	"github.com/modx-amocrm/modx-amocrm/internal/shop"
)

// errNotFound marks a name or id the account does not have, so status_map
// resolution can tell "not in this pipeline" from a forbidden target.
var errNotFound = errors.New("not found")

// notFoundError names what was looked for, where, and what is there instead,
// so a typo or a name from another account is fixed without digging.
type notFoundError struct {
	what  string       // "pipeline", "status", "user"
	ref   config.IDRef // what the config gave
	where string       // "the account", `pipeline "Воронка"`
	have  []string     // the names that exist there
}

// shownNames bounds the names an error lists.
const shownNames = 12

func (e *notFoundError) Error() string {
	var b strings.Builder
	if e.ref.Name != "" {
		fmt.Fprintf(&b, "no %s named %q in %s", e.what, e.ref.Name, e.where)
	} else {
		fmt.Fprintf(&b, "no %s %d in %s", e.what, e.ref.ID, e.where)
	}
	if len(e.have) == 0 {
		return b.String()
	}
	quoted := make([]string, 0, shownNames)
	for _, n := range e.have[:min(len(e.have), shownNames)] {
		quoted = append(quoted, strconv.Quote(n))
	}
	fmt.Fprintf(&b, "; there are %s", strings.Join(quoted, ", "))
	if more := len(e.have) - shownNames; more > 0 {
		fmt.Fprintf(&b, " and %d more", more)
	}
	return b.String()
}

func (e *notFoundError) Is(target error) bool { return target == errNotFound }

func notFound(what string, ref config.IDRef, where string, have []string) error {
	return &notFoundError{what: what, ref: ref, where: where, have: have}
}

// account indexes pipelines and users for name and id lookups.
type account struct {
	pipelines []*pipeline
	byID      map[int64]*pipeline
	holding   map[int64][]*pipeline // by status: the pipelines that hold it (won and lost: every one)
	main      *pipeline
	users     []crm.User
}

type pipeline struct {
	id       int64
	name     string
	statuses []crm.Status // by sort
}

func newAccount(ps []crm.Pipeline, users []crm.User) *account {
	a := &account{byID: make(map[int64]*pipeline, len(ps)), holding: map[int64][]*pipeline{}, users: users}
	for _, p := range ps {
		st := append([]crm.Status(nil), p.Statuses()...)
		sort.SliceStable(st, func(i, j int) bool { return st[i].Sort < st[j].Sort })
		pp := &pipeline{id: p.ID, name: p.Name, statuses: st}
		a.pipelines = append(a.pipelines, pp)
		a.byID[p.ID] = pp
		for _, s := range st {
			if s.ID != crm.StatusWon && s.ID != crm.StatusLost {
				a.holding[s.ID] = append(a.holding[s.ID], pp)
			}
		}
		if a.main == nil || p.IsMain {
			a.main = pp
		}
	}
	return a
}

// pipeline finds a pipeline by id or by name (case-insensitive).
func (a *account) pipeline(ref config.IDRef) (*pipeline, error) {
	if ref.ID != 0 {
		if p := a.byID[ref.ID]; p != nil {
			return p, nil
		}
		return nil, a.pipelineNotFound(ref)
	}
	for _, p := range a.pipelines {
		if sameName(p.name, ref.Name) {
			return p, nil
		}
	}
	return nil, a.pipelineNotFound(ref)
}

func (a *account) pipelineNotFound(ref config.IDRef) error {
	names := make([]string, len(a.pipelines))
	for i, p := range a.pipelines {
		names[i] = p.name
	}
	return notFound("pipeline", ref, "the account", names)
}

// user finds a user by id, name or e-mail; zero gives 0. Without a user
// list (not fetched) ids are taken as given.
func (a *account) user(ref config.IDRef) (int64, error) {
	if ref.IsZero() {
		return 0, nil
	}
	if ref.ID != 0 && len(a.users) == 0 {
		return ref.ID, nil
	}
	for _, u := range a.users {
		if (ref.ID != 0 && u.ID == ref.ID) || (ref.Name != "" && (sameName(u.Name, ref.Name) || sameName(u.Email, ref.Name))) {
			return u.ID, nil
		}
	}
	names := make([]string, len(a.users))
	for i, u := range a.users {
		names[i] = u.Name
	}
	return 0, notFound("user", ref, "the account", names)
}

// status resolves a status within the pipeline; zero gives 0. 142 and 143
// exist in every pipeline. The unsorted column is not a deal target: amoCRM
// refuses deals created there.
func (p *pipeline) status(ref config.IDRef) (int64, error) {
	if ref.IsZero() {
		return 0, nil
	}
	if ref.ID == crm.StatusWon || ref.ID == crm.StatusLost {
		return ref.ID, nil
	}
	for _, s := range p.statuses {
		if (ref.ID != 0 && s.ID == ref.ID) || (ref.ID == 0 && sameName(s.Name, ref.Name)) {
			if s.Type == crm.StatusTypeUnsorted {
				return 0, fmt.Errorf("status %q is the unsorted column of pipeline %q, not a deal target", s.Name, p.name)
			}
			return s.ID, nil
		}
	}
	return 0, notFound("status", ref, fmt.Sprintf("pipeline %q", p.name), p.targets())
}

// statusNames lists the deal statuses of every pipeline, each name once.
func (a *account) statusNames() []string {
	var names []string
	seen := map[string]bool{}
	for _, p := range a.pipelines {
		for _, n := range p.targets() {
			if !seen[strings.ToLower(n)] {
				seen[strings.ToLower(n)] = true
				names = append(names, n)
			}
		}
	}
	return names
}

// targets names the statuses a deal may be put in.
func (p *pipeline) targets() []string {
	var names []string
	for _, s := range p.statuses {
		if s.Type != crm.StatusTypeUnsorted {
			names = append(names, s.Name)
		}
	}
	return names
}

// statusInEach resolves ref in every pipeline that has it, by pipeline id:
// a status named in the config applies in whatever pipeline a deal is in.
// A ref no pipeline has is an error.
func (a *account) statusInEach(ref config.IDRef) (map[int64]int64, error) {
	out := map[int64]int64{}
	for _, p := range a.pipelines {
		s, err := p.status(ref)
		if errors.Is(err, errNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out[p.id] = s
	}
	if len(out) == 0 {
		return nil, notFound("status", ref, "any pipeline", a.statusNames())
	}
	return out, nil
}

// firstOpen is the first status a new deal may take: not unsorted, not closed.
func (p *pipeline) firstOpen() int64 {
	for _, s := range p.statuses {
		if s.Type != crm.StatusTypeUnsorted && s.ID != crm.StatusWon && s.ID != crm.StatusLost {
			return s.ID
		}
	}
	return 0
}

// byMS2Name maps miniShop2 statuses to this pipeline's statuses of the same
// name: the zero-config pipeline mirrors the shop's statuses by name.
func (p *pipeline) byMS2Name(ms2 []shop.OrderStatus) map[int64]int64 {
	out := make(map[int64]int64)
	for _, ms := range ms2 {
		for _, s := range p.statuses {
			if s.Type != crm.StatusTypeUnsorted && sameName(s.Name, ms.Name) {
				out[ms.ID] = s.ID
				break
			}
		}
	}
	return out
}

func sameName(a, b string) bool {
	return strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(b))
}
