package modx_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/modx/modxtest"
)

func TestUsers(t *testing.T) {
	o := modxtest.Options{Prefix: "modx_"}
	db, raw := newShop(t, o)
	ctx := context.Background()
	ext := `{"amoCRMFields":{"position":"CEO"}}`
	a := must(modxtest.InsertUser(ctx, raw, o, modxtest.UserSpec{Username: "a@x.ru", Email: "a@x.ru", Extended: &ext, Blocked: true}))(t)
	b := must(modxtest.InsertUser(ctx, raw, o, modxtest.UserSpec{NoProfile: true, Inactive: true}))(t)
	c := must(modxtest.InsertUser(ctx, raw, o, modxtest.UserSpec{Phone: "8 (900) 000-00-00", ClassKey: `MODX\Revolution\modUser`}))(t)

	var got []int64
	for after := int64(0); ; {
		page := must(db.Users(ctx, after, 2))(t)
		if len(page) == 0 {
			break
		}
		for _, u := range page {
			got = append(got, u.ID)
		}
		after = page[len(page)-1].ID
	}
	if want := []int64{a, b, c}; !reflect.DeepEqual(got, want) {
		t.Errorf("keyset ids: got %v, want %v", got, want)
	}

	users := must(db.UsersByIDs(ctx, []int64{c, a, 404}))(t)
	if len(users) != 2 || users[0].ID != a || users[1].ID != c {
		t.Fatalf("by ids: got %+v", users)
	}
	if u := users[0]; string(u.Extended) != ext || !u.Blocked || !u.Active || !u.CreatedOn.Equal(modxtest.DefaultTime) {
		t.Errorf("user a: got %+v", u)
	}
	if u := users[1]; u.Username != "user"+itoa(c) || u.Phone != "8 (900) 000-00-00" || u.Extended != nil {
		t.Errorf("user c: got %+v", u)
	}
	noProfile := must(db.UsersByIDs(ctx, []int64{b}))(t)
	if len(noProfile) != 1 || noProfile[0].Active || noProfile[0].Email != "" {
		t.Errorf("user without profile: got %+v", noProfile)
	}
}

func TestRecentlyEditedUsers(t *testing.T) {
	o := modxtest.Options{Prefix: "modx_"}
	db, raw := newShop(t, o)
	ctx := context.Background()
	moscow, _ := time.LoadLocation("Europe/Moscow")
	since := time.Date(2025, 5, 1, 12, 0, 0, 0, moscow)
	entries := []struct {
		action, class string
		item          int64
		at            time.Time
	}{
		{"user_update", "modUser", 7, since},
		{"save_profile", `MODX\Revolution\modUser`, 8, since.Add(time.Hour)},
		{"user_create", "modUser", 9, since.Add(-time.Second)}, // too early
		{"resource_update", "modResource", 10, since.Add(time.Hour)},
		{"user_update", "modUser", 7, since.Add(2 * time.Hour)},
	}
	for _, e := range entries {
		// manager_log.occurred is a wall clock in the shop's zone, as the fixture writes it.
		if err := modxtest.InsertManagerLog(ctx, raw, o, e.action, e.class, e.item, e.at); err != nil {
			t.Fatal(err)
		}
	}
	got := must(db.RecentlyEditedUsers(ctx, since.UTC()))(t)
	if want := []int64{7, 8}; !sameSet(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func sameSet(a, b []int64) bool {
	seen := map[int64]int{}
	for _, v := range a {
		seen[v]++
	}
	for _, v := range b {
		seen[v]--
	}
	for _, n := range seen {
		if n != 0 {
			return false
		}
	}
	return len(a) == len(b)
}
