package transform

import (
	"slices"
	"strings"
	"testing"

	"github.com/modx-amocrm/modx-amocrm/internal/config"
	"github.com/modx-amocrm/modx-amocrm/internal/crm"
)

func TestShopStatus(t *testing.T) {
	type move struct {
		pipeline, status int64
		want             []int64
	}
	tests := []struct {
		name      string
		shopMap   map[string]int64
		statusMap map[string]config.IDRef
		moves     []move
	}{
		{
			name:    "shop_status.map, names resolved in each pipeline",
			shopMap: map[string]int64{"Оплачен": 2, "142": 3, "Отправлен": 3, "143": 4},
			moves: []move{
				{plMain, plMain + 3, []int64{2}}, {plWholesale, plWholesale + 3, []int64{2}},
				{plMain, crm.StatusWon, []int64{3}}, {plMain, plMain + 4, []int64{3}},
				{plSite, crm.StatusLost, []int64{4}}, {plMain, plMain + 2, nil},
			},
		},
		{
			name:      "empty map: the orders mapping backwards, the site pipeline by name",
			statusMap: map[string]config.IDRef{"2": {Name: "Оплачен"}, "3": {ID: crm.StatusWon}},
			moves: []move{
				{plMain, plMain + 3, []int64{2}}, {plWholesale, crm.StatusWon, []int64{3}},
				{plSite, plSite + 2, []int64{1}}, {plSite, plSite + 3, []int64{2}},
				{plMain, plMain + 2, nil}, {plSite, plSite + 4, nil}, // shop status 3 goes to 142, not to "Отправлен"
			},
		},
		{
			name:      "a name and an id of one status: ambiguous, both kept",
			statusMap: map[string]config.IDRef{"2": {Name: "Оплачен"}, "3": {ID: plMain + 3}},
			moves:     []move{{plMain, plMain + 3, []int64{2, 3}}, {plWholesale, plWholesale + 3, []int64{2}}},
		},
		{
			name:    "two amoCRM statuses to one shop status",
			shopMap: map[string]int64{"Оплачен": 2, "Отправлен": 2},
			moves:   []move{{plMain, plMain + 3, []int64{2}}, {plMain, plMain + 4, []int64{2}}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.ShopStatus = config.ShopStatus{Enabled: true, Map: tc.shopMap}
			cfg.Orders.StatusMap = tc.statusMap
			meta := testMeta()
			meta.SitePipelineID = plSite
			m := newTestMapper(t, cfg, meta)
			for _, mv := range tc.moves {
				got := m.ShopStatus(mv.pipeline, mv.status)
				slices.Sort(got)
				if !slices.Equal(got, mv.want) {
					t.Errorf("status %d of pipeline %d: got shop statuses %v, want %v", mv.status, mv.pipeline, got, mv.want)
				}
			}
		})
	}
}

func TestShopStatusOffOrUnknown(t *testing.T) {
	cfg := testConfig()
	cfg.ShopStatus.Map = map[string]int64{"Оплачен": 2}
	if got := newTestMapper(t, cfg, testMeta()).ShopStatus(plMain, plMain+3); got != nil {
		t.Errorf("shop_status off: got %v, want nothing mapped", got)
	}
	cfg.ShopStatus = config.ShopStatus{Enabled: true, Map: map[string]int64{"Доставлен": 3}}
	_, err := NewMapper(cfg, testMeta())
	if err == nil || !strings.Contains(err.Error(), `shop_status.map."Доставлен": no status named "Доставлен"`) {
		t.Errorf("unknown status: got %v, want an error naming the key", err)
	}
}
