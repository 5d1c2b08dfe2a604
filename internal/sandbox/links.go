package sandbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// ElementLink is a list element linked to a lead, with its quantity and the
// price field chosen (0: none).
type ElementLink struct {
	ElementID int64    `json:"element_id"`
	CatalogID int64    `json:"catalog_id"`
	Quantity  Quantity `json:"quantity"`
	PriceID   int64    `json:"price_id,omitempty"`
}

// Quantity is a link's quantity. It may be fractional, and amoCRM gives it
// back as a float (reference §3.11), so a whole quantity is written 2.0: a
// client that decodes it into an integer fails here as it would there.
type Quantity float64

// MarshalJSON writes the quantity with a decimal point.
func (q Quantity) MarshalJSON() ([]byte, error) {
	s := strconv.FormatFloat(float64(q), 'f', -1, 64)
	if !strings.ContainsAny(s, ".eE") {
		s += ".0"
	}
	return []byte(s), nil
}

// Entity types a lead can be linked to (crm_platform/entity-links-api: «Для
// сделок доступны: контакты, компании, элементы списков»). Companies are not
// emulated, so no company id exists.
const (
	linkContacts  = "contacts"
	linkCompanies = "companies"
	linkElements  = "catalog_elements"
)

type linkInput struct {
	EntityID     *int64         `json:"entity_id"`
	EntityType   *string        `json:"entity_type"`
	ToEntityID   *int64         `json:"to_entity_id"`
	ToEntityType *string        `json:"to_entity_type"`
	Metadata     *linkMetaInput `json:"metadata"`
}

// linkMetaInput is a link's metadata as written: is_main (never the
// main_contact that reads show), and for list elements catalog_id, quantity
// and price_id, which the official SDK sends as null when it has none
// (amocrm-api-php Models/CatalogElementModel.php getMetadataForLink).
type linkMetaInput struct {
	CatalogID *int64          `json:"catalog_id"`
	Quantity  json.RawMessage `json:"quantity"`
	PriceID   *int64          `json:"price_id"`
	IsMain    *bool           `json:"is_main"`
	UpdatedBy *int64          `json:"updated_by"`
}

func (in linkInput) meta() linkMetaInput {
	if in.Metadata == nil {
		return linkMetaInput{}
	}
	return *in.Metadata
}

// checkedLink is one validated link or unlink item.
type checkedLink struct {
	lead    int64
	toType  string
	toID    int64
	contact ContactLink
	element ElementLink
}

// checkLink validates one item. pathLead is the {id} of the per-lead
// routes, 0 for the mass ones, whose items name their lead in entity_id (the
// official SDK's Links service: amocrm-api-php EntitiesServices/Links.php,
// examples/links_mass_actions.php).
func (s *Server) checkLink(c *checker, in linkInput, pathLead int64, unlink bool) checkedLink {
	out := checkedLink{lead: pathLead}
	switch {
	case pathLead == 0 && in.EntityID == nil:
		c.missing("entity_id")
	case in.EntityID == nil:
	case pathLead != 0 && *in.EntityID != pathLead, s.st.lead(*in.EntityID) == nil:
		c.choice("entity_id")
	default:
		out.lead = *in.EntityID
	}
	if in.EntityType != nil && *in.EntityType != entityLeads {
		c.choice("entity_type")
	}
	m := in.meta()
	if m.UpdatedBy != nil && !s.st.hasUser(*m.UpdatedBy) {
		c.choice("metadata.updated_by") // as amocrm-api-php issue #278 logged it
	}
	switch {
	case in.ToEntityType == nil:
		c.missing("to_entity_type")
		return out
	case in.ToEntityID == nil:
		c.missing("to_entity_id")
		return out
	}
	out.toType, out.toID = *in.ToEntityType, *in.ToEntityID
	switch out.toType {
	case linkContacts:
		if s.st.contact(out.toID) == nil {
			c.choice("to_entity_id")
		}
		for _, f := range []struct {
			path string
			set  bool
		}{{"catalog_id", m.CatalogID != nil}, {"quantity", m.Quantity != nil}, {"price_id", m.PriceID != nil}} {
			if f.set {
				c.fail(codeUnexpected, "metadata."+f.path, detailUnexpected)
			}
		}
		out.contact = ContactLink{ID: out.toID, IsMain: m.IsMain != nil && *m.IsMain}
	case linkElements:
		out.element = s.checkElementLink(c, out.toID, m, unlink)
	case linkCompanies:
		c.choice("to_entity_id")
	default:
		c.choice("to_entity_type")
	}
	return out
}

