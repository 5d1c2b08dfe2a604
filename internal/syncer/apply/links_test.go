package apply

import (
	"fmt"
	"testing"

	"github.com/modx-amocrm/modx-amocrm/internal/crm"
	"github.com/modx-amocrm/modx-amocrm/internal/plan"
)

// TestLinkChunks: requests hold at most size links, a deal's links never
// split; a deal with more than size goes alone.
func TestLinkChunks(t *testing.T) {
	deal := func(id int64, links int) *plan.Deal {
		return &plan.Deal{ID: id, Products: &plan.Products{Send: make([]crm.Link, links)}}
	}
	tests := []struct {
		links []int
		want  string
	}{
		{[]int{3, 3, 3}, "[1 2 3]"},
		{[]int{4, 4, 3}, "[1 2] [3]"},
		{[]int{12, 1, 10}, "[1] [2] [3]"},
		{[]int{2, 12, 2}, "[1] [2] [3]"},
		{nil, ""},
	}
	for _, tt := range tests {
		var ds []*plan.Deal
		for i, n := range tt.links {
			ds = append(ds, deal(int64(i+1), n))
		}
		got := ""
		products := func(d *plan.Deal) ([]crm.Link, *bool, *string) {
			return d.Products.Send, &d.Products.Linked, &d.Products.Refused
		}
		for i, chunk := range linkChunks(ds, 10, products) {
			if i > 0 {
				got += " "
			}
			var ids []int64
			for _, d := range chunk {
				ids = append(ids, d.ID)
			}
			got += fmt.Sprint(ids)
		}
		if got != tt.want {
			t.Errorf("links %v: chunks %s, want %s", tt.links, got, tt.want)
		}
	}
}
