package apply

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"testing"

	"github.com/modx-amocrm/modx-amocrm/internal/amocrm"
)

// TestSendRefusable runs the refused-batch helper against a fake that
// refuses any request holding a bad item, naming it or not.
func TestSendRefusable(t *testing.T) {
	tests := []struct {
		name    string
		n       int
		bad     []int
		named   bool
		maxReqs int
	}{
		{"all good", 50, nil, false, 1},
		{"named", 50, []int{3, 40}, true, 2},
		{"unnamed one bad", 50, []int{17}, false, 1 + 2*6},
		{"unnamed two bad", 50, []int{0, 49}, false, 1 + 4*6},
		{"unnamed all bad", 4, []int{0, 1, 2, 3}, false, 7},
		{"unnamed single", 1, []int{0}, false, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items := make([]int, tt.n)
			for i := range items {
				items[i] = i
			}
			var sent, refused []int
			requests := 0
			send := func(_ context.Context, batch []int) error {
				requests++
				verr := &amocrm.ValidationError{Items: map[string][]amocrm.ItemError{}}
				for i, it := range batch {
					if slices.Contains(tt.bad, it) {
						key := ""
						if tt.named {
							key = strconv.Itoa(i)
						}
						verr.Items[key] = append(verr.Items[key], amocrm.ItemError{Path: "price", Detail: "negative"})
					}
				}
				if len(verr.Items) > 0 {
					return verr
				}
				sent = append(sent, batch...)
				return nil
			}
			err := sendRefusable(context.Background(), items, send, never[int], func(it int, _ []amocrm.ItemError, reason string) {
				refused = append(refused, it)
				if reason == "" {
					t.Errorf("item %d refused with no reason", it)
				}
			})
			if err != nil {
				t.Fatal(err)
			}
			slices.Sort(refused)
			if fmt.Sprint(refused) != fmt.Sprint(tt.bad) && !(len(refused) == 0 && len(tt.bad) == 0) {
				t.Errorf("refused: got %v, want %v", refused, tt.bad)
			}
			if len(sent)+len(refused) != tt.n {
				t.Errorf("sent %d and refused %d of %d", len(sent), len(refused), tt.n)
			}
			if requests > tt.maxReqs {
				t.Errorf("requests: got %d, want at most %d", requests, tt.maxReqs)
			}
		})
	}
}

func TestSendRefusablePassesOtherErrors(t *testing.T) {
	err := sendRefusable(context.Background(), []int{1, 2}, func(context.Context, []int) error { return amocrm.ErrOutcomeUnknown },
		never[int], func(int, []amocrm.ItemError, string) { t.Error("refused on a non-validation error") })
	if !errors.Is(err, amocrm.ErrOutcomeUnknown) {
		t.Errorf("got %v, want ErrOutcomeUnknown", err)
	}
}
