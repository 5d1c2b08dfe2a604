package orders

import (
	"context"
	"fmt"

	"github.com/modx-amocrm/modx-amocrm/internal/plan"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer/source"
	"github.com/modx-amocrm/modx-amocrm/internal/transform"
)

// readExtras reads what the orders' deals hold of their products and task
// where those may have been written before: the link rows of deals made
// before (what they still owe), and the deal's elements and tasks as
// amoCRM has them, for a deal that owes them or one found after an unknown
// outcome whose links or task were marked as about to be sent (without a
// marker they were certainly not).
func (s *planner) readExtras(ctx context.Context, orders []*plan.Order) error {
	products := s.env.Account.Meta().Products != nil
	tasks := s.env.Config.Orders.Task.Enabled
	if !products && !tasks {
		return nil
	}
	var linked []int64
	for _, o := range orders {
		if o.Link.AmoID > 0 && o.Found == nil {
			linked = append(linked, o.Record.ID)
		}
	}
	rows := func(on bool, kind string) (map[int64]plan.Link, error) {
		if !on || len(linked) == 0 {
			return nil, nil
		}
		links, err := s.env.Ledger.Links(ctx, kind, linked)
		if err != nil {
			return nil, fmt.Errorf("read %s links: %w", kind, err)
		}
		return links, nil
	}
	productRows, err := rows(products, plan.ProductsKind(plan.KindOrder))
	if err != nil {
		return err
	}
	taskRows, err := rows(tasks, plan.TaskKind(plan.KindOrder))
	if err != nil {
		return err
	}
	marked, err := s.marked(ctx, orders, products, tasks)
	if err != nil {
		return err
	}
	var reads []source.ReadBack
	for _, o := range orders {
		x := &o.Extras
		x.Products, x.Task = productRows[o.Record.ID], taskRows[o.Record.ID]
		switch {
		case o.Found != nil:
			reads = append(reads, source.ReadBack{LeadID: o.Found.ID, Extras: x,
				Products: marked[plan.ProductsKind(plan.KindOrder)][o.Record.ID], Tasks: marked[plan.TaskKind(plan.KindOrder)][o.Record.ID]})
		case x.ProductsOwed() || x.TaskOwed():
			reads = append(reads, source.ReadBack{LeadID: o.Link.AmoID, Extras: x, Products: x.ProductsOwed(), Tasks: x.TaskOwed()})
		}
	}
	return source.ReadBacks(ctx, s.crm, reads)
}

// marked are the orders found after an unknown outcome whose links or
// task have a pending marker, by marker kind.
func (s *planner) marked(ctx context.Context, orders []*plan.Order, products, tasks bool) (map[string]map[int64]bool, error) {
	var found []int64
	for _, o := range orders {
		if o.Found != nil {
			found = append(found, o.Record.ID)
		}
	}
	if len(found) == 0 {
		return nil, nil
	}
	var kinds []string
	if products {
		kinds = append(kinds, plan.ProductsKind(plan.KindOrder))
	}
	if tasks {
		kinds = append(kinds, plan.TaskKind(plan.KindOrder))
	}
	return s.env.Marked(ctx, found, kinds...)
}

// planElements plans the elements of the products the batch's deals link:
// our state's, the list's for products the state lacks (read once per
// list, and again after a create whose outcome was unknown), and creates
// for the rest.
func (s *planner) planElements(ctx context.Context, pl *plan.Plan) error {
	lines := pl.ProductLines()
	if len(lines) == 0 {
		return nil
	}
	catalog := pl.Meta.Products.Catalog.ID
	ids := make([]int64, len(lines))
	for i, l := range lines {
		ids[i] = l.ProductID
	}
	known, err := s.env.Ledger.Elements(ctx, catalog, ids)
	if err != nil {
		return err
	}
	rows := make(map[int64]plan.ElementRow, len(known))
	var unknown []transform.ProductLine
	for _, l := range lines {
		if e, ok := known[l.ProductID]; ok {
			rows[l.ProductID] = plan.ElementRow{CatalogID: catalog, ProductID: l.ProductID, ElementID: e.ElementID, Hash: e.Hash}
		} else {
			unknown = append(unknown, l)
		}
	}
	pending := map[int64]bool{}
	if len(unknown) > 0 {
		marks, err := s.env.Ledger.Pending(ctx, plan.ElementMarker)
		if err != nil {
			return fmt.Errorf("read pending element creates: %w", err)
		}
		for _, m := range marks {
			pending[m.SourceID] = true
		}
	}
	lost := false
	for _, l := range unknown {
		lost = lost || pending[l.ProductID]
	}
	found, err := s.env.Match.Elements(ctx, catalog, unknown, lost)
	if err != nil {
		return err
	}
	pl.AddElements(lines, rows, found, pending)
	return nil
}
