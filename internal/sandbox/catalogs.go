package sandbox

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// Catalog is a list ("Списки"): regular, invoices or products.
type Catalog struct {
	ID              int64  `json:"id"`
	Name            string `json:"name"`
	Type            string `json:"type"`
	Sort            int64  `json:"sort"`
	CanAddElements  bool   `json:"can_add_elements"`
	CanShowInCards  bool   `json:"can_show_in_cards"`
	CanLinkMultiple bool   `json:"can_link_multiple"`
}

// CatalogState is a stored list with its custom fields.
type CatalogState struct {
	Catalog
	Fields []CustomField `json:"custom_fields"`
}

// ElementState is a stored list element. Its Entity's responsible and tags
// stay empty: elements have neither.
type ElementState struct {
	Entity
	CatalogID int64 `json:"catalog_id"`
}

// Catalog types, and how many lists an account may have
// (amocrm.ru/developers/content/crm_platform/catalogs-api: «не более 10
// списков», at most one invoices and one products list).
const (
	catalogRegular  = "regular"
	catalogInvoices = "invoices"
	catalogProducts = "products"
	maxCatalogs     = 10
	// elementsPage is how many elements a list page holds whatever limit
	// asks (at most): 100 since 2023-08-24, with no _links.next
	// (amocrm-api-php issue #528).
	elementsPage = 100
)

func (st *state) catalog(id int64) *CatalogState {
	for i := range st.Catalogs {
		if st.Catalogs[i].ID == id {
			return &st.Catalogs[i]
		}
	}
	return nil
}

func (st *state) element(id int64) *ElementState {
	if i, ok := st.elementIdx[id]; ok {
		return &st.Elements[i]
	}
	return nil
}

// addElement stores e; the pointer is valid until the next addElement.
func (st *state) addElement(e ElementState) *ElementState {
	st.elementIdx[e.ID] = len(st.Elements)
	st.Elements = append(st.Elements, e)
	return &st.Elements[len(st.Elements)-1]
}

// catalogView is a list as GET shows it.
type catalogView struct {
	Catalog
	CreatedBy     int64   `json:"created_by"`
	UpdatedBy     int64   `json:"updated_by"`
	CreatedAt     int64   `json:"created_at"`
	UpdatedAt     int64   `json:"updated_at"`
	CanBeDeleted  bool    `json:"can_be_deleted"`
	SDKWidgetCode *string `json:"sdk_widget_code"`
	AccountID     int64   `json:"account_id"`
	Links         links   `json:"_links"`
}

func (s *Server) viewCatalog(r *http.Request, c *CatalogState) catalogView {
	return catalogView{Catalog: c.Catalog, CanBeDeleted: c.Type == catalogRegular, AccountID: s.st.Account.ID,
		Links: selfLinks(r, fmt.Sprintf("/api/v4/catalogs/%d", c.ID))}
}

// handleCatalogs is GET /api/v4/catalogs: page, limit and type (the
// official SDK's CatalogsFilter sends type=products: amocrm-api-php
// Filters/CatalogsFilter.php, issue #117).
func (s *Server) handleCatalogs(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	typ := q.Get("type")
	q.Del("type")
	p, ok := listOrFail(w, q)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var match []*CatalogState
	for i := range s.st.Catalogs {
		if typ == "" || s.st.Catalogs[i].Type == typ {
			match = append(match, &s.st.Catalogs[i])
		}
	}
	page, more := pageOf(match, p)
	views := make([]catalogView, len(page))
	for i, c := range page {
		views[i] = s.viewCatalog(r, c)
	}
	writePage(w, r, p, "catalogs", views, len(views), more)
}

// catalogOr404 finds the {id} list or answers 404; s.mu is held.
func (s *Server) catalogOr404(w http.ResponseWriter, r *http.Request) *CatalogState {
	id, _ := pathID(r, "id")
	c := s.st.catalog(id)
	if c == nil {
		writeProblem(w, http.StatusNotFound, "Not Found", "Catalog not found")
	}
	return c
}

// handleCatalog is GET /api/v4/catalogs/{id}.
func (s *Server) handleCatalog(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.catalogOr404(w, r); c != nil {
		writeHAL(w, s.viewCatalog(r, c))
	}
}

// handleCatalogFields is GET /api/v4/catalogs/{id}/custom_fields, paged.
func (s *Server) handleCatalogFields(w http.ResponseWriter, r *http.Request) {
	p, ok := listOrFail(w, r.URL.Query())
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.catalogOr404(w, r)
	if c == nil {
		return
	}
	s.writeFields(w, r, p, fmt.Sprintf("catalogs/%d", c.ID), "catalogs", c.Fields)
}

// elementView is a list element as GET and the write answers show it.
type elementView struct {
	ID                 int64            `json:"id"`
	Name               string           `json:"name"`
	CreatedBy          int64            `json:"created_by"`
	UpdatedBy          int64            `json:"updated_by"`
	CreatedAt          int64            `json:"created_at"`
	UpdatedAt          int64            `json:"updated_at"`
	IsDeleted          bool             `json:"is_deleted"`
	CustomFieldsValues []fieldValueView `json:"custom_fields_values"`
	CatalogID          int64            `json:"catalog_id"`
	AccountID          int64            `json:"account_id"`
	RequestID          string           `json:"request_id,omitempty"`
	Links              links            `json:"_links"`
}

func (s *Server) viewElement(r *http.Request, e *ElementState) elementView {
	ev := s.viewEntity(r, fmt.Sprintf("catalogs/%d/elements", e.CatalogID), &e.Entity)
	return elementView{ID: e.ID, Name: e.Name, CreatedBy: e.CreatedBy, UpdatedBy: e.UpdatedBy, CreatedAt: e.CreatedAt,
		UpdatedAt: e.UpdatedAt, CustomFieldsValues: ev.CustomFieldsValues, CatalogID: e.CatalogID, AccountID: s.st.Account.ID,
		Links: ev.Links}
}

