package sandbox

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// commonInput is what lead and contact writes share.
type commonInput struct {
	ID                 *int64             `json:"id"`
	Name               *string            `json:"name"`
	ResponsibleUserID  *int64             `json:"responsible_user_id"`
	CreatedBy          *int64             `json:"created_by"`
	UpdatedBy          *int64             `json:"updated_by"`
	CreatedAt          *int64             `json:"created_at"`
	UpdatedAt          *int64             `json:"updated_at"`
	CustomFieldsValues []fieldValuesInput `json:"custom_fields_values"`
	TagsToAdd          []tagInput         `json:"tags_to_add"`
	TagsToDelete       []tagInput         `json:"tags_to_delete"`
	RequestID          *string            `json:"request_id"`
}

type tagInput struct {
	ID   *int64  `json:"id"`
	Name *string `json:"name"`
}

// checkedCommon is a commonInput that passed validation.
type checkedCommon struct {
	in     commonInput
	fields []FieldValues
	tags   []Tag // _embedded.tags: replaces all tags when non-nil
	add    []Tag
	del    []Tag
}

// checkCommon validates the shared part of a write. exists tells whether
// an id names a stored entity; a PATCH needs one, a POST must not send one.
func (s *Server) checkCommon(c *checker, entity string, in commonInput, embeddedTags []tagInput, patch bool, exists func(int64) bool) checkedCommon {
	out := checkedCommon{in: in}
	switch {
	case patch && in.ID == nil:
		c.missing("id")
	case patch && !exists(*in.ID):
		c.choice("id")
	case !patch && in.ID != nil:
		c.fail(codeUnexpected, "id", detailUnexpected)
	}
	if in.Name != nil && len([]rune(*in.Name)) > maxTextLen {
		c.fail(codeTooLong, "name", fmt.Sprintf("This value is too long. It should have %d characters or less.", maxTextLen))
	}
	if in.ResponsibleUserID != nil && !s.st.hasUser(*in.ResponsibleUserID) {
		c.choice("responsible_user_id")
	}
	out.fields = checkFieldValues(c, "custom_fields_values", s.st.Fields[entity], in.CustomFieldsValues)
	out.add = s.checkTags(c, entity, "tags_to_add", in.TagsToAdd)
	out.del = s.checkTags(c, entity, "tags_to_delete", in.TagsToDelete)
	if embeddedTags != nil {
		out.tags = s.checkTags(c, entity, "_embedded.tags", embeddedTags)
	}
	return out
}

// checkTags resolves tags by id (must exist) or name (created on apply).
func (s *Server) checkTags(c *checker, entity, path string, in []tagInput) []Tag {
	out := make([]Tag, 0, len(in))
	for i, t := range in {
		p := fmt.Sprintf("%s.%d", path, i)
		switch {
		case t.ID != nil:
			name, ok := s.tagName(entity, *t.ID)
			if !ok {
				c.choice(p + ".id")
			}
			out = append(out, Tag{ID: *t.ID, Name: name})
		case t.Name != nil && strings.TrimSpace(*t.Name) != "":
			out = append(out, Tag{Name: strings.TrimSpace(*t.Name)})
		default:
			c.missing(p + ".name")
		}
	}
	return out
}

func (s *Server) tagName(entity string, id int64) (string, bool) {
	for key, tid := range s.st.Tags {
		if tid == id {
			name, ok := strings.CutPrefix(key, entity+":")
			return name, ok
		}
	}
	return "", false
}

// tagID returns the id of a tag name, creating the tag when new.
func (s *Server) tagID(entity, name string) int64 {
	key := entity + ":" + name
	if id, ok := s.st.Tags[key]; ok {
		return id
	}
	id := s.st.next(seqTag)
	s.st.Tags[key] = id
	return id
}

