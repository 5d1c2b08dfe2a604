package sandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
)

type leadInput struct {
	commonInput
	Price        *int64             `json:"price"`
	PipelineID   *int64             `json:"pipeline_id"`
	StatusID     *int64             `json:"status_id"`
	ClosedAt     *int64             `json:"closed_at"`
	LossReasonID *int64             `json:"loss_reason_id"`
	VisitorUID   *string            `json:"visitor_uid"`
	Embedded     *leadEmbeddedInput `json:"_embedded"`
}

// leadEmbeddedInput keeps contacts and metadata raw: their shape depends on
// the endpoint (ids on /leads, new contacts and form metadata on complex).
// catalog_elements is taken and dropped: products cannot be set in a
// create, the deal is made without them (amocrm-api-php issue #487).
type leadEmbeddedInput struct {
	Tags            []tagInput        `json:"tags"`
	Contacts        []json.RawMessage `json:"contacts"`
	Metadata        json.RawMessage   `json:"metadata"`
	CatalogElements json.RawMessage   `json:"catalog_elements"`
}

func (in leadInput) embedded() leadEmbeddedInput {
	if in.Embedded == nil {
		return leadEmbeddedInput{}
	}
	return *in.Embedded
}

type contactRef struct {
	ID     *int64 `json:"id"`
	IsMain *bool  `json:"is_main"`
}

// checkedLead is a leadInput that passed validation.
type checkedLead struct {
	in         leadInput
	common     checkedCommon
	pipelineID int64
	statusID   int64
	contacts   []ContactLink
}

type leadView struct {
	entityView
	Price        int64        `json:"price"`
	StatusID     int64        `json:"status_id"`
	PipelineID   int64        `json:"pipeline_id"`
	LossReasonID *int64       `json:"loss_reason_id"`
	ClosedAt     *int64       `json:"closed_at"`
	Score        *int64       `json:"score"`
	LaborCost    *int64       `json:"labor_cost"`
	Embedded     leadEmbedded `json:"_embedded"`
}

type leadEmbedded struct {
	Tags            []Tag             `json:"tags"`
	Companies       []idRef           `json:"companies"`
	Contacts        []idRef           `json:"contacts,omitempty"`
	CatalogElements []elementLinkView `json:"catalog_elements,omitempty"`
}

func (s *Server) viewLead(r *http.Request, l *LeadState, with map[string]bool) leadView {
	v := leadView{entityView: s.viewEntity(r, entityLeads, &l.Entity), Price: l.Price, StatusID: l.StatusID, PipelineID: l.PipelineID,
		Embedded: leadEmbedded{Tags: tagsView(l.Tags), Companies: []idRef{}}}
	if l.LossReasonID != 0 {
		v.LossReasonID = &l.LossReasonID
	}
	if l.ClosedAt != 0 {
		v.ClosedAt = &l.ClosedAt
	}
	if with["contacts"] {
		for _, c := range l.Contacts {
			lk := selfLinks(r, fmt.Sprintf("/api/v4/contacts/%d", c.ID))
			v.Embedded.Contacts = append(v.Embedded.Contacts, idRef{ID: c.ID, IsMain: &c.IsMain, Links: &lk})
		}
	}
	if with["catalog_elements"] && !s.modes().NoLists {
		v.Embedded.CatalogElements = elementsView(l)
	}
	return v
}

// handleWriteLeads is POST (create) or PATCH (update) /api/v4/leads.
func (s *Server) handleWriteLeads(patch bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		b, ok := checkBatch(w, r, maxBatch, func(c *checker, in leadInput) checkedLead {
			cl := s.checkLead(c, in, patch)
			cl.contacts = s.checkContactRefs(c, in.embedded().Contacts)
			if in.embedded().Metadata != nil {
				c.fail(codeUnexpected, "_embedded.metadata", detailUnexpected)
			}
			return cl
		})
		if !ok {
			return
		}
		res := make([]writeResult, len(b.checked))
		for i, cl := range b.checked {
			l := s.applyLead(cl, patch)
			res[i] = s.result(r, entityLeads, &l.Entity, b.rids[i], patch)
		}
		s.writeResults(w, r, entityLeads, res)
	}
}

