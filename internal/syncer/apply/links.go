package apply

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/modx-amocrm/modx-amocrm/internal/amocrm"
	"github.com/modx-amocrm/modx-amocrm/internal/crm"
	"github.com/modx-amocrm/modx-amocrm/internal/plan"
	"github.com/modx-amocrm/modx-amocrm/internal/state"
	"github.com/modx-amocrm/modx-amocrm/internal/transform"
)

// linkProducts links the products of the batch's deals (plan.Linking) with
// leads/link, many deals a request, a deal's links together. A pending
// marker per deal comes first. A request amoCRM refuses is split like any
// batch, the deals it names refused. After an unknown outcome the deals are
// read back: a deal holding every link sent is linked; the others owe
// theirs, read back again next pass before anything is sent (linking again
// may add to a quantity).
func (w *Writer) linkProducts(ctx context.Context, pl *plan.Plan) error {
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
	marks := make([]state.PendingCreate, len(todo))
	for i, d := range todo {
		marks[i] = state.PendingCreate{Kind: plan.ProductsKind(pl.Kind), SourceID: d.Record.ID,
			Key: strconv.FormatInt(d.ID, 10), PayloadHash: d.Products.Hash}
	}
	if err := w.ledger.MarkPendings(ctx, marks, nil); err != nil {
		return fmt.Errorf("link products: %w", err)
	}
	var lost []*plan.Deal
	for _, chunk := range linkChunks(todo, amocrm.MaxBatchSize) {
		err := sendRefusable(ctx, chunk, w.sendLinks, func(d *plan.Deal) bool { return d.Products.Linked },
			func(d *plan.Deal, _ []amocrm.ItemError, reason string) {
				d.Products.Refused = "amoCRM refused the deal's products: " + reason
			})
		switch {
		case errors.Is(err, amocrm.ErrOutcomeUnknown):
			for _, d := range chunk {
				if !d.Products.Linked && d.Products.Refused == "" {
					lost = append(lost, d)
				}
			}
		case err != nil:
			return fmt.Errorf("link products: %w", err)
		}
	}
	return w.readBackLinks(ctx, lost)
}

// sendLinks sends the links of deals in one leads/link request. amoCRM
// names a refused link by its index in the request; the refusal is handed
// on naming the deal's index instead, as sendRefusable reads it.
func (w *Writer) sendLinks(ctx context.Context, ds []*plan.Deal) error {
	var links []crm.Link
	var owner []int
	for i, d := range ds {
		for _, l := range d.Products.Send {
			links = append(links, l)
			owner = append(owner, i)
		}
	}
	_, err := w.crm.LinkLeads(ctx, links)
	var verr *amocrm.ValidationError
	switch {
	case err == nil:
		for _, d := range ds {
			d.Products.Linked = true
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
func linkChunks(ds []*plan.Deal, size int) [][]*plan.Deal {
	var out [][]*plan.Deal
	var cur []*plan.Deal
	n := 0
	for _, d := range ds {
		k := len(d.Products.Send)
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

// readBackLinks reads the elements of deals whose links got no answer: a
// deal holding all it was sent is linked, the others owe them.
func (w *Writer) readBackLinks(ctx context.Context, lost []*plan.Deal) error {
	if len(lost) == 0 {
		return nil
	}
	ids := make([]int64, len(lost))
	for i, d := range lost {
		ids[i] = d.ID
	}
	have, err := w.crm.LeadsCatalogElements(ctx, ids)
	if err != nil {
		if amocrm.IsFatal(err) {
			return err
		}
		w.log.Warn("read-back of links after an unknown outcome failed; read back again next pass", "source", lost[0].Source, "deals", len(lost), "err", err)
	}
	for _, d := range lost {
		if err == nil && len(transform.Unlinked(d.Products.Send, have[d.ID])) == 0 {
			d.Products.Linked = true
			continue
		}
		d.Products.Unknown = true
	}
	return nil
}
