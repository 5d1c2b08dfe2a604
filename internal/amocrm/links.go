package amocrm

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/modx-amocrm/modx-amocrm/internal/crm"
)

// Links are not idempotent on every account: linking an element again may
// add to its quantity (sandbox -links-strict), and unlinking what is gone may
// be refused. So a link or unlink request is sent once, like a create: a
// timeout, 5xx or lost answer after it left is *OutcomeUnknownError, and the
// caller reads the deals back (LeadsCatalogElements, LeadLinks) before
// sending again.

// LinkLeads links entities to many deals with POST /api/v4/leads/link, each
// link naming its deal in EntityID (the official SDK's mass links:
// amocrm-api-php EntitiesServices/Links.php add). A request carries up to
// 250 links, never splitting one deal's links unless the deal alone has
// more. It returns the deals whose links were all sent and answered; on
// error the deals of the requests before the failing one.
func (c *Client) LinkLeads(ctx context.Context, links []crm.Link) (done []int64, err error) {
	return c.massLinks(ctx, "leads_link", "/api/v4/leads/link", links)
}

// UnlinkLeads removes links of many deals with POST /api/v4/leads/unlink,
// batched and answered as LinkLeads.
func (c *Client) UnlinkLeads(ctx context.Context, links []crm.Link) (done []int64, err error) {
	return c.massLinks(ctx, "leads_unlink", "/api/v4/leads/unlink", links)
}

func (c *Client) massLinks(ctx context.Context, class, path string, links []crm.Link) ([]int64, error) {
	var done []int64
	for _, chunk := range chunkByDeal(links, MaxBatchSize) {
		if err := c.sendLinks(ctx, class, path, chunk.links); err != nil {
			return done, listsErr(err)
		}
		done = append(done, chunk.deals...)
	}
	return done, nil
}

// linkChunk is one request's links and the deals all of whose links it holds.
type linkChunk struct {
	links []crm.Link
	deals []int64
}

// chunkByDeal cuts links into requests of at most size, keeping each deal's
// links together (in the order given) unless one deal alone has more than
// size; such a deal is done with its last chunk.
func chunkByDeal(links []crm.Link, size int) []linkChunk {
	var order []int64
	byDeal := map[int64][]crm.Link{}
	for _, l := range links {
		if _, ok := byDeal[l.EntityID]; !ok {
			order = append(order, l.EntityID)
		}
		byDeal[l.EntityID] = append(byDeal[l.EntityID], l)
	}
	var out []linkChunk
	cur := linkChunk{}
	flush := func() {
		if len(cur.links) > 0 {
			out = append(out, cur)
		}
		cur = linkChunk{}
	}
	for _, deal := range order {
		ls := byDeal[deal]
		if len(cur.links)+len(ls) > size {
			flush()
		}
		for len(ls) > size {
			out = append(out, linkChunk{links: ls[:size]})
			ls = ls[size:]
		}
		cur.links = append(cur.links, ls...)
		cur.deals = append(cur.deals, deal)
	}
	flush()
	return out
}

func (c *Client) sendLinks(ctx context.Context, class, path string, links []crm.Link) error {
	cl, err := jsonCall(class, http.MethodPost, path, links)
	if err != nil {
		return err
	}
	cl.create = true
	// The answer is not read: the SDK's mass link ignores it, and the
	// per-deal one repeats what was sent.
	_, err = c.do(ctx, cl, nil)
	return err
}

// LinkLead links entities to one deal (POST /api/v4/leads/{id}/link; the
// links' EntityID is left out), up to 250 a request.
func (c *Client) LinkLead(ctx context.Context, leadID int64, links []crm.Link) error {
	return c.leadLinks(ctx, "lead_link", fmt.Sprintf("/api/v4/leads/%d/link", leadID), links)
}

// UnlinkLead removes links of one deal (POST /api/v4/leads/{id}/unlink,
// answered 204).
func (c *Client) UnlinkLead(ctx context.Context, leadID int64, links []crm.Link) error {
	return c.leadLinks(ctx, "lead_unlink", fmt.Sprintf("/api/v4/leads/%d/unlink", leadID), links)
}

func (c *Client) leadLinks(ctx context.Context, class, path string, links []crm.Link) error {
	for start := 0; start < len(links); start += MaxBatchSize {
		if err := c.sendLinks(ctx, class, path, links[start:min(start+MaxBatchSize, len(links))]); err != nil {
			return listsErr(err)
		}
	}
	return nil
}

// LeadLinks reads a deal's links (GET /api/v4/leads/{id}/links): its
// contacts and list elements with their metadata. catalogID, when not 0,
// keeps only that list's elements (filter[to_catalog_id]).
func (c *Client) LeadLinks(ctx context.Context, leadID, catalogID int64) ([]crm.Link, error) {
	var q url.Values
	if catalogID != 0 {
		q = url.Values{"filter[to_catalog_id]": {fmt.Sprint(catalogID)}}
	}
	links, err := listAll[crm.Link](ctx, c, "lead_links", fmt.Sprintf("/api/v4/leads/%d/links", leadID), "links", q)
	return links, listsErr(err)
}

// LeadsCatalogElements reads the list elements linked to deals (GET
// /api/v4/leads?with=catalog_elements, by id as LeadsByIDs), by deal id;
// deals without elements are absent. It is the read-back of links whose
// outcome is unknown: one request for up to 100 deals.
func (c *Client) LeadsCatalogElements(ctx context.Context, ids []int64) (map[int64][]crm.ElementLink, error) {
	leads, err := byIDs(ctx, c, "leads", "/api/v4/leads", "leads", ids, url.Values{"with": {"catalog_elements"}}, leadID)
	if err != nil {
		return nil, err
	}
	out := make(map[int64][]crm.ElementLink, len(leads))
	for _, l := range leads {
		if l.Embedded != nil && len(l.Embedded.CatalogElements) > 0 {
			out[l.ID] = l.Embedded.CatalogElements
		}
	}
	return out, nil
}