// handleElements is GET /api/v4/catalogs/{id}/elements: query, filter[id],
// page and limit. A page holds at most elementsPage elements whatever limit
// asks, and no page names a next one (issue #528): a client stops at a page
// shorter than elementsPage, or at 204. The list has no documented order;
// it is answered by id.
func (s *Server) handleElements(w http.ResponseWriter, r *http.Request) {
	m := s.modes()
	q := r.URL.Query()
	if m.FiltersIgnored {
		q = withoutFilters(q)
	}
	for key := range q {
		if strings.HasPrefix(key, "order[") {
			badRequest(w, "elements cannot be sorted")
			return
		}
	}
	if q.Get("limit") == "" {
		q.Set("limit", strconv.Itoa(elementsPage))
	}
	p, ok := listOrFail(w, q)
	if !ok {
		return
	}
	p.limit = min(p.limit, elementsPage)
	p.queryFields = !m.SearchNoFields
	if m.SearchLag > 0 {
		p.writtenUntil = s.opts.Now().Add(-m.SearchLag).UnixNano()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.catalogOr404(w, r)
	if c == nil {
		return
	}
	var all []*Entity
	for i := range s.st.Elements {
		if s.st.Elements[i].CatalogID == c.ID {
			all = append(all, &s.st.Elements[i].Entity)
		}
	}
	page, _ := selectEntities(p, all)
	views := make([]elementView, len(page))
	for i, e := range page {
		views[i] = s.viewElement(r, s.st.element(e.ID))
	}
	writePage(w, r, p, "elements", views, len(views), false)
}

// handleElement is GET /api/v4/catalogs/{id}/elements/{element}: 204 when
// the list has no such element, as for leads.
func (s *Server) handleElement(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.catalogOr404(w, r)
	if c == nil {
		return
	}
	id, _ := pathID(r, "element")
	e := s.st.element(id)
	if e == nil || e.CatalogID != c.ID {
		noContent(w)
		return
	}
	writeHAL(w, s.viewElement(r, e))
}

type elementInput struct {
	ID                 *int64             `json:"id"`
	Name               *string            `json:"name"`
	CustomFieldsValues []fieldValuesInput `json:"custom_fields_values"`
	CreatedBy          *int64             `json:"created_by"`
	UpdatedBy          *int64             `json:"updated_by"`
	CreatedAt          *int64             `json:"created_at"`
	UpdatedAt          *int64             `json:"updated_at"`
	RequestID          *string            `json:"request_id"`
}

// handleWriteElements is POST (create) or PATCH (update)
// /api/v4/catalogs/{id}/elements; both answer the whole elements with their
// request_id (catalogs-api, «Добавление элементов списков»). A create needs a
// name; a PATCH needs the id of an element of that list.
func (s *Server) handleWriteElements(patch bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		c := s.catalogOr404(w, r)
		if c == nil {
			return
		}
		b, ok := checkBatch(w, r, maxBatch, func(ch *checker, in elementInput) []FieldValues {
			return s.checkElement(ch, c, in, patch)
		})
		if !ok {
			return
		}
		views := make([]elementView, len(b.inputs))
		for i, in := range b.inputs {
			e := s.applyElement(c, in, b.checked[i], patch)
			views[i] = s.viewElement(r, e)
			views[i].RequestID = b.rids[i]
		}
		writeHAL(w, struct {
			Links    links                    `json:"_links"`
			Embedded map[string][]elementView `json:"_embedded"`
		}{selfLinks(r, r.URL.Path), map[string][]elementView{"elements": views}})
	}
}

func (s *Server) checkElement(c *checker, cat *CatalogState, in elementInput, patch bool) []FieldValues {
	switch {
	case patch && in.ID == nil:
		c.missing("id")
	case patch:
		if e := s.st.element(*in.ID); e == nil || e.CatalogID != cat.ID {
			c.choice("id")
		}
	case in.ID != nil:
		c.fail(codeUnexpected, "id", detailUnexpected)
	case in.Name == nil:
		c.missing("name")
	}
	if in.Name != nil {
		checkText(c, "name", "text", *in.Name)
	}
	if in.CreatedBy != nil && *in.CreatedBy != 0 && !s.st.hasUser(*in.CreatedBy) {
		c.choice("created_by")
	}
	return checkFieldValues(c, "custom_fields_values", cat.Fields, in.CustomFieldsValues)
}

// applyElement creates or updates a checked element; s.mu is held.
func (s *Server) applyElement(cat *CatalogState, in elementInput, fields []FieldValues, patch bool) *ElementState {
	var e *ElementState
	if patch {
		e = s.st.element(*in.ID)
	} else {
		e = s.st.addElement(ElementState{Entity: Entity{ID: s.st.next(seqElement), CreatedAt: s.now(),
			CreatedBy: s.st.Account.CurrentUserID}, CatalogID: cat.ID})
	}
	if in.Name != nil {
		e.Name = *in.Name
	}
	setIf(&e.CreatedBy, in.CreatedBy)
	setIf(&e.CreatedAt, in.CreatedAt)
	e.UpdatedBy = s.st.Account.CurrentUserID
	setIf(&e.UpdatedBy, in.UpdatedBy)
	e.UpdatedAt = s.now()
	setIf(&e.UpdatedAt, in.UpdatedAt)
	e.writtenAt = s.opts.Now().UnixNano()
	e.CustomFieldsValues = mergeFields(e.CustomFieldsValues, fields)
	return e
}