// applyCommon writes a checked input onto e; created marks a new entity.
func (s *Server) applyCommon(entity string, e *Entity, in checkedCommon, created bool) {
	now := s.now()
	if in.in.Name != nil {
		e.Name = *in.in.Name
	}
	setIf(&e.ResponsibleUserID, in.in.ResponsibleUserID)
	setIf(&e.CreatedBy, in.in.CreatedBy)
	setIf(&e.UpdatedBy, in.in.UpdatedBy)
	if created {
		e.CreatedAt = now
		if e.ResponsibleUserID == 0 {
			e.ResponsibleUserID = s.st.Account.CurrentUserID
		}
	}
	setIf(&e.CreatedAt, in.in.CreatedAt)
	e.UpdatedAt = now
	e.writtenAt = s.opts.Now().UnixNano()
	setIf(&e.UpdatedAt, in.in.UpdatedAt)
	e.CustomFieldsValues = mergeFields(e.CustomFieldsValues, in.fields)
	if in.tags != nil {
		e.Tags = nil
		in.add = append(in.tags, in.add...)
	}
	for _, t := range in.add {
		t.ID = s.tagID(entity, t.Name)
		if !hasTag(e.Tags, t.ID) {
			e.Tags = append(e.Tags, t)
		}
	}
	for _, t := range in.del {
		id := t.ID
		if id == 0 {
			id = s.st.Tags[entity+":"+t.Name]
		}
		e.Tags = removeTag(e.Tags, id)
	}
}

func setIf(dst *int64, v *int64) {
	if v != nil {
		*dst = *v
	}
}

func hasTag(tags []Tag, id int64) bool {
	for _, t := range tags {
		if t.ID == id {
			return true
		}
	}
	return false
}

func removeTag(tags []Tag, id int64) []Tag {
	out := tags[:0]
	for _, t := range tags {
		if t.ID != id {
			out = append(out, t)
		}
	}
	return out
}

// entityReads serves the reads of one entity kind: all lists the stored
// entities, view renders one by id (false when there is none); orders are
// the fields its list may be sorted by.
type entityReads struct {
	name   string
	orders []string
	all    func() []*Entity
	view   func(r *http.Request, id int64, with map[string]bool) (any, bool)
}

// handleList is GET /api/v4/{entity}: filters, order, query and pages, as
// the modes have them.
func (s *Server) handleList(e entityReads) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		m := s.modes()
		q := r.URL.Query()
		if m.FiltersIgnored {
			q = withoutFilters(q)
		}
		p, ok := listOrFail(w, q)
		if !ok {
			return
		}
		if !slices.Contains(e.orders, p.orderBy) {
			badRequest(w, fmt.Sprintf("%s cannot be sorted by %s", e.name, p.orderBy))
			return
		}
		p.queryFields = !m.SearchNoFields
		if m.SearchLag > 0 {
			p.writtenUntil = s.opts.Now().Add(-m.SearchLag).UnixNano()
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		page, more := selectEntities(p, e.all())
		views := make([]any, len(page))
		for i, ent := range page {
			views[i], _ = e.view(r, ent.ID, p.with)
		}
		writePage(w, r, p, e.name, views, len(views), more)
	}
}

// handleGet is GET /api/v4/{entity}/{id}. A missing entity is 204: reports
// vary between 204 and 404 (reference §8 q5), and 204 is the harder case
// for a client.
func (s *Server) handleGet(e entityReads) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, ok := listOrFail(w, r.URL.Query())
		if !ok {
			return
		}
		id, _ := pathID(r, "id")
		s.mu.Lock()
		defer s.mu.Unlock()
		v, found := e.view(r, id, p.with)
		if !found {
			noContent(w)
			return
		}
		writeHAL(w, v)
	}
}

func (s *Server) leadReads() entityReads {
	return entityReads{
		name:   entityLeads,
		orders: []string{"id", "created_at", "updated_at"},
		all: func() []*Entity {
			out := make([]*Entity, len(s.st.Leads))
			for i := range s.st.Leads {
				out[i] = &s.st.Leads[i].Entity
			}
			return out
		},
		view: func(r *http.Request, id int64, with map[string]bool) (any, bool) {
			l := s.st.lead(id)
			if l == nil {
				return nil, false
			}
			return s.viewLead(r, l, with), true
		},
	}
}