// checkLead validates a lead write: the shared part, then pipeline and
// status. A status of type 1 (unsorted) is refused: leads reach it only
// through unsorted forms or complex with form metadata.
func (s *Server) checkLead(c *checker, in leadInput, patch bool) checkedLead {
	out := checkedLead{in: in}
	out.common = s.checkCommon(c, entityLeads, in.commonInput, in.embedded().Tags, patch,
		func(id int64) bool { return s.st.lead(id) != nil })
	if !c.ok() {
		return out
	}
	var cur *LeadState
	if patch {
		cur = s.st.lead(*in.ID)
	}
	if in.Price != nil && *in.Price < 0 {
		c.fail(codeType, "price", "This value should be greater than or equal to 0.")
	}
	p := s.st.mainPipeline()
	switch {
	case in.PipelineID != nil:
		p = s.st.pipeline(*in.PipelineID)
	case cur != nil:
		p = s.st.pipeline(cur.PipelineID)
	}
	if p == nil {
		c.choice("pipeline_id")
		return out
	}
	out.pipelineID = p.ID
	switch {
	case in.StatusID != nil:
		st := findStatus(p, *in.StatusID)
		if st == nil || st.Type == statusTypeUnsorted {
			c.choice("status_id")
		}
		out.statusID = *in.StatusID
	case cur != nil && cur.PipelineID == p.ID:
		out.statusID = cur.StatusID
	default:
		out.statusID = firstOpenStatus(p)
	}
	if in.LossReasonID != nil && out.statusID != StatusLost {
		c.choice("loss_reason_id")
	}
	return out
}

// checkContactRefs validates _embedded.contacts of /leads: existing ids.
func (s *Server) checkContactRefs(c *checker, raw []json.RawMessage) []ContactLink {
	var out []ContactLink
	for i, item := range raw {
		path := fmt.Sprintf("_embedded.contacts.%d", i)
		var ref contactRef
		if !decodeStrict(c, path, item, &ref) {
			continue
		}
		switch {
		case ref.ID == nil:
			c.missing(path + ".id")
		case s.st.contact(*ref.ID) == nil:
			c.choice(path + ".id")
		default:
			out = append(out, ContactLink{ID: *ref.ID, IsMain: ref.IsMain != nil && *ref.IsMain})
		}
	}
	return out
}

// applyLead creates or updates a checked lead; s.mu is held.
func (s *Server) applyLead(cl checkedLead, patch bool) *LeadState {
	var l *LeadState
	if patch {
		l = s.st.lead(*cl.in.ID)
	} else {
		l = s.st.addLead(LeadState{Entity: Entity{ID: s.st.next(seqLead)}})
	}
	s.applyCommon(entityLeads, &l.Entity, cl.common, !patch)
	if !patch && cl.in.Name == nil {
		l.Name = fmt.Sprintf("Сделка #%d", l.ID)
	}
	setIf(&l.Price, cl.in.Price)
	setIf(&l.LossReasonID, cl.in.LossReasonID)
	fromPipeline, from := l.PipelineID, l.StatusID
	l.PipelineID = cl.pipelineID
	if l.StatusID != cl.statusID {
		l.StatusID = cl.statusID
		l.ClosedAt = 0
		if l.StatusID == StatusWon || l.StatusID == StatusLost {
			l.ClosedAt = s.now()
		}
	}
	if patch && (l.PipelineID != fromPipeline || l.StatusID != from) {
		s.statusChanged(l, fromPipeline, from)
	}
	setIf(&l.ClosedAt, cl.in.ClosedAt)
	for _, c := range cl.contacts {
		l.Contacts = linkContact(l.Contacts, c)
	}
	return l
}

// linkContact adds a link, keeping a single main contact.
func linkContact(links []ContactLink, c ContactLink) []ContactLink {
	out := links[:0]
	for _, l := range links {
		if l.ID == c.ID {
			continue
		}
		if c.IsMain {
			l.IsMain = false
		}
		out = append(out, l)
	}
	if len(out) == 0 {
		c.IsMain = true
	}
	return append(out, c)
}

func findStatus(p *Pipeline, id int64) *Status {
	for i := range p.Statuses {
		if p.Statuses[i].ID == id {
			return &p.Statuses[i]
		}
	}
	return nil
}

// firstOpenStatus is where a lead without status_id goes: the pipeline's
// first regular status by sort.
func firstOpenStatus(p *Pipeline) int64 {
	var best *Status
	for i, st := range p.Statuses {
		if st.Type == statusTypeUnsorted || st.ID == StatusWon || st.ID == StatusLost {
			continue
		}
		if best == nil || st.Sort < best.Sort {
			best = &p.Statuses[i]
		}
	}
	if best == nil {
		return StatusWon
	}
	return best.ID
}

func unsortedStatus(p *Pipeline) int64 {
	for _, st := range p.Statuses {
		if st.Type == statusTypeUnsorted {
			return st.ID
		}
	}
	return 0
}
