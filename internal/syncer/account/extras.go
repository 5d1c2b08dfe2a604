package account

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/modx-amocrm/modx-amocrm/internal/amocrm"
	"github.com/modx-amocrm/modx-amocrm/internal/config"
	"github.com/modx-amocrm/modx-amocrm/internal/crm"
	"github.com/modx-amocrm/modx-amocrm/internal/plan"
	"github.com/modx-amocrm/modx-amocrm/internal/transform"
)

// extrasCRM is what the extras read of amoCRM.
type extrasCRM interface {
	Catalogs(ctx context.Context) ([]crm.Catalog, error)
	CatalogFields(ctx context.Context, catalogID int64) ([]crm.CustomField, error)
	TaskTypes(ctx context.Context) ([]crm.TaskType, error)
}

// extras are what deals are made with besides their fields, read only
// when on and cached with the rest of the metadata: the products list and
// its fields (orders.products) and the task types (orders.task,
// forms.task).
type extras struct {
	cfg *config.Config
	crm extrasCRM
	log *slog.Logger
	// noProducts says why deals go without their products although
	// orders.products is on; noticed, that the pass's report was told.
	noProducts string
	noticed    bool
}

// productsOn and tasksOn say what the config turns on.
func (e *extras) productsOn() bool { return e.cfg.Orders.Enabled && e.cfg.Orders.Products.Enabled }
func (e *extras) tasksOn() bool    { return e.cfg.Orders.Task.Enabled || e.cfg.Forms.Task.Enabled }

// cached reports whether a cache holds what the config turns on.
func (e *extras) cached(c cache) bool {
	return (!e.productsOn() || c.Products != nil || c.NoProducts != "") && (!e.tasksOn() || c.TaskTypes != nil)
}

// load reads the products list and the task types into m, when on. An
// account whose plan has no lists (a 403 on them), or that has no products
// list, sends its deals without products: that is said in the log and the
// report (notices), not a failure of every order. A list the config names
// that the account lacks is the config's mistake.
func (e *extras) load(ctx context.Context, m *transform.Meta) error {
	m.Products, e.noProducts, m.TaskTypes = nil, "", nil
	if e.tasksOn() {
		types, err := e.crm.TaskTypes(ctx)
		if err != nil {
			return fmt.Errorf("read task types: %w", err)
		}
		m.TaskTypes = append([]crm.TaskType{}, types...) // read, even if none: the cache knows it was
	}
	if !e.productsOn() {
		return nil
	}
	cats, err := e.crm.Catalogs(ctx)
	if err != nil && !errors.Is(err, amocrm.ErrNoLists) {
		return fmt.Errorf("read lists: %w", err)
	}
	cat, ferr := transform.FindCatalog(e.cfg.Orders.Products.Catalog, cats)
	switch {
	case err != nil:
		e.noProducts = "orders.products is on, but " + err.Error()
	case errors.Is(ferr, transform.ErrNoProductsList):
		e.noProducts = "orders.products is on, but " + ferr.Error()
	case ferr != nil:
		return fmt.Errorf("config does not fit the account: %w", ferr)
	}
	if e.noProducts != "" {
		e.log.Warn("deals are sent without their products", "source", "meta", "reason", e.noProducts)
		return nil
	}
	fields, err := e.crm.CatalogFields(ctx, cat.ID)
	if err != nil {
		return fmt.Errorf("read fields of list %q: %w", cat.Name, err)
	}
	m.Products = &transform.ProductsList{Catalog: cat, Fields: fields}
	return nil
}

// mapperConfig is the config the mapper maps with: as given, except that
// products are off while the account has no products list to put them in
// (or orders are off).
func (e *extras) mapperConfig(list *transform.ProductsList) *config.Config {
	if !e.cfg.Orders.Products.Enabled || list != nil {
		return e.cfg
	}
	cfg := *e.cfg
	cfg.Orders.Products.Enabled = false
	return &cfg
}

// notices is Account.Notices: the plan of the pass's notice, over m.
func (e *extras) notices(m *transform.Meta) *plan.Plan {
	if e.noProducts == "" || e.noticed {
		return nil
	}
	e.noticed = true
	pl := plan.New(plan.SourceOrders, "", m)
	pl.Info = []plan.Entry{{Source: plan.SourceOrders, Kind: "products", Key: "products", Action: plan.Skip,
		Title: "products list", Reason: e.noProducts + "; deals are sent without their products"}}
	return pl
}
