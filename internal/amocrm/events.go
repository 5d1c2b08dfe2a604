package amocrm

import (
	"context"
	"net/url"
	"strconv"

	"github.com/modx-amocrm/modx-amocrm/internal/crm"
)

// eventsPageLimit is the events list's largest page ("Максимум – 100").
const eventsPageLimit = 100

// LeadStatusEvents pages through the deals' status changes created from
// from to to (Unix seconds), 100 a request, calling fn with each page. The
// window is closed, so events created while it pages cannot shift its
// pages; the list's order is not documented and callers must not rely on it.
func (c *Client) LeadStatusEvents(ctx context.Context, from, to int64, fn func([]crm.Event) error) error {
	q := url.Values{
		"filter[type]":             {crm.EventLeadStatusChanged},
		"filter[entity]":           {"lead"},
		"filter[created_at][from]": {strconv.FormatInt(from, 10)},
		"filter[created_at][to]":   {strconv.FormatInt(to, 10)},
		"limit":                    {strconv.Itoa(eventsPageLimit)},
	}
	return eachPage(ctx, c, "events", "/api/v4/events", "events", q, fn)
}