// checkElementLink validates the metadata of a list element's link: the
// list is required (entity-links-api: catalog_id «необходим»), the element
// must be a live element of it, a quantity a positive number (1 when left
// out), a price_id a price field of the list. An unlink may carry the
// quantity and price the SDK sends with it; they are not used.
func (s *Server) checkElementLink(c *checker, id int64, m linkMetaInput, unlink bool) ElementLink {
	l := ElementLink{ElementID: id, Quantity: 1}
	if m.IsMain != nil {
		c.fail(codeUnexpected, "metadata.is_main", detailUnexpected)
	}
	if m.CatalogID == nil {
		c.missing("metadata.catalog_id")
		return l
	}
	cat := s.st.catalog(*m.CatalogID)
	if cat == nil {
		c.choice("metadata.catalog_id")
		return l
	}
	l.CatalogID = cat.ID
	if e := s.st.element(id); e == nil || e.CatalogID != cat.ID {
		c.choice("to_entity_id")
	}
	given := m.Quantity != nil && string(m.Quantity) != "null"
	if given && !unlink {
		q, err := quantity(m.Quantity)
		switch {
		case err != nil:
			c.fail(codeType, "metadata.quantity", "This value should be of type numeric.")
		case q <= 0:
			c.fail(codeType, "metadata.quantity", "This value should be greater than 0.")
		default:
			l.Quantity = Quantity(q)
		}
	}
	if m.PriceID != nil && !unlink {
		if !slices.ContainsFunc(cat.Fields, func(f CustomField) bool { return f.ID == *m.PriceID && f.Type == "price" }) {
			c.choice("metadata.price_id")
		}
		l.PriceID = *m.PriceID
	}
	return l
}

// quantity reads a number, or a string holding one.
func quantity(raw json.RawMessage) (float64, error) {
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return 0, err
	}
	switch v := v.(type) {
	case json.Number:
		return v.Float64()
	case string:
		return strconv.ParseFloat(strings.TrimSpace(v), 64)
	}
	return 0, fmt.Errorf("not a number")
}

// linkRoute serves the four link and unlink routes. A request naming a
// list element on an account without lists is refused whole.
func (s *Server) linkRoute(unlink bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		var pathLead int64
		if r.PathValue("id") != "" {
			id, _ := pathID(r, "id")
			if s.st.lead(id) == nil {
				writeProblem(w, http.StatusNotFound, "Not Found", "Lead not found")
				return
			}
			pathLead = id
		}
		b, ok := checkBatch(w, r, maxBatch, func(c *checker, in linkInput) checkedLink {
			return s.checkLink(c, in, pathLead, unlink)
		})
		if !ok {
			return
		}
		if s.modes().NoLists && slices.ContainsFunc(b.checked, func(l checkedLink) bool { return l.toType == linkElements }) {
			writeNoLists(w)
			return
		}
		if unlink {
			s.unlink(w, b.checked)
			return
		}
		done := make([]linkView, len(b.checked))
		for i, l := range b.checked {
			done[i] = s.link(l)
		}
		writeHAL(w, struct {
			Total    int                   `json:"_total_items"`
			Links    links                 `json:"_links"`
			Embedded map[string][]linkView `json:"_embedded"`
		}{len(done), selfLinks(r, r.URL.Path), map[string][]linkView{"links": done}})
	}
}

