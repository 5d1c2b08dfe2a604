package account

import (
	"context"
	"errors"
	"fmt"

	"github.com/modx-amocrm/modx-amocrm/internal/amocrm"
	"github.com/modx-amocrm/modx-amocrm/internal/config"
	"github.com/modx-amocrm/modx-amocrm/internal/crm"
	"github.com/modx-amocrm/modx-amocrm/internal/plan"
	"github.com/modx-amocrm/modx-amocrm/internal/transform"
)

// What deals are made with besides their fields is read only when it is
// on, and cached with the rest: the products list and its fields
// (orders.products) and the task types (orders.task, forms.task).

// productsOn and tasksOn say what the config turns on.
func (a *Account) productsOn() bool { return a.cfg.Orders.Enabled && a.cfg.Orders.Products.Enabled }
func (a *Account) tasksOn() bool    { return a.cfg.Orders.Task.Enabled || a.cfg.Forms.Task.Enabled }

// cachedExtras reports whether a cache holds what the config turns on.
func (a *Account) cachedExtras(c cache) bool {
	return (!a.productsOn() || c.Products != nil || c.NoProducts != "") && (!a.tasksOn() || c.TaskTypes != nil)
}

// loadExtras reads the products list and the task types, when on. An
// account whose plan has no lists (a 403 on them), or that has no products
// list, sends its deals without products: that is said in the log and the
// report (Notices), not a failure of every order. A list the config names
// that the account lacks is the config's mistake.
func (a *Account) loadExtras(ctx context.Context) error {
	a.meta.Products, a.noProducts, a.meta.TaskTypes = nil, "", nil
	if a.tasksOn() {
		types, err := a.crm.TaskTypes(ctx)
		if err != nil {
			return fmt.Errorf("read task types: %w", err)
		}
		a.meta.TaskTypes = append([]crm.TaskType{}, types...) // read, even if none: the cache knows it was
	}
	if !a.productsOn() {
		return nil
	}
	cats, err := a.crm.Catalogs(ctx)
	if err != nil && !errors.Is(err, amocrm.ErrNoLists) {
		return fmt.Errorf("read lists: %w", err)
	}
	cat, ferr := transform.FindCatalog(a.cfg.Orders.Products.Catalog, cats)
	switch {
	case err != nil:
		a.noProducts = "orders.products is on, but " + err.Error()
	case errors.Is(ferr, transform.ErrNoProductsList):
		a.noProducts = "orders.products is on, but " + ferr.Error()
	case ferr != nil:
		return fmt.Errorf("config does not fit the account: %w", ferr)
	}
	if a.noProducts != "" {
		a.log.Warn("deals are sent without their products", "source", "meta", "reason", a.noProducts)
		return nil
	}
	fields, err := a.crm.CatalogFields(ctx, cat.ID)
	if err != nil {
		return fmt.Errorf("read fields of list %q: %w", cat.Name, err)
	}
	a.meta.Products = &transform.ProductsList{Catalog: cat, Fields: fields}
	return nil
}

// mapperConfig is the config the mapper maps with: as given, except that
// products are off while the account has no products list to put them in
// (or orders are off).
func (a *Account) mapperConfig() *config.Config {
	if !a.cfg.Orders.Products.Enabled || a.meta.Products != nil {
		return a.cfg
	}
	cfg := *a.cfg
	cfg.Orders.Products.Enabled = false
	return &cfg
}

// Notices returns, once a pass, a plan of entries that only inform: that
// deals go without their products, and why. Nil when there is nothing to
// say.
func (a *Account) Notices() *plan.Plan {
	if a.noProducts == "" || a.noticed {
		return nil
	}
	a.noticed = true
	pl := plan.New(plan.SourceOrders, "", &a.meta)
	pl.Info = []plan.Entry{{Source: plan.SourceOrders, Kind: "products", Key: "products", Action: plan.Skip,
		Title: "products list", Reason: a.noProducts + "; deals are sent without their products"}}
	return pl
}
