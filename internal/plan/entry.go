package plan

// Action is what a pass does, or would do, with one amoCRM entity.
type Action string

const (
	Create    Action = "create"
	Update    Action = "update"
	Unchanged Action = "unchanged"
	Skip      Action = "skip"
	Fail      Action = "fail"
)

// Entry is the plan for one amoCRM entity, as reports show it. The JSON
// tags are the schema documented in internal/report/doc.go.
type Entry struct {
	Source   string   `json:"source"`    // "orders", "order_logs", "forms", "users", "shop_status"
	Kind     string   `json:"kind"`      // "lead", "contact", "field", "pipeline", "status_move", "order_status", "note"
	SourceID int64    `json:"source_id"` // order/form/user id; 0 for account-level things like fields
	Key      string   `json:"key"`       // "order:123", "field:goods"
	Action   Action   `json:"action"`
	AmoID    int64    `json:"amo_id"` // existing amoCRM id; 0 when there is none yet
	Title    string   `json:"title"`  // human label: deal name, contact name, field name
	Reason   string   `json:"reason,omitempty"`
	Changes  []Change `json:"changes,omitempty"` // field diff of an update; every field of a create
}

// Change is one field of an entry. Old is empty for a create.
type Change struct {
	Field string `json:"field"`
	Old   string `json:"old"`
	New   string `json:"new"`
}
