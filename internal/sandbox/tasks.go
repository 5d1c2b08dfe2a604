package sandbox

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// TaskType is one of the account's task types; 1 and 2 are in every
// account (tasks-api: «1 – Звонок, 2 – Встреча»; account?with=task_types
// names them FOLLOW_UP «Связаться» and MEETING «Встреча»). Types the account
// adds have no code.
type TaskType struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	Code string `json:"code,omitempty"`
}

// TaskState is a stored task.
type TaskState struct {
	ID                int64  `json:"id"`
	Text              string `json:"text"`
	CompleteTill      int64  `json:"complete_till"`
	TaskTypeID        int64  `json:"task_type_id"`
	ResponsibleUserID int64  `json:"responsible_user_id"`
	EntityID          int64  `json:"entity_id,omitempty"`
	EntityType        string `json:"entity_type,omitempty"`
	Duration          int64  `json:"duration"`
	IsCompleted       bool   `json:"is_completed"`
	CreatedBy         int64  `json:"created_by"`
	CreatedAt         int64  `json:"created_at"`
	UpdatedAt         int64  `json:"updated_at"`
}

// defaultTaskTypes are the types of every account.
func defaultTaskTypes() []TaskType {
	return []TaskType{{ID: 1, Name: "Связаться", Code: "FOLLOW_UP"}, {ID: 2, Name: "Встреча", Code: "MEETING"}}
}

type taskInput struct {
	ID                *int64  `json:"id"`
	Text              *string `json:"text"`
	CompleteTill      *int64  `json:"complete_till"`
	TaskTypeID        *int64  `json:"task_type_id"`
	ResponsibleUserID *int64  `json:"responsible_user_id"`
	EntityID          *int64  `json:"entity_id"`
	EntityType        *string `json:"entity_type"`
	Duration          *int64  `json:"duration"`
	IsCompleted       *bool   `json:"is_completed"`
	CreatedBy         *int64  `json:"created_by"`
	CreatedAt         *int64  `json:"created_at"`
	RequestID         *string `json:"request_id"`
}

// taskEntities are the entity types a task may belong to; of these the
// sandbox keeps leads and contacts.
var taskEntities = []string{entityLeads, entityContacts, "companies", "customers"}

// handleAddTasks is POST /api/v4/tasks: at most 250 tasks, each with text
// and complete_till; a task without a type is a call (1), without a
// responsible the token's user's. Answered like other creates,
// _embedded.tasks[{id, request_id, _links}].
func (s *Server) handleAddTasks(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := checkBatch(w, r, maxBatch, func(c *checker, in taskInput) taskInput {
		s.checkTask(c, in)
		return in
	})
	if !ok {
		return
	}
	res := make([]writeResult, len(b.inputs))
	for i, in := range b.inputs {
		t := TaskState{ID: s.st.next(seqTask), Text: *in.Text, CompleteTill: *in.CompleteTill, TaskTypeID: 1,
			ResponsibleUserID: s.st.Account.CurrentUserID, CreatedBy: s.st.Account.CurrentUserID, CreatedAt: s.now(), UpdatedAt: s.now()}
		setIf(&t.TaskTypeID, in.TaskTypeID)
		setIf(&t.ResponsibleUserID, in.ResponsibleUserID)
		setIf(&t.EntityID, in.EntityID)
		setIf(&t.Duration, in.Duration)
		setIf(&t.CreatedBy, in.CreatedBy)
		setIf(&t.CreatedAt, in.CreatedAt)
		if in.EntityType != nil {
			t.EntityType = *in.EntityType
		}
		if in.IsCompleted != nil {
			t.IsCompleted = *in.IsCompleted
		}
		s.st.Tasks = append(s.st.Tasks, t)
		res[i] = writeResult{ID: t.ID, RequestID: b.rids[i], Links: selfLinks(r, fmt.Sprintf("/api/v4/tasks/%d", t.ID))}
	}
	s.writeResults(w, r, "tasks", res)
}

func (s *Server) checkTask(c *checker, in taskInput) {
	if in.ID != nil {
		c.fail(codeUnexpected, "id", detailUnexpected)
	}
	switch {
	case in.Text == nil:
		c.missing("text")
	case strings.TrimSpace(*in.Text) == "":
		c.fail(codeBlank, "text", detailBlank)
	}
	if in.CompleteTill == nil {
		c.missing("complete_till")
	}
	if in.TaskTypeID != nil && !slices.ContainsFunc(s.st.TaskTypes, func(t TaskType) bool { return t.ID == *in.TaskTypeID }) {
		c.choice("task_type_id")
	}
	if in.ResponsibleUserID != nil && !s.st.hasUser(*in.ResponsibleUserID) {
		c.choice("responsible_user_id")
	}
	if in.Duration != nil && *in.Duration < 0 {
		c.fail(codeType, "duration", "This value should be greater than or equal to 0.")
	}
	switch {
	case in.EntityID == nil && in.EntityType == nil:
	case in.EntityType == nil:
		c.missing("entity_type")
	case !slices.Contains(taskEntities, *in.EntityType):
		c.choice("entity_type")
	case in.EntityID == nil:
		c.missing("entity_id")
	case *in.EntityType == entityLeads && s.st.lead(*in.EntityID) != nil:
	case *in.EntityType == entityContacts && s.st.contact(*in.EntityID) != nil:
	default:
		c.choice("entity_id")
	}
}

