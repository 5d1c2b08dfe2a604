package crm

// Task is an amoCRM task (POST|GET /api/v4/tasks). Text and CompleteTill
// (Unix seconds) are required; a task belongs to a responsible user and may
// be tied to an entity (amocrm.ru/developers/content/crm_platform/tasks-api).
type Task struct {
	ID                int64  `json:"id,omitempty"`
	Text              string `json:"text"`
	CompleteTill      int64  `json:"complete_till"`
	TaskTypeID        int64  `json:"task_type_id,omitempty"`
	ResponsibleUserID int64  `json:"responsible_user_id,omitempty"`
	EntityID          int64  `json:"entity_id,omitempty"`
	EntityType        string `json:"entity_type,omitempty"`
	Duration          int64  `json:"duration,omitempty"`
	IsCompleted       bool   `json:"is_completed,omitempty"`
	CreatedAt         int64  `json:"created_at,omitempty"`
	RequestID         string `json:"request_id,omitempty"`
}

// TaskType is one of the account's task types (GET
// /api/v4/account?with=task_types). 1 and 2 exist in every account.
type TaskType struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	Code string `json:"code,omitempty"`
}

// Task types every account has (tasks-api: «1 – Звонок, 2 – Встреча»;
// account?with=task_types names 1 FOLLOW_UP «Связаться», 2 MEETING «Встреча»).
const (
	TaskTypeCall    = 1
	TaskTypeMeeting = 2
)
