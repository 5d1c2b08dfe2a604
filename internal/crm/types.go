// Package crm holds amoCRM's entities as its API v4 carries them: deals,
// contacts, custom fields, pipelines, users, notes, incoming leads, events.
// It does no I/O: the transform and the plan build and read these values,
// and internal/amocrm sends and receives them.
package crm

import "encoding/json"

// Lead is an amoCRM deal as sent and received through API v4. Zero-valued
// fields are omitted on the wire so a PATCH changes only what is set.
type Lead struct {
	ID                 int64               `json:"id,omitempty"`
	Name               string              `json:"name,omitempty"`
	Price              *int64              `json:"price,omitempty"`
	PipelineID         int64               `json:"pipeline_id,omitempty"`
	StatusID           int64               `json:"status_id,omitempty"`
	ResponsibleUserID  int64               `json:"responsible_user_id,omitempty"`
	CreatedAt          int64               `json:"created_at,omitempty"`
	UpdatedAt          int64               `json:"updated_at,omitempty"`
	ClosedAt           int64               `json:"closed_at,omitempty"`
	CustomFieldsValues []CustomFieldValues `json:"custom_fields_values,omitempty"`
	Embedded           *LeadEmbedded       `json:"_embedded,omitempty"`
	RequestID          string              `json:"request_id,omitempty"`
}

// LeadEmbedded holds a lead's tags and contacts. In leads/complex, Contacts
// carries a whole new contact; elsewhere only ids. CatalogElements is read
// only (with=catalog_elements): products are linked after the deal exists,
// a create body's are dropped (amocrm-api-php issue #487).
type LeadEmbedded struct {
	Tags            []Tag         `json:"tags,omitempty"`
	Contacts        []Contact     `json:"contacts,omitempty"`
	Metadata        *FormMeta     `json:"metadata,omitempty"`
	CatalogElements []ElementLink `json:"catalog_elements,omitempty"`
}

// Contact is an amoCRM contact.
type Contact struct {
	ID                 int64               `json:"id,omitempty"`
	Name               string              `json:"name,omitempty"`
	FirstName          string              `json:"first_name,omitempty"`
	LastName           string              `json:"last_name,omitempty"`
	ResponsibleUserID  int64               `json:"responsible_user_id,omitempty"`
	CreatedAt          int64               `json:"created_at,omitempty"`
	UpdatedAt          int64               `json:"updated_at,omitempty"`
	IsMain             bool                `json:"is_main,omitempty"`
	CustomFieldsValues []CustomFieldValues `json:"custom_fields_values,omitempty"`
	Embedded           *ContactEmbedded    `json:"_embedded,omitempty"`
	RequestID          string              `json:"request_id,omitempty"`
}

type ContactEmbedded struct {
	Tags  []Tag     `json:"tags,omitempty"`
	Leads []LeadRef `json:"leads,omitempty"`
}

type LeadRef struct {
	ID int64 `json:"id"`
}

type Tag struct {
	ID   int64  `json:"id,omitempty"`
	Name string `json:"name,omitempty"`
}

// CustomFieldValues is one field's values on an entity. FieldID or FieldCode
// names the field; on reads FieldName and FieldType are filled too.
type CustomFieldValues struct {
	FieldID   int64        `json:"field_id,omitempty"`
	FieldCode string       `json:"field_code,omitempty"`
	FieldName string       `json:"field_name,omitempty"`
	FieldType string       `json:"field_type,omitempty"`
	Values    []FieldValue `json:"values"`
}

// FieldValue is one value. Value is a string, number or bool on the wire;
// json.RawMessage keeps whatever the server sent.
type FieldValue struct {
	Value    any    `json:"value,omitempty"`
	EnumID   int64  `json:"enum_id,omitempty"`
	EnumCode string `json:"enum_code,omitempty"`
}

// CustomField is a field definition (GET/POST .../custom_fields). Type is kept
// as the server's string: unknown types must not break decoding.
type CustomField struct {
	ID         int64  `json:"id,omitempty"`
	Name       string `json:"name"`
	Type       string `json:"type"`
	Code       string `json:"code,omitempty"`
	Sort       int64  `json:"sort,omitempty"`
	EntityType string `json:"entity_type,omitempty"`
	IsAPIOnly  bool   `json:"is_api_only,omitempty"`
	Enums      []Enum `json:"enums,omitempty"`
	RequestID  string `json:"request_id,omitempty"`
}