// link applies one checked link; s.mu is held. Linking an element a lead
// has again sets its quantity ("если есть - обновит", ufee/amoapi PR #44);
// with Modes.LinksStrict the quantities add up instead.
func (s *Server) link(l checkedLink) linkView {
	lead := s.st.lead(l.lead)
	switch l.toType {
	case linkContacts:
		lead.Contacts = linkContact(lead.Contacts, l.contact)
	case linkElements:
		i := slices.IndexFunc(lead.Elements, func(e ElementLink) bool { return e.ElementID == l.toID })
		switch {
		case i < 0:
			lead.Elements = append(lead.Elements, l.element)
		case s.modes().LinksStrict:
			lead.Elements[i].Quantity += l.element.Quantity
			lead.Elements[i].PriceID = l.element.PriceID
		default:
			lead.Elements[i] = l.element
		}
	}
	lead.UpdatedAt = s.now()
	return s.viewLinkOf(lead, l.toType, l.toID, true)
}

// unlink removes the items' links and answers 204 (entity-links-api; the SDK
// reads the 204 as success: Traits/LinkMethodsTrait.php unlink). Unlinking
// what is not linked does nothing, or with Modes.LinksStrict is refused.
func (s *Server) unlink(w http.ResponseWriter, items []checkedLink) {
	if s.modes().LinksStrict {
		checks := make([]*checker, len(items))
		for i, l := range items {
			checks[i] = &checker{rid: strconv.Itoa(i)}
			if !s.linked(l) {
				checks[i].choice("to_entity_id")
			}
		}
		if writeValidation(w, checks) {
			return
		}
	}
	for _, l := range items {
		lead := s.st.lead(l.lead)
		switch l.toType {
		case linkContacts:
			lead.Contacts = slices.DeleteFunc(lead.Contacts, func(c ContactLink) bool { return c.ID == l.toID })
		case linkElements:
			lead.Elements = slices.DeleteFunc(lead.Elements, func(e ElementLink) bool { return e.ElementID == l.toID })
		}
		lead.UpdatedAt = s.now()
	}
	noContent(w)
}

func (s *Server) linked(l checkedLink) bool {
	lead := s.st.lead(l.lead)
	switch l.toType {
	case linkContacts:
		return slices.ContainsFunc(lead.Contacts, func(c ContactLink) bool { return c.ID == l.toID })
	case linkElements:
		return slices.ContainsFunc(lead.Elements, func(e ElementLink) bool { return e.ElementID == l.toID })
	}
	return false
}

// linkView is a link as the link answer and GET .../links show it.
type linkView struct {
	EntityID     int64     `json:"entity_id,omitempty"`
	EntityType   string    `json:"entity_type,omitempty"`
	ToEntityID   int64     `json:"to_entity_id"`
	ToEntityType string    `json:"to_entity_type"`
	Metadata     *linkMeta `json:"metadata"`
}

// linkMeta is a link's metadata as reads show it: main_contact for
// contacts; quantity, catalog_id and, when one was chosen, price_id for
// list elements (absent otherwise: amocrm-api-php issue #508).
type linkMeta struct {
	MainContact *bool     `json:"main_contact,omitempty"`
	Quantity    *Quantity `json:"quantity,omitempty"`
	CatalogID   int64     `json:"catalog_id,omitempty"`
	PriceID     int64     `json:"price_id,omitempty"`
}

// viewLinkOf shows the lead's link to one entity; withEntity adds the
// lead's id and type, as the link answers and the mass read do.
func (s *Server) viewLinkOf(lead *LeadState, toType string, toID int64, withEntity bool) linkView {
	v := linkView{ToEntityID: toID, ToEntityType: toType}
	if withEntity {
		v.EntityID, v.EntityType = lead.ID, entityLeads
	}
	switch toType {
	case linkContacts:
		for _, c := range lead.Contacts {
			if c.ID == toID {
				main := c.IsMain
				v.Metadata = &linkMeta{MainContact: &main}
			}
		}
	case linkElements:
		for _, e := range lead.Elements {
			if e.ElementID == toID {
				q := e.Quantity
				v.Metadata = &linkMeta{Quantity: &q, CatalogID: e.CatalogID, PriceID: e.PriceID}
			}
		}
	}
	return v
}

