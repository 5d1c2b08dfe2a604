package crm

// EventLeadStatusChanged is the event of a deal moved to another status or
// pipeline.
const EventLeadStatusChanged = "lead_status_changed"

// Event is an entry of the account's event list (GET /api/v4/events).
type Event struct {
	ID          string       `json:"id"` // a string, unlike every other id
	Type        string       `json:"type"`
	EntityID    int64        `json:"entity_id"`
	EntityType  string       `json:"entity_type"`
	CreatedBy   int64        `json:"created_by"`
	CreatedAt   int64        `json:"created_at"`
	ValueBefore []EventValue `json:"value_before"`
	ValueAfter  []EventValue `json:"value_after"`
}

// EventValue is an element of value_before or value_after; which key it
// holds depends on the event type.
type EventValue struct {
	LeadStatus *LeadStatus `json:"lead_status,omitempty"`
}

// LeadStatus is where a deal is: a status of a pipeline.
type LeadStatus struct {
	ID         int64 `json:"id"`
	PipelineID int64 `json:"pipeline_id"`
}

// StatusBefore and StatusAfter read a lead_status_changed event's values;
// ok is false when the value holds no lead_status.
func (e Event) StatusBefore() (LeadStatus, bool) { return leadStatus(e.ValueBefore) }
func (e Event) StatusAfter() (LeadStatus, bool)  { return leadStatus(e.ValueAfter) }

func leadStatus(vs []EventValue) (LeadStatus, bool) {
	for _, v := range vs {
		if v.LeadStatus != nil {
			return *v.LeadStatus, true
		}
	}
	return LeadStatus{}, false
}