func (s *Server) contactReads() entityReads {
	return entityReads{
		// amoCRM sorts contacts by updated_at and id only (contacts-api).
		name:   entityContacts,
		orders: []string{"id", "updated_at"},
		all: func() []*Entity {
			out := make([]*Entity, len(s.st.Contacts))
			for i := range s.st.Contacts {
				out[i] = &s.st.Contacts[i].Entity
			}
			return out
		},
		view: func(r *http.Request, id int64, with map[string]bool) (any, bool) {
			c := s.st.contact(id)
			if c == nil {
				return nil, false
			}
			return s.viewContact(r, c, with), true
		},
	}
}

// entityView is the part of a lead's or contact's GET shape they share.
type entityView struct {
	ID                 int64            `json:"id"`
	Name               string           `json:"name"`
	ResponsibleUserID  int64            `json:"responsible_user_id"`
	GroupID            int64            `json:"group_id"`
	CreatedBy          int64            `json:"created_by"`
	UpdatedBy          int64            `json:"updated_by"`
	CreatedAt          int64            `json:"created_at"`
	UpdatedAt          int64            `json:"updated_at"`
	ClosestTaskAt      *int64           `json:"closest_task_at"`
	IsDeleted          bool             `json:"is_deleted"`
	CustomFieldsValues []fieldValueView `json:"custom_fields_values"`
	AccountID          int64            `json:"account_id"`
	Links              links            `json:"_links"`
}

// fieldValueView is a field's values as GET shows them: field_code is null
// for fields without a code.
type fieldValueView struct {
	FieldID   int64   `json:"field_id"`
	FieldName string  `json:"field_name"`
	FieldCode *string `json:"field_code"`
	FieldType string  `json:"field_type"`
	Values    []Value `json:"values"`
}

func (s *Server) viewEntity(r *http.Request, entity string, e *Entity) entityView {
	v := entityView{ID: e.ID, Name: e.Name, ResponsibleUserID: e.ResponsibleUserID, CreatedBy: e.CreatedBy, UpdatedBy: e.UpdatedBy,
		CreatedAt: e.CreatedAt, UpdatedAt: e.UpdatedAt, AccountID: s.st.Account.ID,
		Links: selfLinks(r, fmt.Sprintf("/api/v4/%s/%d", entity, e.ID))}
	for _, f := range e.CustomFieldsValues {
		fv := fieldValueView{FieldID: f.FieldID, FieldName: f.FieldName, FieldType: f.FieldType, Values: f.Values}
		if f.FieldCode != "" {
			fv.FieldCode = &f.FieldCode
		}
		v.CustomFieldsValues = append(v.CustomFieldsValues, fv)
	}
	return v
}

// tagsView is never null: amoCRM shows an empty tag list as [].
func tagsView(tags []Tag) []Tag {
	if tags == nil {
		return []Tag{}
	}
	return tags
}

// idRef is an embedded reference to another entity.
type idRef struct {
	ID     int64  `json:"id"`
	IsMain *bool  `json:"is_main,omitempty"`
	Links  *links `json:"_links,omitempty"`
}

// writeResult is one item of a write response.
type writeResult struct {
	ID        int64  `json:"id"`
	UpdatedAt int64  `json:"updated_at,omitempty"`
	RequestID string `json:"request_id"`
	Links     links  `json:"_links"`
}

func (s *Server) writeResults(w http.ResponseWriter, r *http.Request, entity string, res []writeResult) {
	writeHAL(w, struct {
		Links    links                    `json:"_links"`
		Embedded map[string][]writeResult `json:"_embedded"`
	}{selfLinks(r, "/api/v4/"+entity), map[string][]writeResult{entity: res}})
}

func (s *Server) result(r *http.Request, entity string, e *Entity, rid string, patch bool) writeResult {
	res := writeResult{ID: e.ID, RequestID: rid, Links: selfLinks(r, fmt.Sprintf("/api/v4/%s/%d", entity, e.ID))}
	if patch {
		res.UpdatedAt = e.UpdatedAt
	}
	return res
}
