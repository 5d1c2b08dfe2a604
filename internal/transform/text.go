package transform

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/modx-amocrm/modx-amocrm/internal/shop"
)

// Invalid UTF-8 (latin1 tables holding UTF-8 bytes, text cut mid-character
// by a narrow column) is repaired, not parked: each bad sequence becomes
// U+FFFD and a note names the column, so the deal still arrives and the
// damage is visible. The input record is never modified; a repaired copy is
// made only when something is invalid.

func repairOrder(o *shop.Order, notes *[]string) *shop.Order {
	if !noteInvalid(func(fn func(string, *string)) { orderText(o, fn) }, notes) {
		return o
	}
	c := *o
	if o.Address != nil {
		a := *o.Address
		c.Address = &a
	}
	if o.Customer != nil {
		cu := *o.Customer
		c.Customer = &cu
	}
	c.Products = append([]shop.OrderProduct(nil), o.Products...)
	orderText(&c, repair)
	return &c
}

func repairCustomer(cu *shop.Customer, notes *[]string) *shop.Customer {
	if !noteInvalid(func(fn func(string, *string)) { customerText(cu, fn) }, notes) {
		return cu
	}
	c := *cu
	customerText(&c, repair)
	return &c
}

// noteInvalid notes every column visit finds with invalid UTF-8.
func noteInvalid(visit func(func(string, *string)), notes *[]string) bool {
	bad := false
	visit(func(column string, s *string) {
		if !utf8.ValidString(*s) {
			bad = true
			*notes = append(*notes, fmt.Sprintf("%s: invalid UTF-8 replaced with U+FFFD", column))
		}
	})
	return bad
}

func repair(_ string, s *string) { *s = strings.ToValidUTF8(*s, "\uFFFD") }

// orderText visits every text column of an order that can reach amoCRM.
func orderText(o *shop.Order, fn func(column string, s *string)) {
	fn("ms2_orders.num", &o.Num)
	fn("ms2_orders.comment", &o.Comment)
	fn("ms2_deliveries.name", &o.DeliveryName)
	fn("ms2_payments.name", &o.PaymentName)
	if a := o.Address; a != nil {
		for _, f := range []struct {
			col string
			s   *string
		}{
			{"receiver", &a.Receiver}, {"phone", &a.Phone}, {"email", &a.Email}, {"country", &a.Country},
			{"index", &a.Index}, {"region", &a.Region}, {"city", &a.City}, {"metro", &a.Metro},
			{"street", &a.Street}, {"building", &a.Building}, {"entrance", &a.Entrance}, {"floor", &a.Floor},
			{"room", &a.Room}, {"comment", &a.Comment}, {"text_address", &a.TextAddress},
		} {
			fn("ms2_order_addresses."+f.col, f.s)
		}
	}
	for i := range o.Products {
		fn("ms2_order_products.name", &o.Products[i].Name)
		fn("ms2_products.article", &o.Products[i].Article)
	}
	if o.Customer != nil {
		customerText(o.Customer, fn)
	}
}

func customerText(c *shop.Customer, fn func(column string, s *string)) {
	for _, f := range []struct {
		col string
		s   *string
	}{
		{"fullname", &c.FullName}, {"email", &c.Email}, {"phone", &c.Phone}, {"mobilephone", &c.MobilePhone},
		{"fax", &c.Fax}, {"address", &c.Address}, {"country", &c.Country}, {"city", &c.City},
		{"state", &c.State}, {"zip", &c.Zip}, {"website", &c.Website}, {"comment", &c.Comment},
	} {
		fn("user_attributes."+f.col, f.s)
	}
}
