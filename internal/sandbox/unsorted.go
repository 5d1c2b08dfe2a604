package sandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
)

type unsortedInput struct {
	SourceName *string                `json:"source_name"`
	SourceUID  *string                `json:"source_uid"`
	PipelineID *int64                 `json:"pipeline_id"`
	CreatedAt  *int64                 `json:"created_at"`
	Metadata   json.RawMessage        `json:"metadata"`
	Embedded   *unsortedEmbeddedInput `json:"_embedded"`
	RequestID  *string                `json:"request_id"`
}

type unsortedEmbeddedInput struct {
	Leads     []json.RawMessage `json:"leads"`
	Contacts  []json.RawMessage `json:"contacts"`
	Companies []json.RawMessage `json:"companies"`
}

type unsortedItem struct {
	in      unsortedInput
	lead    checkedLead
	contact *contactInput
	checked checkedCommon
}

// handleUnsortedForms is POST /api/v4/leads/unsorted/forms: each item
// creates a lead in the pipeline's unsorted status, with its contact. A
// source_uid already used (before or in the same request) is refused, or
// with Modes.UnsortedDuplicates stored and tagged.
func (s *Server) handleUnsortedForms(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	storeTwice := s.modes().UnsortedDuplicates
	seen := map[string]bool{}
	for _, u := range s.st.Unsorted {
		seen[u.SourceUID] = true
	}
	var twice []string
	b, ok := checkBatch(w, r, maxBatch, func(c *checker, in unsortedInput) unsortedItem {
		if in.SourceUID != nil && *in.SourceUID != "" {
			switch uid := *in.SourceUID; {
			case !seen[uid]:
				seen[uid] = true
			case storeTwice:
				twice = append(twice, uid)
			default:
				c.fail(codeUnique, "source_uid", detailUnique)
			}
		}
		return s.checkUnsorted(c, in)
	})
	if !ok {
		return
	}
	type embedded struct {
		Leads     []idRef `json:"leads"`
		Contacts  []idRef `json:"contacts"`
		Companies []idRef `json:"companies"`
	}
	type result struct {
		UID       string   `json:"uid"`
		AccountID int64    `json:"account_id"`
		RequestID string   `json:"request_id"`
		Embedded  embedded `json:"_embedded"`
	}
	res := make([]result, len(b.checked))
	for i, it := range b.checked {
		u := UnsortedState{UID: fmt.Sprintf("%032x", s.st.next(seqUnsorted)), SourceUID: *it.in.SourceUID, SourceName: *it.in.SourceName,
			PipelineID: it.lead.pipelineID, CreatedAt: s.now(), Metadata: it.in.Metadata}
		setIf(&u.CreatedAt, it.in.CreatedAt)
		out := result{UID: u.UID, AccountID: s.st.Account.ID, RequestID: b.rids[i], Embedded: embedded{Contacts: []idRef{}, Companies: []idRef{}}}
		if it.contact != nil {
			c := s.applyContact(*it.contact, it.checked, false)
			u.ContactID = c.ID
			it.lead.contacts = []ContactLink{{ID: c.ID, IsMain: true}}
			out.Embedded.Contacts = []idRef{{ID: c.ID}}
		}
		u.LeadID = s.applyLead(it.lead, false).ID
		out.Embedded.Leads = []idRef{{ID: u.LeadID}}
		s.st.Unsorted = append(s.st.Unsorted, u)
		res[i] = out
	}
	s.tagDuplicates(twice)
	writeHAL(w, struct {
		Total    int                 `json:"_total_items"`
		Embedded map[string][]result `json:"_embedded"`
	}{len(res), map[string][]result{"unsorted": res}})
}

func (s *Server) checkUnsorted(c *checker, in unsortedInput) unsortedItem {
	it := unsortedItem{in: in}
	if in.SourceName == nil || *in.SourceName == "" {
		c.missing("source_name")
	}
	if in.SourceUID == nil || *in.SourceUID == "" {
		c.missing("source_uid")
	}
	if in.Metadata == nil {
		c.missing("metadata")
	} else {
		checkFormMeta(c, "metadata", in.Metadata, false)
	}
	p := s.st.mainPipeline()
	if in.PipelineID != nil {
		p = s.st.pipeline(*in.PipelineID)
	}
	if p == nil || !p.IsUnsortedOn || unsortedStatus(p) == 0 {
		c.choice("pipeline_id")
		return it
	}
	var emb unsortedEmbeddedInput
	if in.Embedded != nil {
		emb = *in.Embedded
	}
	if len(emb.Companies) > 0 {
		c.fail(codeUnexpected, "_embedded.companies", "Companies are not emulated by the sandbox.")
	}
	switch len(emb.Leads) {
	case 0:
		c.missing("_embedded.leads")
	case 1:
		nested(c, "_embedded.leads.0", func(sub *checker) {
			var lead leadInput
			if !decodeStrict(sub, "", emb.Leads[0], &lead) {
				return
			}
			// The form decides where the lead goes; the lead may not.
			if lead.PipelineID != nil || lead.StatusID != nil || lead.Embedded != nil && (lead.Embedded.Contacts != nil || lead.Embedded.Metadata != nil) {
				sub.fail(codeUnexpected, "", "Pipeline, status, contacts and metadata belong to the form, not the lead.")
				return
			}
			it.lead = s.checkLead(sub, lead, false)
		})
	default:
		c.fail(codeCount, "_embedded.leads", "This collection should contain 1 element or less.")
	}
	switch len(emb.Contacts) {
	case 0:
	case 1:
		ci, cc := s.decodeContact(c, "_embedded.contacts.0", emb.Contacts[0])
		it.contact, it.checked = &ci, cc
	default:
		c.fail(codeCount, "_embedded.contacts", "This collection should contain 1 element or less.")
	}
	it.lead.pipelineID, it.lead.statusID = p.ID, unsortedStatus(p)
	return it
}

// tagDuplicates tags DuplicateTag on the lead of every incoming lead whose
// source_uid is one of uids.
func (s *Server) tagDuplicates(uids []string) {
	if len(uids) == 0 {
		return
	}
	tag := Tag{ID: s.tagID(entityLeads, DuplicateTag), Name: DuplicateTag}
	for _, u := range s.st.Unsorted {
		if l := s.st.lead(u.LeadID); l != nil && slices.Contains(uids, u.SourceUID) && !hasTag(l.Tags, tag.ID) {
			l.Tags = append(l.Tags, tag)
		}
	}
}
