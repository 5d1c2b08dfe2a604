// Package shop holds the shop's records as the MODX readers return them:
// orders with their address, lines and customer, status changes, forms,
// users and statuses, of miniShop2 and MiniShop3 alike. It does no I/O: the
// transform and the plan take them without importing a database adapter.
package shop

import (
	"encoding/json"
	"time"
)

// Order is a placed order, of miniShop2 or MiniShop3 alike, with everything
// the transform needs.
// Text columns that may be NULL in real shops are plain strings here (NULL
// reads as ""); JSON columns stay raw so the transform can report bad JSON
// per order instead of the reader failing the whole page.
type Order struct {
	ID           int64
	UserID       int64
	Num          string
	CreatedOn    time.Time // zero when the column was NULL
	UpdatedOn    time.Time
	Cost         string // decimal as text, e.g. "1499.50": money is never a float
	CartCost     string
	DeliveryCost string
	Weight       string
	Status       int64 // the shop's own status id
	DeliveryID   int64
	DeliveryName string
	PaymentID    int64
	PaymentName  string
	Context      string
	Comment      string          // order_comment (3.0.5+) or comment (older): the back office's note; the customer's is Address.Comment
	Properties   json.RawMessage // NULL -> nil
	Address      *Address        // nil: the order has no address row
	Products     []OrderProduct  // cart order (by ms2_order_products.id)
	Customer     *Customer       // nil: no such user
}

// Address is an ms2_order_addresses (ms3_order_addresses) row. Columns
// missing in older generations read as ""; MiniShop3 1.x's first_name and
// last_name read as Receiver.
type Address struct {
	ID          int64
	Receiver    string
	Phone       string
	Email       string
	Country     string
	Index       string
	Region      string
	City        string
	Metro       string
	Street      string
	Building    string
	Entrance    string
	Floor       string
	Room        string
	Comment     string
	TextAddress string
	Properties  json.RawMessage
}

// Field returns an address column by its miniShop2 name ("city", "index"...),
// the way orders.address_fields names them; ok is false for unknown names.
func (a *Address) Field(name string) (value string, ok bool) {
	if a == nil {
		return "", false
	}
	switch name {
	case "receiver":
		return a.Receiver, true
	case "phone":
		return a.Phone, true
	case "email":
		return a.Email, true
	case "country":
		return a.Country, true
	case "index":
		return a.Index, true
	case "region":
		return a.Region, true
	case "city":
		return a.City, true
	case "metro":
		return a.Metro, true
	case "street":
		return a.Street, true
	case "building":
		return a.Building, true
	case "entrance":
		return a.Entrance, true
	case "floor":
		return a.Floor, true
	case "room":
		return a.Room, true
	case "comment":
		return a.Comment, true
	case "text_address":
		return a.TextAddress, true
	}
	return "", false
}

// OrderProduct is one cart line.
type OrderProduct struct {
	ID        int64
	ProductID int64
	Name      string // the product's name when ordered (ms2_order_products.name)
	Article   string
	// Title and ListPrice are the product as the shop has it now: its
	// resource's pagetitle and ms2_products.price (ms3_products.price); ""
	// when the product is gone.
	Title     string
	ListPrice string
	Count     int64
	Price     string
	Weight    string
	Cost      string
	Options   json.RawMessage
	// Categories is the product's primary ancestry, nearest first
	// (site_content.parent chain, root 0 excluded).
	Categories []int64
	// AdditionalCategories are ms2_product_categories rows, each with its own
	// ancestry, nearest first.
	AdditionalCategories [][]int64
}

// Customer is a MODX user with its profile (users + user_attributes), or a
// MiniShop3 customer (ms3_customers), whose ID is then its MODX user's (0
// for a guest) and whose profile holds only name, e-mail and phone.
type Customer struct {
	ID          int64
	Username    string
	Active      bool
	Blocked     bool
	CreatedOn   time.Time // users.createdon; zero when 0
	FullName    string
	Email       string
	Phone       string
	MobilePhone string
	Fax         string
	Address     string
	Country     string
	City        string
	State       string
	Zip         string
	Website     string
	DOB         int64
	Gender      int64
	Comment     string
	Extended    json.RawMessage // NULL -> nil

	// What the shop says about whose account this is (accounts.go):
	// Manager is a user who can work in the manager or changed someone
	// else's order, read with an order's customer and with users;
	// Receivers and Phones count the different receivers and phones of
	// the account's newest 100 orders, read with an order's customer (not
	// counted for a manager).
	Manager           bool
	Receivers, Phones int
}

// StatusChange is an order log row (ms2_order_logs, ms3_order_logs) with
// action = 'status'.
type StatusChange struct {
	LogID     int64
	OrderID   int64
	Status    int64 // the entry column: the new status id
	Timestamp time.Time
}

// Form is a FormIt saved form (formit_forms).
type Form struct {
	ID             int64
	Name           string // the form column
	Context        string
	Values         string // JSON text, or ciphertext when Encrypted
	IP             string
	Date           time.Time // from the Unix int; zero when 0
	Encrypted      bool
	EncryptionType int // 1 legacy mcrypt, 2 openssl; 0 when the column is absent
	Hash           string
}

// OrderStatus is an ms2_order_statuses (ms3_order_statuses) row; Rank is
// MiniShop3's position.
type OrderStatus struct {
	ID   int64
	Name string
	Rank int64
	// Final: the shop lets an order leave it for no other status; Fixed:
	// only for one of a higher rank (changeOrderStatus' rules).
	Final, Fixed bool
	Active       bool
}

// OldLink is a row of the old extra's amocrm_leads / amocrm_users tables:
// a MODX id (order or user; 0 for a form's deal) and the amoCRM id it was
// sent as (deal or contact), with the deal's pipeline as the extra stored
// it. Row is the table's id, the cursor of a keyset page.
type OldLink struct {
	Row        int64
	SourceID   int64
	AmoID      int64
	PipelineID int64
}

// OrderHeader is the cheap part of an order the syncer decides on.
type OrderHeader struct {
	ID        int64
	Status    int64
	Num       string
	CreatedOn time.Time // zero when NULL
}

// OrderState is an order as the status writer reads it before moving it.
type OrderState struct {
	ID     int64
	Num    string
	Status int64
	// LastLogID is the order's newest log row of any action (0: none): the
	// log row of a write begun after reading it has a higher id.
	LastLogID int64
	// Changed is the time of the order's newest status log row; zero when
	// it has none.
	Changed time.Time
	// UpdatedOn is the order's updatedon (zero: NULL): the shop's status
	// changes leave it alone, so it tells a write of ours by its time.
	UpdatedOn time.Time
}

// SiteFacts are the settings that describe the shop.
type SiteFacts struct {
	Name string // site_name
	URL  string // site_url
	Host string // http_host, else the host of site_url; guests' synthetic e-mails use it
	// NewStatus is the status a submitted order gets (ms2_status_new, else
	// 1; ms3_status_new, else 2): an order left at status 0 by miniShop2
	// 4.4.1's #950 is sent at it.
	NewStatus int64
}

// OrderSignature is the part of an order's own row that the shop rewrites
// whenever the order is edited (internal/modx/edits.go lists which write
// touches which column): compared with what was last sent, it tells an
// edited order without reading its lines or address.
type OrderSignature struct {
	ID                                   int64
	Status                               int64
	Cost, CartCost, DeliveryCost, Weight string    // decimals as text, as in Order
	UpdatedOn                            time.Time // zero when NULL
}
