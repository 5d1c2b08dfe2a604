package transform

import (
	"testing"

	"github.com/modx-amocrm/modx-amocrm/internal/config"
)

func TestHash(t *testing.T) {
	cfg := testConfig()
	cfg.Orders.StatusMap = map[string]config.IDRef{"2": named("Оплачен"), "3": ref(142), "4": ref(143)}
	var first string
	for i := 0; i < 20; i++ { // fresh maps each time: iteration order varies
		d, err := newTestMapper(t, cfg, testMeta()).Order(testOrder())
		if err != nil {
			t.Fatalf("Order: %v", err)
		}
		h, err := Hash(d.Lead)
		if err != nil {
			t.Fatalf("Hash: %v", err)
		}
		if i == 0 {
			first = h
		} else if h != first {
			t.Fatalf("run %d: hash %s, want %s", i, h, first)
		}
	}
	a, _ := Hash(map[string]int{"a": 1, "b": 2})
	b, _ := Hash(map[string]int{"b": 2, "a": 1})
	c, _ := Hash(map[string]int{"a": 1, "b": 3})
	if a != b || a == c {
		t.Errorf("hash of equal maps %s/%s, of a different one %s", a, b, c)
	}
	if _, err := Hash(make(chan int)); err == nil {
		t.Error("Hash(chan) succeeded")
	}
}
