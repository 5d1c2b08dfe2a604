package transform

import (
	"crypto/sha256"
	"encoding/binary"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/shop"
)

// Signature digests the columns of an order's own row that the shop's back
// office rewrites on every edit: saving the order window sets updatedon
// (and on miniShop2 4.4 cost), a product line added, changed or removed
// rewrites cost, cart_cost and weight without touching updatedon, a status
// change rewrites status. An order whose signature equals the one recorded
// when its deal was last written needs no further reading; one that
// differs is read in full and compared field by field. Edits that touch
// none of these columns (a plugin rewriting the address alone) go
// unnoticed until one of them changes: that is the price of not reading a
// million addresses every hour.
//
// Decimals are compared by value ("100.00" = "100"), and updatedon by its
// wall clock, so neither the driver's formatting nor modx.timezone changes
// a signature.
func Signature(s shop.OrderSignature) int64 {
	var buf [160]byte // a row's text fits: no allocation for a million of them
	b := strconv.AppendInt(buf[:0], s.Status, 10)
	for _, d := range []string{s.Cost, s.CartCost, s.DeliveryCost, s.Weight} {
		b = appendCanonicalDecimal(append(b, 0), d)
	}
	b = append(b, 0)
	if !s.UpdatedOn.IsZero() {
		b = s.UpdatedOn.AppendFormat(b, time.DateTime)
	}
	sum := sha256.Sum256(b)
	return int64(binary.BigEndian.Uint64(sum[:8]))
}

// SignatureOf is the signature of an order read in full: recorded with the
// deal written from that read.
func SignatureOf(o *shop.Order) int64 {
	return Signature(shop.OrderSignature{ID: o.ID, Status: o.Status, Cost: o.Cost, CartCost: o.CartCost,
		DeliveryCost: o.DeliveryCost, Weight: o.Weight, UpdatedOn: o.UpdatedOn})
}

// appendCanonicalDecimal writes a decimal without leading or trailing
// zeros; text that is no decimal is kept, marked, as it is.
func appendCanonicalDecimal(b []byte, s string) []byte {
	d, err := parseDecimal(s)
	if err != nil {
		return append(append(b, '?'), strings.TrimSpace(s)...)
	}
	frac := strings.TrimRight(d.fraction, "0")
	if d.neg && (d.whole != "0" || frac != "") {
		b = append(b, '-')
	}
	b = append(b, d.whole...)
	if frac != "" {
		b = append(append(b, '.'), frac...)
	}
	return b
}

// EditedOrders compares the signatures recorded for linked orders (order id
// -> signature) with the rows the shop has for them now: an order with no
// row was deleted, one whose signature differs was edited. Both lists are
// in ascending id order.
func EditedOrders(recorded map[int64]int64, rows []shop.OrderSignature) (edited, deleted []int64) {
	seen := make(map[int64]bool, len(rows))
	for _, r := range rows {
		sig, ok := recorded[r.ID]
		if !ok {
			continue
		}
		seen[r.ID] = true
		if Signature(r) != sig {
			edited = append(edited, r.ID)
		}
	}
	for id := range recorded {
		if !seen[id] {
			deleted = append(deleted, id)
		}
	}
	slices.Sort(edited)
	slices.Sort(deleted)
	return edited, deleted
}
