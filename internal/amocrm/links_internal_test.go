package amocrm

import (
	"fmt"
	"testing"

	"github.com/modx-amocrm/modx-amocrm/internal/crm"
)

func TestChunkByDeal(t *testing.T) {
	var links []crm.Link
	for deal, n := range []int{2, 3, 7, 1} {
		for range n {
			links = append(links, crm.Link{EntityID: int64(deal + 1)})
		}
	}
	var got []string
	for _, c := range chunkByDeal(links, 4) {
		got = append(got, fmt.Sprintf("%d links, deals %v", len(c.links), c.deals))
	}
	// Deal 3's seven links do not fit one request: its first four go alone,
	// the rest with the deal after it.
	want := []string{"2 links, deals [1]", "3 links, deals [2]", "4 links, deals []", "4 links, deals [3 4]"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("chunks = %v, want %v", got, want)
	}
}
