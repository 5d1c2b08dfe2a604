package crm

import (
	"encoding/json"
	"fmt"
	"strconv"
)

// Catalog is an amoCRM list ("Списки"): GET /api/v4/catalogs. An account has
// at most one list of type "products" (the «Товары» tab of a deal) and one of
// type "invoices" (amocrm.ru/developers/content/crm_platform/catalogs-api).
type Catalog struct {
	ID              int64  `json:"id"`
	Name            string `json:"name"`
	Type            string `json:"type"`
	Sort            int64  `json:"sort,omitempty"`
	CanAddElements  bool   `json:"can_add_elements"`
	CanShowInCards  bool   `json:"can_show_in_cards"`
	CanLinkMultiple bool   `json:"can_link_multiple"`
}

// Catalog types.
const (
	CatalogRegular  = "regular"
	CatalogInvoices = "invoices"
	CatalogProducts = "products"
)

// Preset field codes of the products list: SKU (Артикул), PRICE (Цена) and
// the hidden EXTERNAL_ID, which an integration writes to find its elements
// again (a real account's fields; reference §3.11).
const (
	FieldSKU        = "SKU"
	FieldPrice      = "PRICE"
	FieldExternalID = "EXTERNAL_ID"
)

// CatalogElement is an element of a list, as written to and read from
// /api/v4/catalogs/{id}/elements. The list's id travels in the URL, never
// in the body.
type CatalogElement struct {
	ID                 int64               `json:"id,omitempty"`
	Name               string              `json:"name,omitempty"`
	CustomFieldsValues []CustomFieldValues `json:"custom_fields_values,omitempty"`
	IsDeleted          bool                `json:"is_deleted,omitempty"` // read only
	RequestID          string              `json:"request_id,omitempty"`
}

// FieldText returns the first value of the element's field with code as
// text, "" when it has none.
func (e CatalogElement) FieldText(code string) string {
	for _, f := range e.CustomFieldsValues {
		if f.FieldCode == code && len(f.Values) > 0 {
			return valueText(f.Values[0].Value)
		}
	}
	return ""
}

// Link ties an entity to another: POST /api/v4/leads/{id}/link (EntityID
// empty), POST /api/v4/leads/link (EntityID set on each), and the unlink
// twins; GET .../links reads them back.
type Link struct {
	EntityID     int64         `json:"entity_id,omitempty"`
	EntityType   string        `json:"entity_type,omitempty"`
	ToEntityID   int64         `json:"to_entity_id"`
	ToEntityType string        `json:"to_entity_type"`
	Metadata     *LinkMetadata `json:"metadata,omitempty"`
}

// Entity types a link may point at.
const (
	LinkContacts        = "contacts"
	LinkCatalogElements = "catalog_elements"
)

// LinkMetadata is a link's metadata. Quantity may be fractional and reads
// back as a float; PriceID names a price-type field of the list; IsMain is
// written and MainContact read for contacts (developers.kommo.com
// reference/linking-entities, linked-entities).
type LinkMetadata struct {
	CatalogID   int64   `json:"catalog_id,omitempty"`
	Quantity    float64 `json:"quantity,omitempty"`
	PriceID     int64   `json:"price_id,omitempty"`
	IsMain      bool    `json:"is_main,omitempty"`
	MainContact bool    `json:"main_contact,omitempty"`
	UpdatedBy   int64   `json:"updated_by,omitempty"`
}

// ElementLink is one item of a deal's _embedded.catalog_elements (GET
// /api/v4/leads?with=catalog_elements): the element and its link metadata.
type ElementLink struct {
	ID       int64        `json:"id"`
	Metadata LinkMetadata `json:"metadata"`
}

// valueText renders a field value as text: strings as they are, numbers as
// written.
func valueText(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case json.Number:
		return v.String()
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}
