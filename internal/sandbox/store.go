package sandbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
)

// Entity names as they appear in URLs and field lists.
const (
	entityLeads    = "leads"
	entityContacts = "contacts"
)

// Account is GET /api/v4/account.
type Account struct {
	ID             int64  `json:"id"`
	Name           string `json:"name"`
	Subdomain      string `json:"subdomain"`
	CurrentUserID  int64  `json:"current_user_id"`
	Country        string `json:"country"`
	Currency       string `json:"currency"`
	CurrencySymbol string `json:"currency_symbol"`
	IsUnsortedOn   bool   `json:"is_unsorted_on"`
}

// Pipeline is a lead pipeline with its statuses.
type Pipeline struct {
	ID           int64    `json:"id"`
	Name         string   `json:"name"`
	Sort         int64    `json:"sort"`
	IsMain       bool     `json:"is_main"`
	IsUnsortedOn bool     `json:"is_unsorted_on"`
	IsArchive    bool     `json:"is_archive"`
	Statuses     []Status `json:"statuses"`
}

// Status is a pipeline column; Type 1 is the unsorted one.
type Status struct {
	ID         int64  `json:"id"`
	Name       string `json:"name"`
	Sort       int64  `json:"sort"`
	IsEditable bool   `json:"is_editable"`
	Color      string `json:"color"`
	Type       int    `json:"type"`
}

// User is an account user (a manager).
type User struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
	Lang  string `json:"lang"`
}

// CustomField is a field definition.
type CustomField struct {
	ID           int64  `json:"id"`
	Name         string `json:"name"`
	Type         string `json:"type"`
	Code         string `json:"code,omitempty"`
	Sort         int64  `json:"sort"`
	IsAPIOnly    bool   `json:"is_api_only"`
	IsPredefined bool   `json:"is_predefined"`
	Enums        []Enum `json:"enums,omitempty"`
}

// Enum is one choice of a select or multitext field.
type Enum struct {
	ID    int64  `json:"id"`
	Value string `json:"value"`
	Sort  int64  `json:"sort"`
}

// FieldValues is one field's values on a stored entity.
type FieldValues struct {
	FieldID   int64   `json:"field_id"`
	FieldCode string  `json:"field_code,omitempty"`
	FieldName string  `json:"field_name"`
	FieldType string  `json:"field_type"`
	Values    []Value `json:"values"`
}

// Value is one stored value; Value is a string, json.Number or bool.
type Value struct {
	Value    any    `json:"value,omitempty"`
	EnumID   int64  `json:"enum_id,omitempty"`
	EnumCode string `json:"enum_code,omitempty"`
}

// Tag is an entity tag.
type Tag struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// ContactLink links a lead to a contact.
type ContactLink struct {
	ID     int64 `json:"id"`
	IsMain bool  `json:"is_main"`
}

// Entity holds what leads and contacts share.
type Entity struct {
	ID                 int64         `json:"id"`
	Name               string        `json:"name"`
	ResponsibleUserID  int64         `json:"responsible_user_id"`
	CreatedBy          int64         `json:"created_by"`
	UpdatedBy          int64         `json:"updated_by"`
	CreatedAt          int64         `json:"created_at"`
	UpdatedAt          int64         `json:"updated_at"`
	CustomFieldsValues []FieldValues `json:"custom_fields_values,omitempty"`
	Tags               []Tag         `json:"tags,omitempty"`

	// writtenAt is the server time of the last write (Unix ns), for the
	// search lag; it is not persisted, so a reloaded entity is searchable.
	writtenAt int64
}

// LeadState is a stored lead.
type LeadState struct {
	Entity
	Price        int64         `json:"price"`
	PipelineID   int64         `json:"pipeline_id"`
	StatusID     int64         `json:"status_id"`
	LossReasonID int64         `json:"loss_reason_id,omitempty"`
	ClosedAt     int64         `json:"closed_at,omitempty"`
	Contacts     []ContactLink `json:"contacts,omitempty"`
	// Elements are the list elements linked to the lead (its products).
	Elements []ElementLink `json:"catalog_elements,omitempty"`
}

// ContactState is a stored contact.
type ContactState struct {
	Entity
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
}

// NoteState is a stored lead note.
type NoteState struct {
	ID        int64           `json:"id"`
	EntityID  int64           `json:"entity_id"`
	NoteType  string          `json:"note_type"`
	Params    json.RawMessage `json:"params"`
	CreatedAt int64           `json:"created_at"`
}

// UnsortedState is a stored incoming-leads (unsorted) form entry.
type UnsortedState struct {
	UID        string          `json:"uid"`
	SourceUID  string          `json:"source_uid"`
	SourceName string          `json:"source_name"`
	PipelineID int64           `json:"pipeline_id"`
	CreatedAt  int64           `json:"created_at"`
	Metadata   json.RawMessage `json:"metadata"`
	LeadID     int64           `json:"lead_id"`
	ContactID  int64           `json:"contact_id,omitempty"`
}

// Id sequences and where each starts.
const (
	seqPipeline = "pipeline"
	seqStatus   = "status"
	seqField    = "field"
	seqEnum     = "enum"
	seqLead     = "lead"
	seqContact  = "contact"
	seqNote     = "note"
	seqTag      = "tag"
	seqUnsorted = "unsorted"
	seqEvent    = "event"
	seqCatalog  = "catalog"
	seqElement  = "element"
	seqTask     = "task"
)

var seqStart = map[string]int64{
	seqPipeline: 1101, seqStatus: 21001, seqField: 700101, seqEnum: 810001,
	seqLead: 30000001, seqContact: 40000001, seqNote: 50000001, seqTag: 60001, seqUnsorted: 1, seqEvent: 1,
	seqCatalog: 7101, seqElement: 80000001, seqTask: 90000001,
}