type Enum struct {
	ID    int64  `json:"id,omitempty"`
	Value string `json:"value"`
	Sort  int64  `json:"sort,omitempty"`
}

// Pipeline with its statuses.
type Pipeline struct {
	ID           int64             `json:"id,omitempty"`
	Name         string            `json:"name"`
	Sort         int64             `json:"sort,omitempty"`
	IsMain       bool              `json:"is_main"`
	IsUnsortedOn bool              `json:"is_unsorted_on"`
	IsArchive    bool              `json:"is_archive,omitempty"` // read-only: amoCRM refuses it in a POST
	Embedded     *PipelineEmbedded `json:"_embedded,omitempty"`
	RequestID    string            `json:"request_id,omitempty"`
}

type PipelineEmbedded struct {
	Statuses []Status `json:"statuses"`
}

// Statuses returns the pipeline's statuses (nil-safe).
func (p Pipeline) Statuses() []Status {
	if p.Embedded == nil {
		return nil
	}
	return p.Embedded.Statuses
}

// Status types: 1 is the "unsorted" (incoming leads) column.
const (
	StatusTypeRegular  = 0
	StatusTypeUnsorted = 1
	StatusWon          = 142
	StatusLost         = 143
)

type Status struct {
	ID         int64  `json:"id,omitempty"`
	Name       string `json:"name"`
	Sort       int64  `json:"sort,omitempty"`
	IsEditable bool   `json:"is_editable,omitempty"` // read-only
	PipelineID int64  `json:"pipeline_id,omitempty"`
	Color      string `json:"color,omitempty"`
	Type       int    `json:"type,omitempty"` // read-only
	RequestID  string `json:"request_id,omitempty"`
}

// User is an amoCRM user (a manager), for responsible_user_id.
type User struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
}

// Account is GET /api/v4/account.
type Account struct {
	ID            int64  `json:"id"`
	Name          string `json:"name"`
	Subdomain     string `json:"subdomain"`
	CurrentUserID int64  `json:"current_user_id"`
	Country       string `json:"country"`
	Currency      string `json:"currency"`
	IsUnsortedOn  bool   `json:"is_unsorted_on"`
}

// Note is a lead or contact note.
type Note struct {
	ID        int64           `json:"id,omitempty"`
	EntityID  int64           `json:"entity_id"`
	NoteType  string          `json:"note_type"`
	Params    json.RawMessage `json:"params"`
	RequestID string          `json:"request_id,omitempty"`
}

// Text is a note's params.text: what a common note says.
func (n Note) Text() string {
	var p struct {
		Text string `json:"text"`
	}
	if json.Unmarshal(n.Params, &p) != nil {
		return ""
	}
	return p.Text
}

// FormMeta is the metadata of an incoming (unsorted) form lead.
type FormMeta struct {
	Category   string `json:"category,omitempty"`
	FormID     string `json:"form_id"`
	FormName   string `json:"form_name"`
	FormPage   string `json:"form_page"`
	IP         string `json:"ip,omitempty"`
	FormSentAt int64  `json:"form_sent_at"`
	Referer    string `json:"referer,omitempty"`
}

// UnsortedForm is one POST /api/v4/leads/unsorted/forms item.
type UnsortedForm struct {
	SourceName string           `json:"source_name"`
	SourceUID  string           `json:"source_uid"`
	PipelineID int64            `json:"pipeline_id,omitempty"`
	CreatedAt  int64            `json:"created_at,omitempty"`
	Metadata   FormMeta         `json:"metadata"`
	Embedded   UnsortedEmbedded `json:"_embedded"`
	RequestID  string           `json:"request_id,omitempty"`
}

type UnsortedEmbedded struct {
	Leads    []Lead    `json:"leads,omitempty"`
	Contacts []Contact `json:"contacts,omitempty"`
}

// ComplexResult is one item of the plain-array leads/complex response.
// Merged is amoCRM's duplicate control at work: the contact matched a known
// phone or e-mail and was merged into that contact, and ID may be an
// existing deal (another order's) rather than a new one; RequestID then
// still names the lead sent (developers.kommo.com/reference/complex-leads).
type ComplexResult struct {
	ID        int64    `json:"id"`
	ContactID int64    `json:"contact_id"`
	CompanyID int64    `json:"company_id"`
	RequestID []string `json:"request_id"`
	Merged    bool     `json:"merged"`
}
