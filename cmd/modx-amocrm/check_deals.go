package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/modx-amocrm/modx-amocrm/internal/amocrm"
	"github.com/modx-amocrm/modx-amocrm/internal/config"
	"github.com/modx-amocrm/modx-amocrm/internal/crm"
	"github.com/modx-amocrm/modx-amocrm/internal/site"
	"github.com/modx-amocrm/modx-amocrm/internal/transform"
)

// checkDealExtras checks what a deal is made with besides its fields — the
// products list, the task types, the tracking fields — and fills what the
// mapper needs of them into m. It asks amoCRM only for what is turned on. It
// reports whether the ids check may go on.
func checkDealExtras(ctx context.Context, c *checkLines, s *site.Site, m *transform.Meta) bool {
	ok := true
	if s.Config.Orders.Enabled && s.Config.Orders.Products.Enabled {
		ok = checkProducts(ctx, c, s.Client, s.Config.Orders.Products.Catalog, m)
	}
	if s.Config.Orders.Task.Enabled || s.Config.Forms.Task.Enabled {
		types, err := s.Client.TaskTypes(ctx)
		if err != nil {
			c.fail("tasks", fmt.Errorf("read task types: %w", err))
			return false
		}
		m.TaskTypes = types
		var names []string
		for _, t := range types {
			names = append(names, fmt.Sprintf("%d %s", t.ID, t.Name))
		}
		c.ok("tasks", "the account's task types: %s", strings.Join(names, ", "))
	}
	checkTracking(c, m.LeadFields)
	return ok
}

// checkProducts finds the products list and its fields. An account whose
// plan has no lists answers 403 (amocrm.ErrNoLists); one whose products
// list is off has no list of type "products".
func checkProducts(ctx context.Context, c *checkLines, client *amocrm.Client, ref config.IDRef, m *transform.Meta) bool {
	cats, err := client.Catalogs(ctx)
	if errors.Is(err, amocrm.ErrNoLists) {
		c.fail("products", fmt.Errorf("orders.products is on, but %w", err))
		return false
	}
	if err != nil {
		c.fail("products", fmt.Errorf("read lists: %w", err))
		return false
	}
	cat, err := transform.FindCatalog(ref, cats)
	if err != nil {
		var have []string
		for _, l := range cats {
			have = append(have, fmt.Sprintf("%q (%s)", l.Name, l.Type))
		}
		if len(have) == 0 {
			have = []string{"none"}
		}
		c.fail("products", fmt.Errorf("%w; the account's lists: %s", err, strings.Join(have, ", ")))
		return false
	}
	fields, err := client.CatalogFields(ctx, cat.ID)
	if err != nil {
		c.fail("products", fmt.Errorf("read fields of list %q: %w", cat.Name, err))
		return false
	}
	m.Products = &transform.ProductsList{Catalog: cat, Fields: fields}
	var missing []string
	for _, code := range []string{crm.FieldSKU, crm.FieldPrice, crm.FieldExternalID} {
		if !slices.ContainsFunc(fields, func(f crm.CustomField) bool { return strings.EqualFold(f.Code, code) }) {
			missing = append(missing, code)
		}
	}
	switch {
	case len(missing) > 0:
		c.warn("products", "list %q (%d, %s) lacks the fields %s: elements are sent without them and found again by %s",
			cat.Name, cat.ID, cat.Type, strings.Join(missing, ", "), elementsFoundBy(missing))
	default:
		c.ok("products", "ordered products go to list %q (%d, %s) with SKU, PRICE and EXTERNAL_ID", cat.Name, cat.ID, cat.Type)
	}
	return true
}

// elementsFoundBy says what identifies an element again when fields lack.
func elementsFoundBy(missing []string) string {
	switch {
	case !slices.Contains(missing, crm.FieldExternalID):
		return "their external id"
	case !slices.Contains(missing, crm.FieldSKU):
		return "their article alone"
	}
	return "our state alone"
}

// checkTracking says which of the known tracking keys the account has a
// field for; values found for the others are not sent.
func checkTracking(c *checkLines, leadFields []crm.CustomField) {
	tracking := transform.KnownTracking()
	known := slices.Sorted(maps.Keys(tracking))
	var missing []string
	for _, k := range known {
		code := tracking[k]
		if !slices.ContainsFunc(leadFields, func(f crm.CustomField) bool { return strings.EqualFold(f.Code, code) }) {
			missing = append(missing, code)
		}
	}
	if len(missing) == 0 {
		c.ok("tracking", "the account has a tracking field for each of %s", strings.Join(known, ", "))
		return
	}
	c.warn("tracking", "the account has no lead field %s: such values found in orders and forms are not sent", strings.Join(missing, ", "))
}
