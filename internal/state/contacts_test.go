package state_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/modx-amocrm/modx-amocrm/internal/state"
)

func TestContactKeys(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	if err := s.PutContactKeys(ctx, map[string]int64{
		"phone:79991234567":    1,
		"email:a@b.ru":         1,
		"email:иван@пример.рф": 2,
	}, "account"); err != nil {
		t.Fatalf("PutContactKeys: %v", err)
	}
	commit(t, s, func(tx *state.Tx) error {
		return tx.PutContactKeys(map[string]int64{"email:a@b.ru": 3}, "sync")
	})
	got, err := s.LookupContacts(ctx, []string{"phone:79991234567", "email:a@b.ru", "email:иван@пример.рф", "email:A@b.ru", "phone:1"})
	if err != nil {
		t.Fatalf("LookupContacts: %v", err)
	}
	want := map[string]int64{"phone:79991234567": 1, "email:a@b.ru": 3, "email:иван@пример.рф": 2}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("LookupContacts = %v, want %v (keys match exactly)", got, want)
	}
	if err := s.PutContactKeys(ctx, map[string]int64{"email:" + strings.Repeat("x", 200): 1}, "sync"); err == nil {
		t.Errorf("PutContactKeys of a 206-character key: no error")
	}
}

// A batch larger than one upsert and one IN list.
func TestContactKeys_Many(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	keys := make(map[string]int64)
	var list []string
	for i := range 1700 {
		k := fmt.Sprintf("phone:7999%07d", i)
		keys[k] = int64(i + 1)
		list = append(list, k)
	}
	if err := s.PutContactKeys(ctx, keys, "account"); err != nil {
		t.Fatalf("PutContactKeys: %v", err)
	}
	got, err := s.LookupContacts(ctx, list)
	if err != nil {
		t.Fatalf("LookupContacts: %v", err)
	}
	if len(got) != len(keys) || got["phone:79990001699"] != 1700 {
		t.Errorf("LookupContacts found %d of %d, last = %d", len(got), len(keys), got["phone:79990001699"])
	}
}
