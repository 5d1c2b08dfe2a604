package modx

import (
	"fmt"
	"slices"
)

// What the connector reads and writes in MODX's schema, for the grants of
// its MySQL account (`modx-amocrm grants`, `check`).

// ReadTables lists, with the prefix and sorted, the existing tables the
// readers may read: every table Detect looked for and found.
func (s *Schema) ReadTables() []string {
	names := make([]string, 0, len(s.Tables))
	for _, t := range s.Tables {
		names = append(names, t.Name)
	}
	slices.Sort(names)
	return names
}

// StatusTargets are what WriteStatus writes ([shop_status]): the columns of
// the orders table it updates and the log table it inserts into, the way
// miniShop2's changeOrderStatus() and the order window's save write them.
type StatusTargets struct {
	Orders  string   // the orders table, with the prefix
	Columns []string // the order's status column and updatedon
	Logs    string   // the status log table, with the prefix
}

// StatusTargets are the targets of s's shop.
func (s *Schema) StatusTargets() StatusTargets {
	w := StatusTargets{Orders: s.Prefix + s.names.orders, Columns: []string{s.names.status}, Logs: s.Prefix + s.names.logs}
	if s.Has(s.names.orders, "updatedon") {
		w.Columns = append(w.Columns, "updatedon")
	}
	return w
}

// StatusTargetsOf are the targets of a shop named by modx.shop (minishop2 or
// minishop3) when the database cannot be looked at: every generation of
// both shops has updatedon.
func StatusTargetsOf(shop, prefix string) (StatusTargets, error) {
	n, ok := map[string]shopNames{ShopMiniShop2: miniShop2, ShopMiniShop3: miniShop3}[shop]
	if !ok {
		return StatusTargets{}, fmt.Errorf("shop %q: want %s or %s", shop, ShopMiniShop2, ShopMiniShop3)
	}
	return StatusTargets{Orders: prefix + n.orders, Columns: []string{n.status, "updatedon"}, Logs: prefix + n.logs}, nil
}
