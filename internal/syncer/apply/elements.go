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
	"github.com/modx-amocrm/modx-amocrm/internal/state"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer/match"
	"github.com/modx-amocrm/modx-amocrm/internal/transform"
)

// elementCRM is what the elements' writes call.
type elementCRM interface {
	CreateCatalogElements(ctx context.Context, catalogID int64, els []crm.CatalogElement) ([]crm.CatalogElement, error)
	UpdateCatalogElements(ctx context.Context, catalogID int64, els []crm.CatalogElement) error
}

// elementWrites creates and updates the products list's elements the
// batch's deals link. A pending marker per created element comes first;
// after an unknown outcome the list is read again and the products looked
// up in it before anything is made again. Updates are PATCHes, which the
// client retries.
type elementWrites struct {
	crm    elementCRM
	ledger marker
	match  *match.Matcher
	log    *slog.Logger
}

func (ew elementWrites) write(ctx context.Context, pl *plan.Plan) error {
	creates, updates := pl.Elements.ToWrite()
	if len(creates) > 0 {
		if err := ew.create(ctx, creates); err != nil {
			return err
		}
	}
	err := sendRefusable(ctx, updates, func(ctx context.Context, es []*plan.Element) error {
		return ew.crm.UpdateCatalogElements(ctx, es[0].CatalogID, elementPayloads(es))
	}, never, func(e *plan.Element, _ []amocrm.ItemError, reason string) {
		e.Refused = "amoCRM refused the element's update: " + reason
	})
	if err != nil {
		return fmt.Errorf("update elements: %w", err)
	}
	return nil
}

func (ew elementWrites) create(ctx context.Context, es []*plan.Element) error {
	catalog := es[0].CatalogID
	marks := make([]state.PendingCreate, len(es))
	for i, e := range es {
		marks[i] = state.PendingCreate{Kind: plan.ElementMarker, SourceID: e.ProductID, Key: strconv.FormatInt(catalog, 10), PayloadHash: e.Hash}
	}
	if err := ew.ledger.MarkPendings(ctx, marks, nil); err != nil {
		return fmt.Errorf("create elements: %w", err)
	}
	err := sendRefusable(ctx, es, func(ctx context.Context, es []*plan.Element) error {
		created, err := ew.crm.CreateCatalogElements(ctx, catalog, elementPayloads(es))
		for _, c := range created {
			if i, ok := requestIndex(c.RequestID, len(es)); ok {
				es[i].ID = c.ID
			}
		}
		return err
	}, func(e *plan.Element) bool { return e.ID != 0 }, func(e *plan.Element, _ []amocrm.ItemError, reason string) {
		e.Refused = "amoCRM refused the element: " + reason
	})
	switch {
	case errors.Is(err, amocrm.ErrOutcomeUnknown):
		return ew.find(ctx, catalog, es)
	case err != nil:
		return fmt.Errorf("create elements: %w", err)
	}
	return nil
}

// find reads the list again for the elements whose create got no
// answer: found ones are taken as created, the others stay pending, and
// the deals that link them wait.
func (ew elementWrites) find(ctx context.Context, catalog int64, es []*plan.Element) error {
	var lost []*plan.Element
	var lines []transform.ProductLine
	for _, e := range es {
		if e.ID == 0 && e.Refused == "" {
			lost = append(lost, e)
			lines = append(lines, transform.ProductLine{ProductID: e.ProductID, SKU: e.SKU})
		}
	}
	found, err := ew.match.FindElements(ctx, catalog, lines, true)
	if err := tolerate(ew.log, err, "element lookup after an unknown outcome failed; looked up again next pass",
		"source", "products", "elements", len(lost)); err != nil {
		return err
	}
	for _, e := range lost {
		if f, ok := found[e.ProductID]; ok {
			e.ID = f.ID
			ew.log.Info("element found after an unknown outcome", "source", "products", "product_id", e.ProductID, "element_id", e.ID)
			continue
		}
		e.Unknown = true
	}
	return nil
}

// elementPayloads are the elements as the list takes them, the i-th with
// request id i.
func elementPayloads(es []*plan.Element) []crm.CatalogElement {
	els := make([]crm.CatalogElement, len(es))
	for i, e := range es {
		els[i] = e.Want
		els[i].RequestID = strconv.Itoa(i)
	}
	return els
}
