package amocrm

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/modx-amocrm/modx-amocrm/internal/crm"
)

// ErrNoLists: amoCRM refused a lists request with its 403 problem answer
// while other reads work: the account's plan has no lists («Списки» come
// with the Extended plan and above: amocrm.ru crm_platform/catalogs-api) or
// the integration's user has no rights to them. It is not ErrForbidden, the
// whole account's refusal: the deals can still go.
var ErrNoLists = errors.New("amoCRM refused the lists: the account's plan has no lists (Extended plan and above) or the integration's user has no rights to them")

// NoListsError wraps the 403 behind ErrNoLists. errors.Is(err, ErrNoLists)
// is true; errors.Is(err, ErrForbidden) is not.
type NoListsError struct{ Err *APIError }

func (e *NoListsError) Error() string        { return fmt.Sprintf("%v: %v", ErrNoLists, e.Err) }
func (e *NoListsError) Is(target error) bool { return target == ErrNoLists }

// listsErr tells a lists refusal (403 with a problem+json detail) from the
// blocked account's nginx page (403, HTML, no detail).
func listsErr(err error) error {
	var aerr *APIError
	if errors.As(err, &aerr) && aerr.Status == http.StatusForbidden && aerr.Detail != "" {
		return &NoListsError{Err: aerr}
	}
	return err
}

// elementsPage is how many elements a list page holds at most since
// 2023-08-24, whatever limit asks, and such pages carry no _links.next
// (amocrm-api-php issue #528).
const elementsPage = 100

// Catalogs lists the account's lists (GET /api/v4/catalogs); ErrNoLists when
// the account has none to give.
func (c *Client) Catalogs(ctx context.Context) ([]crm.Catalog, error) {
	cats, err := listAll[crm.Catalog](ctx, c, "catalogs", "/api/v4/catalogs", "catalogs", nil)
	return cats, listsErr(err)
}

// CatalogFields lists the custom fields of a list (SKU, PRICE, EXTERNAL_ID
// ... on the products list).
func (c *Client) CatalogFields(ctx context.Context, catalogID int64) ([]crm.CustomField, error) {
	fields, err := listAll[crm.CustomField](ctx, c, "catalog_fields", fmt.Sprintf("/api/v4/catalogs/%d/custom_fields", catalogID), "custom_fields", nil)
	return fields, listsErr(err)
}

func elementsPath(catalogID int64) string {
	return fmt.Sprintf("/api/v4/catalogs/%d/elements", catalogID)
}

// CatalogElements pages through every element of a list, calling fn with
// each page. Pages hold 100 and name no next one (#528), so paging goes on
// while a page is full and ends at a short page or 204. Elements created
// meanwhile may shift one into the next page and be passed twice.
func (c *Client) CatalogElements(ctx context.Context, catalogID int64, fn func([]crm.CatalogElement) error) error {
	q := url.Values{"limit": {strconv.Itoa(elementsPage)}}
	return listsErr(pages(ctx, c, "catalog_elements", elementsPath(catalogID), "elements", q,
		func(_ *halPage, n int) bool { return n >= elementsPage }, fn))
}

// CatalogElementsByIDs reads elements of a list by id, 100 a request; ids
// the list lacks are missing from the result. An account that ignores
// filter[id] is read one element at a time (see FiltersIgnored).
func (c *Client) CatalogElementsByIDs(ctx context.Context, catalogID int64, ids []int64) ([]crm.CatalogElement, error) {
	els, err := byIDs(ctx, c, "catalog_elements", elementsPath(catalogID), "elements", ids, nil,
		func(e crm.CatalogElement) int64 { return e.ID })
	return els, listsErr(err)
}

// CreateCatalogElements creates elements of a list and returns them with
// their ids, matched by request_id (an empty one is set to the index). A
// lost answer is *OutcomeUnknownError: look the elements up (by their
// EXTERNAL_ID) before creating them again.
func (c *Client) CreateCatalogElements(ctx context.Context, catalogID int64, els []crm.CatalogElement) ([]crm.CatalogElement, error) {
	done, err := createItems(ctx, c, "catalog_elements", elementsPath(catalogID), "elements", els,
		func(x *crm.CatalogElement) *string { return &x.RequestID }, func(x *crm.CatalogElement) *int64 { return &x.ID })
	return done, listsErr(err)
}

// UpdateCatalogElements patches elements of a list (each with its ID).
func (c *Client) UpdateCatalogElements(ctx context.Context, catalogID int64, els []crm.CatalogElement) error {
	in := withRequestIDs(els, func(x *crm.CatalogElement) *string { return &x.RequestID })
	_, err := writeChunks[crm.CatalogElement, ref](ctx, c, "catalog_elements", http.MethodPatch, elementsPath(catalogID), "elements", in, c.batchSize)
	return listsErr(err)
}
