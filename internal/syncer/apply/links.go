package apply

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"

	"github.com/modx-amocrm/modx-amocrm/internal/amocrm"
	"github.com/modx-amocrm/modx-amocrm/internal/crm"
	"github.com/modx-amocrm/modx-amocrm/internal/plan"
	"github.com/modx-amocrm/modx-amocrm/internal/transform"
)

// linker links deals to the products list's elements (leads/link).
type linker interface {
	LinkLeads(ctx context.Context, links []crm.Link) ([]int64, error)
}

// productLinks link the products of the batch's deals (plan.Linking) with
// leads/link, many deals a request, a deal's links together. A pending
// marker per deal comes first. A request amoCRM refuses is split like any
// batch, the deals it names refused. After an unknown outcome the deals are
// read back: a deal holding every link sent is linked; the others owe
// theirs, read back again next pass before anything is sent (linking again
// may add to a quantity).
type productLinks struct {
	crm    linker
	ledger marker
	read   linkReader
}

func (p productLinks) write(ctx context.Context, pl *plan.Plan) error {
	var todo []*plan.Deal
	for _, d := range pl.Linking() {
		if !d.Products.Sending() {
			d.Products.Linked = true
			continue
		}
		todo = append(todo, d)
	}
	if len(todo) == 0 {
		return nil
	}
	if err := markDeals(ctx, p.ledger, plan.ProductsKind(pl.Kind), todo, func(d *plan.Deal) string { return d.Products.Hash }); err != nil {
		return fmt.Errorf("link products: %w", err)
	}
	send := linkSend{send: p.crm.LinkLeads, refusal: "amoCRM refused the deal's products: ",
		of: func(d *plan.Deal) ([]crm.Link, *bool, *string) {
			return d.Products.Send, &d.Products.Linked, &d.Products.Refused
		}}
	lost, err := send.all(ctx, todo)
	if err != nil {
		return fmt.Errorf("link products: %w", err)
	}
	return p.readBack(ctx, lost)
}

// linkSend sends links (or unlinks) of deals with leads/link (or
// leads/unlink), many deals a request, a deal's links together.
type linkSend struct {
	send func(context.Context, []crm.Link) ([]int64, error)
	// of gives a deal's links and where their outcome goes: sent, or
	// refused with amoCRM's reason after refusal.
	of      func(*plan.Deal) (links []crm.Link, sent *bool, refused *string)
	refusal string
}

// all sends the links of deals. A request amoCRM refuses is split like
// any batch, the deals it names refused. It returns the deals whose request
// had an unknown outcome.
func (s linkSend) all(ctx context.Context, ds []*plan.Deal) (lost []*plan.Deal, err error) {
	done := func(d *plan.Deal) bool { _, sent, _ := s.of(d); return *sent }
	refuse := func(d *plan.Deal, _ []amocrm.ItemError, reason string) { _, _, r := s.of(d); *r = s.refusal + reason }
	for _, chunk := range linkChunks(ds, amocrm.MaxBatchSize, s.of) {
		err := sendRefusable(ctx, chunk, s.request, done, refuse)
		switch {
		case errors.Is(err, amocrm.ErrOutcomeUnknown):
			for _, d := range chunk {
				if _, sent, refused := s.of(d); !*sent && *refused == "" {
					lost = append(lost, d)
				}
			}
		case err != nil:
			return nil, err
		}
	}
	return lost, nil
}

// request sends the links of deals in one request. amoCRM names a refused
// link by its index in the request; the refusal is handed on naming the
// deal's index instead, as sendRefusable reads it.
func (s linkSend) request(ctx context.Context, ds []*plan.Deal) error {
	var links []crm.Link
	var owner []int
	for i, d := range ds {
		ls, _, _ := s.of(d)
		for _, l := range ls {
			links = append(links, l)
			owner = append(owner, i)
		}
	}
	_, err := s.send(ctx, links)
	var verr *amocrm.ValidationError
	switch {
	case err == nil:
		for _, d := range ds {
			_, sent, _ := s.of(d)
			*sent = true
		}
	case errors.As(err, &verr):
		byDeal := &amocrm.ValidationError{Items: map[string][]amocrm.ItemError{}, RequestID: verr.RequestID}
		for k, errs := range verr.Items {
			if i, ok := requestIndex(k, len(owner)); ok {
				k = strconv.Itoa(owner[i])
			}
			byDeal.Items[k] = append(byDeal.Items[k], errs...)
		}
		return byDeal
	}
	return err
}

// linkChunks cuts deals into requests of at most size links, a deal's
// links together (a deal with more goes alone: the client splits it).
func linkChunks(ds []*plan.Deal, size int, of func(*plan.Deal) ([]crm.Link, *bool, *string)) [][]*plan.Deal {
	var out [][]*plan.Deal
	var cur []*plan.Deal
	n := 0
	for _, d := range ds {
		links, _, _ := of(d)
		k := len(links)
		if n+k > size && len(cur) > 0 {
			out, cur, n = append(out, cur), nil, 0
		}
		cur, n = append(cur, d), n+k
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// readBack reads the elements of deals whose links got no answer: a deal
// holding all it was sent is linked, the others owe them.
func (p productLinks) readBack(ctx context.Context, lost []*plan.Deal) error {
	return p.read.deals(ctx, lost, func(d *plan.Deal, have []crm.ElementLink, read bool) {
		if read && len(transform.Unlinked(d.Products.Send, have)) == 0 {
			d.Products.Linked = true
			return
		}
		d.Products.Unknown = true
	})
}

// linkedElements reads the elements deals link.
type linkedElements interface {
	LeadsCatalogElements(ctx context.Context, ids []int64) (map[int64][]crm.ElementLink, error)
}

// linkReader reads back the elements of deals whose links or unlinks got
// no answer.
type linkReader struct {
	crm linkedElements
	log *slog.Logger
}

// deals reads the elements of lost deals and hands each deal's to settle;
// read is false when the read itself failed (the deal is then read back on
// its next try).
func (r linkReader) deals(ctx context.Context, lost []*plan.Deal, settle func(d *plan.Deal, have []crm.ElementLink, read bool)) error {
	if len(lost) == 0 {
		return nil
	}
	ids := make([]int64, len(lost))
	for i, d := range lost {
		ids[i] = d.ID
	}
	have, err := r.crm.LeadsCatalogElements(ctx, ids)
	if err := tolerate(r.log, err, "read-back of links after an unknown outcome failed; read back again on the next try",
		"source", lost[0].Source, "deals", len(lost)); err != nil {
		return err
	}
	for _, d := range lost {
		settle(d, have[d.ID], err == nil)
	}
	return nil
}
