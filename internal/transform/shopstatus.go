package transform

import (
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/modx-amocrm/modx-amocrm/internal/config"
)

// resolveShopStatus builds the way back, amoCRM status -> shop status, per
// pipeline: shop_status.map with its names resolved in every pipeline that
// has them, or, with an empty map, the orders mapping read backwards (so
// the site pipeline's statuses lead back to the shop statuses of their
// names). An amoCRM status more than one shop status leads back from is
// kept with all of them: the move is refused with that reason, not guessed.
func (m *Mapper) resolveShopStatus() error {
	if !m.cfg.ShopStatus.Enabled {
		return nil
	}
	m.shopStatus = make(map[int64]map[int64][]int64)
	if len(m.cfg.ShopStatus.Map) == 0 {
		for _, p := range m.acc.pipelines {
			for _, shop := range m.shopStatusIDs() {
				if s, ok := m.StatusChange(p.id, shop); ok {
					m.leadsBack(p.id, s, shop)
				}
			}
		}
		return nil
	}
	for _, k := range slices.Sorted(maps.Keys(m.cfg.ShopStatus.Map)) {
		in, err := m.acc.statusInEach(config.ParseIDRef(k))
		if err != nil {
			return fmt.Errorf("shop_status.map.%q: %w", k, err)
		}
		for p, s := range in {
			m.leadsBack(p, s, m.cfg.ShopStatus.Map[k])
		}
	}
	return nil
}

// shopStatusIDs are the shop statuses the orders mapping can map: the
// shop's own and those orders.status_map names.
func (m *Mapper) shopStatusIDs() []int64 {
	var ids []int64
	for _, s := range m.meta.MS2Statuses {
		ids = append(ids, s.ID)
	}
	for k := range m.cfg.Orders.StatusMap {
		if id, err := strconv.ParseInt(k, 10, 64); err == nil {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

func (m *Mapper) leadsBack(pipeline, status, shop int64) {
	if m.shopStatus[pipeline] == nil {
		m.shopStatus[pipeline] = make(map[int64][]int64)
	}
	if to := m.shopStatus[pipeline][status]; !slices.Contains(to, shop) {
		m.shopStatus[pipeline][status] = append(to, shop)
	}
}

// ShopStatus gives the shop statuses an order may take when its deal
// reaches status in pipeline: none when that status is not mapped there,
// more than one when the mapping back is ambiguous.
func (m *Mapper) ShopStatus(pipeline, status int64) []int64 {
	return m.shopStatus[pipeline][status]
}