// state is everything the sandbox persists. Tokens and codes are kept as
// hashes, so the state file never holds a usable credential.
type state struct {
	Account   Account                  `json:"account"`
	Pipelines []Pipeline               `json:"pipelines"`
	Users     []User                   `json:"users"`
	Fields    map[string][]CustomField `json:"custom_fields"`
	Leads     []LeadState              `json:"leads"`
	Contacts  []ContactState           `json:"contacts"`
	Notes     []NoteState              `json:"notes"`
	Unsorted  []UnsortedState          `json:"unsorted"`
	Events    []Event                  `json:"events"` // oldest first
	Catalogs  []CatalogState           `json:"catalogs"`
	Elements  []ElementState           `json:"elements"` // of every list
	Tasks     []TaskState              `json:"tasks"`
	TaskTypes []TaskType               `json:"task_types"`
	Tags      map[string]int64         `json:"tags"` // "leads:name" -> id
	Tokens    map[string]tokenRecord   `json:"tokens"`
	Codes     map[string]codeRecord    `json:"codes"`
	Secret    []byte                   `json:"secret"` // signs the JWT access tokens
	Seq       map[string]int64         `json:"seq"`

	leadIdx    map[int64]int
	contactIdx map[int64]int
	elementIdx map[int64]int
}

func newState() *state {
	return &state{
		Fields: map[string][]CustomField{}, Tags: map[string]int64{},
		Tokens: map[string]tokenRecord{}, Codes: map[string]codeRecord{}, Seq: map[string]int64{},
		leadIdx: map[int64]int{}, contactIdx: map[int64]int{}, elementIdx: map[int64]int{},
	}
}

// next returns a fresh id of the sequence.
func (st *state) next(seq string) int64 {
	if st.Seq[seq] == 0 {
		st.Seq[seq] = seqStart[seq]
	}
	id := st.Seq[seq]
	st.Seq[seq]++
	return id
}

// bumpSequences moves sequences past every seeded id.
func (st *state) bumpSequences() {
	bump := func(seq string, id int64) {
		if st.Seq[seq] == 0 {
			st.Seq[seq] = seqStart[seq]
		}
		if id >= st.Seq[seq] {
			st.Seq[seq] = id + 1
		}
	}
	for _, p := range st.Pipelines {
		bump(seqPipeline, p.ID)
		for _, s := range p.Statuses {
			if s.ID != StatusWon && s.ID != StatusLost {
				bump(seqStatus, s.ID)
			}
		}
	}
	fields := slices.Collect(maps.Values(st.Fields))
	for _, c := range st.Catalogs {
		bump(seqCatalog, c.ID)
		fields = append(fields, c.Fields)
	}
	for _, fs := range fields {
		for _, f := range fs {
			bump(seqField, f.ID)
			for _, e := range f.Enums {
				bump(seqEnum, e.ID)
			}
		}
	}
}

func (st *state) reindex() {
	st.leadIdx = make(map[int64]int, len(st.Leads))
	for i, l := range st.Leads {
		st.leadIdx[l.ID] = i
	}
	st.contactIdx = make(map[int64]int, len(st.Contacts))
	for i, c := range st.Contacts {
		st.contactIdx[c.ID] = i
	}
	st.elementIdx = make(map[int64]int, len(st.Elements))
	for i, e := range st.Elements {
		st.elementIdx[e.ID] = i
	}
}

func (st *state) lead(id int64) *LeadState {
	if i, ok := st.leadIdx[id]; ok {
		return &st.Leads[i]
	}
	return nil
}

func (st *state) contact(id int64) *ContactState {
	if i, ok := st.contactIdx[id]; ok {
		return &st.Contacts[i]
	}
	return nil
}

// addLead stores l; the pointer is valid until the next addLead.
func (st *state) addLead(l LeadState) *LeadState {
	st.leadIdx[l.ID] = len(st.Leads)
	st.Leads = append(st.Leads, l)
	return &st.Leads[len(st.Leads)-1]
}

// addContact stores c; the pointer is valid until the next addContact.
func (st *state) addContact(c ContactState) *ContactState {
	st.contactIdx[c.ID] = len(st.Contacts)
	st.Contacts = append(st.Contacts, c)
	return &st.Contacts[len(st.Contacts)-1]
}

func (st *state) pipeline(id int64) *Pipeline {
	for i := range st.Pipelines {
		if st.Pipelines[i].ID == id {
			return &st.Pipelines[i]
		}
	}
	return nil
}

func (st *state) mainPipeline() *Pipeline {
	for i := range st.Pipelines {
		if st.Pipelines[i].IsMain {
			return &st.Pipelines[i]
		}
	}
	if len(st.Pipelines) > 0 {
		return &st.Pipelines[0]
	}
	return nil
}

func (st *state) hasUser(id int64) bool {
	for _, u := range st.Users {
		if u.ID == id {
			return true
		}
	}
	return false
}

// loadState reads a state file; a missing file is (nil, nil).
func loadState(path string) (*state, error) {
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read state: %w", err)
	}
	st := newState()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(st); err != nil {
		return nil, fmt.Errorf("parse state %s: %w", path, err)
	}
	st.reindex()
	return st, nil
}

// writeState writes the state atomically (temp file, then rename), mode 0600.
func writeState(path string, st *state) error {
	b, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("encode state: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("save state: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("save state: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	return nil
}

// deepCopy returns a copy of v sharing no memory with it. JSON keeps it
// short; numbers stay json.Number so values compare as they were sent.
func deepCopy[T any](v T) T {
	var out T
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("sandbox: copy %T: %v", v, err))
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&out); err != nil {
		panic(fmt.Sprintf("sandbox: copy %T: %v", v, err))
	}
	return out
}
