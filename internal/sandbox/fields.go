package sandbox

import (
	"fmt"
	"net/http"
	"strings"
)

// creatableTypes are the field types a POST may create. tracking_data and
// other system types exist in GET output but cannot be created.
var creatableTypes = map[string]bool{
	"text": true, "numeric": true, "checkbox": true, "select": true, "multiselect": true, "multitext": true,
	"date": true, "url": true, "textarea": true, "radiobutton": true, "streetaddress": true, "birthday": true,
	"date_time": true, "price": true, "monetary": true,
}

type fieldInput struct {
	Name      *string     `json:"name"`
	Type      *string     `json:"type"`
	Code      *string     `json:"code"`
	Sort      *int64      `json:"sort"`
	IsAPIOnly *bool       `json:"is_api_only"`
	Enums     []enumInput `json:"enums"`
	RequestID *string     `json:"request_id"`
}

type enumInput struct {
	Value *string `json:"value"`
	Sort  *int64  `json:"sort"`
}

type fieldView struct {
	ID               int64   `json:"id"`
	Name             string  `json:"name"`
	Type             string  `json:"type"`
	AccountID        int64   `json:"account_id"`
	Code             *string `json:"code"`
	Sort             int64   `json:"sort"`
	IsAPIOnly        bool    `json:"is_api_only"`
	IsPredefined     bool    `json:"is_predefined"`
	IsDeletable      bool    `json:"is_deletable"`
	GroupID          *string `json:"group_id"`
	RequiredStatuses []any   `json:"required_statuses"`
	EntityType       string  `json:"entity_type"`
	Remind           *string `json:"remind"`
	Enums            []Enum  `json:"enums"`
	RequestID        string  `json:"request_id,omitempty"`
	Links            links   `json:"_links"`
}

// viewField shows a field of the entity at path ("leads", "catalogs/7101").
func (s *Server) viewField(r *http.Request, path, entityType string, f CustomField) fieldView {
	v := fieldView{ID: f.ID, Name: f.Name, Type: f.Type, AccountID: s.st.Account.ID, Sort: f.Sort, IsAPIOnly: f.IsAPIOnly,
		IsPredefined: f.IsPredefined, IsDeletable: !f.IsPredefined, RequiredStatuses: []any{}, EntityType: entityType, Enums: f.Enums,
		Links: selfLinks(r, fmt.Sprintf("/api/v4/%s/custom_fields/%d", path, f.ID))}
	if f.Code != "" {
		v.Code = &f.Code
	}
	return v
}

// handleFields is GET /api/v4/{entity}/custom_fields, paged.
func (s *Server) handleFields(entity string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, ok := listOrFail(w, r.URL.Query())
		if !ok {
			return
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		s.writeFields(w, r, p, entity, entity, s.st.Fields[entity])
	}
}

// writeFields answers a page of the fields of the entity at path; s.mu is held.
func (s *Server) writeFields(w http.ResponseWriter, r *http.Request, p listParams, path, entityType string, fields []CustomField) {
	page, more := pageOf(fields, p)
	views := make([]fieldView, len(page))
	for i, f := range page {
		views[i] = s.viewField(r, path, entityType, f)
	}
	writePage(w, r, p, "custom_fields", views, len(views), more)
}

// handleAddFields is POST /api/v4/{entity}/custom_fields. Names and codes
// must be unique within the entity (stricter than amoCRM, which allows
// twin names), so a client that creates a field twice is caught; multitext
// exists on contacts only.
func (s *Server) handleAddFields(entity string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		names, codes := map[string]bool{}, map[string]bool{}
		for _, f := range s.st.Fields[entity] {
			names[strings.ToLower(f.Name)] = true
			if f.Code != "" {
				codes[strings.ToLower(f.Code)] = true
			}
		}
		b, ok := checkBatch(w, r, maxBatch, func(c *checker, in fieldInput) fieldInput {
			checkField(c, entity, in, names, codes)
			return in
		})
		if !ok {
			return
		}
		views := make([]fieldView, len(b.inputs))
		for i, in := range b.inputs {
			f := CustomField{ID: s.st.next(seqField), Name: strings.TrimSpace(*in.Name), Type: *in.Type}
			if in.Code != nil {
				f.Code = strings.ToUpper(*in.Code)
			}
			setIf(&f.Sort, in.Sort)
			if in.IsAPIOnly != nil {
				f.IsAPIOnly = *in.IsAPIOnly
			}
			for j, e := range in.Enums {
				en := Enum{ID: s.st.next(seqEnum), Value: *e.Value, Sort: int64(j + 1)}
				setIf(&en.Sort, e.Sort)
				f.Enums = append(f.Enums, en)
			}
			s.st.Fields[entity] = append(s.st.Fields[entity], f)
			views[i] = s.viewField(r, entity, entity, f)
			views[i].RequestID = b.rids[i]
		}
		writeHAL(w, struct {
			Total    int                    `json:"_total_items"`
			Embedded map[string][]fieldView `json:"_embedded"`
		}{len(views), map[string][]fieldView{"custom_fields": views}})
	}
}

func checkField(c *checker, entity string, in fieldInput, names, codes map[string]bool) {
	checkName(c, "name", in.Name, names)
	switch {
	case in.Type == nil:
		c.missing("type")
		return
	case !creatableTypes[*in.Type], *in.Type == "multitext" && entity != entityContacts:
		c.choice("type")
		return
	}
	if in.Code != nil {
		checkName(c, "code", in.Code, codes)
	}
	withEnums := *in.Type == "select" || *in.Type == "multiselect" || *in.Type == "radiobutton" || *in.Type == "multitext"
	switch {
	case withEnums && len(in.Enums) == 0:
		c.missing("enums")
	case !withEnums && in.Enums != nil:
		c.fail(codeUnexpected, "enums", detailUnexpected)
	}
	taken := map[string]bool{}
	for i, e := range in.Enums {
		checkName(c, fmt.Sprintf("enums.%d.value", i), e.Value, taken)
	}
}