// taskView is a task as GET shows it (tasks-api, «Получение задачи по
// идентификатору»).
type taskView struct {
	TaskState
	UpdatedBy int64 `json:"updated_by"`
	GroupID   int64 `json:"group_id"`
	AccountID int64 `json:"account_id"`
	Links     links `json:"_links"`
}

func (s *Server) viewTask(r *http.Request, t TaskState) taskView {
	return taskView{TaskState: t, UpdatedBy: t.CreatedBy, AccountID: s.st.Account.ID,
		Links: selfLinks(r, fmt.Sprintf("/api/v4/tasks/%d", t.ID))}
}

// taskFilter is GET /api/v4/tasks' filter and order. The filters are the
// tasks method's own, documented with it, not the filter alpha of the entity
// lists, so Modes.FiltersIgnored leaves them honoured [inference, as for
// events].
type taskFilter struct {
	ids, users, types, entities map[int64]bool
	entityType                  string
	completed                   *bool
	updated                     [2]int64
	orderBy                     string
	desc                        bool
}

func parseTaskFilter(q url.Values) (taskFilter, error) {
	f := taskFilter{orderBy: "id"}
	ids := func(vals []string) (map[int64]bool, error) {
		out := map[int64]bool{}
		for _, v := range vals {
			for _, part := range strings.Split(v, ",") {
				id, err := strconv.ParseInt(strings.TrimSpace(part), 10, 64)
				if err != nil {
					return nil, fmt.Errorf("%q is not an id", part)
				}
				out[id] = true
			}
		}
		return out, nil
	}
	for key, vals := range q {
		name := strings.TrimSuffix(key, "[]")
		var err error
		switch name {
		case "page", "limit":
		case "filter[id]":
			f.ids, err = ids(vals)
		case "filter[responsible_user_id]":
			f.users, err = ids(vals)
		case "filter[task_type]", "filter[task_type_id]":
			f.types, err = ids(vals)
		case "filter[entity_id]":
			f.entities, err = ids(vals)
		case "filter[entity_type]":
			f.entityType = vals[0]
		case "filter[is_completed]":
			done := vals[0] == "1" || vals[0] == "true"
			f.completed = &done
		case "filter[updated_at]", "filter[updated_at][from]", "filter[updated_at][to]":
			var n int64
			n, err = strconv.ParseInt(vals[0], 10, 64)
			f.updated[boolIndex(strings.HasSuffix(name, "[to]"))] = n
		case "order[id]", "order[created_at]", "order[complete_till]":
			f.orderBy = strings.TrimSuffix(strings.TrimPrefix(name, "order["), "]")
			f.desc = vals[0] == "desc"
			if vals[0] != "asc" && vals[0] != "desc" {
				err = fmt.Errorf("want asc or desc")
			}
		default:
			return f, fmt.Errorf("%s is not supported by the sandbox", key)
		}
		if err != nil {
			return f, fmt.Errorf("%s: %v", key, err)
		}
	}
	if f.entities != nil && f.entityType == "" {
		// tasks-api: filter[entity_id] «Для его использования необходимо
		// передать значение в filter[entity_type]».
		return f, fmt.Errorf("filter[entity_id] needs filter[entity_type]")
	}
	return f, nil
}

func boolIndex(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (f taskFilter) keeps(t TaskState) bool {
	in := func(set map[int64]bool, id int64) bool { return set == nil || set[id] }
	return in(f.ids, t.ID) && in(f.users, t.ResponsibleUserID) && in(f.types, t.TaskTypeID) && in(f.entities, t.EntityID) &&
		(f.entityType == "" || f.entityType == t.EntityType) && (f.completed == nil || *f.completed == t.IsCompleted) &&
		(f.updated[0] == 0 || t.UpdatedAt >= f.updated[0]) && (f.updated[1] == 0 || t.UpdatedAt <= f.updated[1])
}

func (f taskFilter) key(t TaskState) int64 {
	switch f.orderBy {
	case "created_at":
		return t.CreatedAt
	case "complete_till":
		return t.CompleteTill
	}
	return t.ID
}

// handleTasks is GET /api/v4/tasks: filters, order, page and limit (at most
// 250); 204 when no task matches.
func (s *Server) handleTasks(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f, err := parseTaskFilter(q)
	if err != nil {
		badRequest(w, err.Error())
		return
	}
	p, ok := listOrFail(w, url.Values{"page": q["page"], "limit": q["limit"]})
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var match []TaskState
	for _, t := range s.st.Tasks {
		if f.keeps(t) {
			match = append(match, t)
		}
	}
	sort.SliceStable(match, func(i, j int) bool {
		a, b := f.key(match[i]), f.key(match[j])
		if a == b {
			a, b = match[i].ID, match[j].ID
		}
		if f.desc {
			return a > b
		}
		return a < b
	})
	page, more := pageOf(match, p)
	views := make([]taskView, len(page))
	for i, t := range page {
		views[i] = s.viewTask(r, t)
	}
	writePage(w, r, p, "tasks", views, len(views), more)
}

// handleTask is GET /api/v4/tasks/{id}; 204 for a missing task, as for leads.
func (s *Server) handleTask(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.st.Tasks {
		if t.ID == id {
			writeHAL(w, s.viewTask(r, t))
			return
		}
	}
	noContent(w)
}