// leadLinks lists a lead's links, contacts first, filtered as the GET asks.
func (s *Server) leadLinks(lead *LeadState, f linkFilter, withEntity bool) []linkView {
	var out []linkView
	for _, c := range lead.Contacts {
		if f.keeps(linkContacts, c.ID, 0) {
			out = append(out, s.viewLinkOf(lead, linkContacts, c.ID, withEntity))
		}
	}
	for _, e := range lead.Elements {
		if f.keeps(linkElements, e.ElementID, e.CatalogID) {
			out = append(out, s.viewLinkOf(lead, linkElements, e.ElementID, withEntity))
		}
	}
	return out
}

// linkFilter is the filter of GET .../links: to_entity_id together with
// to_entity_type, or to_catalog_id (entity-links-api).
type linkFilter struct {
	toType    string
	toID      int64
	catalogID int64
}

func (f linkFilter) keeps(typ string, id, catalog int64) bool {
	return (f.toType == "" || f.toType == typ && f.toID == id) && (f.catalogID == 0 || f.catalogID == catalog)
}

// parseLinkFilter reads the links filters; entity ids come back for the
// mass read. Other filters are refused, as on every sandbox list.
func parseLinkFilter(r *http.Request, mass bool) (f linkFilter, leads []int64, err error) {
	q := r.URL.Query()
	for key, vals := range q {
		switch {
		case key == "page" || key == "limit":
		case key == "filter[to_entity_type]":
			f.toType = vals[0]
		case key == "filter[to_entity_id]":
			f.toID, err = strconv.ParseInt(vals[0], 10, 64)
		case key == "filter[to_catalog_id]":
			f.catalogID, err = strconv.ParseInt(vals[0], 10, 64)
		case mass && (key == "filter[entity_id]" || key == "filter[entity_id][]"):
			for _, v := range vals {
				for _, part := range strings.Split(v, ",") {
					id, perr := strconv.ParseInt(strings.TrimSpace(part), 10, 64)
					if perr != nil {
						return f, nil, fmt.Errorf("%s: %q is not an id", key, part)
					}
					leads = append(leads, id)
				}
			}
		default:
			return f, nil, fmt.Errorf("filter %s is not supported by the sandbox", key)
		}
		if err != nil {
			return f, nil, fmt.Errorf("%s: %q is not an id", key, vals[0])
		}
	}
	if (f.toType == "") != (f.toID == 0) {
		return f, nil, fmt.Errorf("filter[to_entity_id] and filter[to_entity_type] go together")
	}
	if mass && len(leads) == 0 {
		return f, nil, fmt.Errorf("filter[entity_id] is required")
	}
	return f, leads, nil
}

// handleLinks is GET /api/v4/leads/{id}/links, and GET /api/v4/leads/links
// with filter[entity_id] for many leads (the SDK's EntitiesLinksFilter);
// both paged, 204 when nothing matches.
func (s *Server) handleLinks(w http.ResponseWriter, r *http.Request) {
	mass := r.PathValue("id") == ""
	f, leadIDs, err := parseLinkFilter(r, mass)
	if err != nil {
		badRequest(w, err.Error())
		return
	}
	q := r.URL.Query()
	p, ok := listOrFail(w, withoutFilters(q))
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !mass {
		id, _ := pathID(r, "id")
		if s.st.lead(id) == nil {
			writeProblem(w, http.StatusNotFound, "Not Found", "Lead not found")
			return
		}
		leadIDs = []int64{id}
	}
	if s.modes().NoLists && (f.toType == linkElements || f.catalogID != 0) {
		writeNoLists(w)
		return
	}
	var all []linkView
	for _, id := range leadIDs {
		if lead := s.st.lead(id); lead != nil {
			all = append(all, s.leadLinks(lead, f, mass)...)
		}
	}
	page, more := pageOf(all, p)
	writePage(w, r, p, "links", page, len(page), more)
}

// elementsView is a lead's _embedded.catalog_elements (with=catalog_elements).
func elementsView(lead *LeadState) []elementLinkView {
	out := make([]elementLinkView, len(lead.Elements))
	for i, e := range lead.Elements {
		q := e.Quantity
		out[i] = elementLinkView{ID: e.ElementID, Metadata: linkMeta{Quantity: &q, CatalogID: e.CatalogID, PriceID: e.PriceID}}
	}
	return out
}

type elementLinkView struct {
	ID       int64    `json:"id"`
	Metadata linkMeta `json:"metadata"`
}
