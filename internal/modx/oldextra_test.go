package modx_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/modx"
	"github.com/modx-amocrm/modx-amocrm/internal/modx/modxtest"
	"github.com/modx-amocrm/modx-amocrm/internal/shop"
	"github.com/modx-amocrm/modx-amocrm/internal/testdb"
)

// TestOldExtraLinks reads the link tables of the extra 1.9.3 as its
// package makes them (MyISAM, NOT NULL): keyset pages with form deals,
// and counts.
func TestOldExtraLinks(t *testing.T) {
	o := modxtest.Options{Prefix: "modx_", OldExtra: true, MyISAM: true}
	db, raw := newShop(t, o)
	ctx := context.Background()
	testdb.Exec(t, raw, "INSERT INTO modx_amocrm_leads (`order`, order_id, pipeline_id) VALUES (10, 5001, 77), (0, 5002, 78), (11, 5003, 77), (10, 5009, 77), (12, 0, 77);\n"+
		"INSERT INTO modx_amocrm_users (`user`, user_id) VALUES (3, 9001), (4, 9002)")

	first := must(db.OldDeals(ctx, 0, 2))(t)
	if want := []shop.OldLink{{Row: 1, SourceID: 10, AmoID: 5001, PipelineID: 77}, {Row: 2, SourceID: 0, AmoID: 5002, PipelineID: 78}}; !reflect.DeepEqual(first, want) {
		t.Errorf("first page: got %+v, want %+v", first, want)
	}
	next := must(db.OldDeals(ctx, first[1].Row, 10))(t)
	if want := []shop.OldLink{{Row: 3, SourceID: 11, AmoID: 5003, PipelineID: 77}, {Row: 4, SourceID: 10, AmoID: 5009, PipelineID: 77}}; !reflect.DeepEqual(next, want) {
		t.Errorf("next page: got %+v, want %+v (no row without a deal)", next, want)
	}
	users := must(db.OldContacts(ctx, 0, 10))(t)
	if want := []shop.OldLink{{Row: 1, SourceID: 3, AmoID: 9001}, {Row: 2, SourceID: 4, AmoID: 9002}}; !reflect.DeepEqual(users, want) {
		t.Errorf("contacts: got %+v, want %+v", users, want)
	}
	deals, forms, contacts, err := db.OldLinkCounts(ctx)
	if err != nil || deals != 3 || forms != 1 || contacts != 2 {
		t.Errorf("counts: got %d deals, %d form deals, %d contacts, %v; want 3, 1, 2", deals, forms, contacts, err)
	}
}

// TestOldExtraTables reads its status map and custom fields.
func TestOldExtraTables(t *testing.T) {
	o := modxtest.Options{Prefix: "modx_", OldExtra: true, MyISAM: true}
	db, raw := newShop(t, o)
	ctx := context.Background()
	testdb.Exec(t, raw, "INSERT INTO modx_amocrm_status (status, status_id, pipeline_id) VALUES (2, 20005, 1001), (2, 20015, 1002);\n"+
		"INSERT INTO modx_amocrm_custom_fields (`key`, custom_field_id) VALUES ('goods', 501)")
	statuses := must(db.OldStatuses(ctx))(t)
	if want := []modx.OldStatus{{Status: 2, StatusID: 20005, PipelineID: 1001}, {Status: 2, StatusID: 20015, PipelineID: 1002}}; !reflect.DeepEqual(statuses, want) {
		t.Errorf("statuses: got %+v, want %+v", statuses, want)
	}
	fields := must(db.OldFields(ctx))(t)
	if want := []modx.OldField{{Key: "goods", FieldID: 501}}; !reflect.DeepEqual(fields, want) {
		t.Errorf("fields: got %+v, want %+v", fields, want)
	}
}

func TestOldExtraAbsent(t *testing.T) {
	db, _ := newShop(t, modxtest.Options{Prefix: "modx_"})
	ctx := context.Background()
	if got := must(db.OldDeals(ctx, 0, 10))(t); got != nil {
		t.Errorf("deals: got %+v, want none", got)
	}
	if got := must(db.OldContacts(ctx, 0, 10))(t); got != nil {
		t.Errorf("contacts: got %+v, want none", got)
	}
	if got := must(db.OldStatuses(ctx))(t); got != nil {
		t.Errorf("statuses: got %+v, want none", got)
	}
	if _, on, err := db.OldExtraPluginEnabled(ctx); on || err != nil {
		t.Errorf("plugin: got %v, %v; want off", on, err)
	}
	if q := must(db.OldExtraQueue(ctx))(t); q != (modx.OldQueue{}) {
		t.Errorf("queue: got %+v, want nothing", q)
	}
}

// TestOldExtraStillRunning: the plugin as the package installs it, its
// hook named in a resource, a chunk, a snippet and a template in any case
// (the extra's own snippet, and a resource in the trash, are not uses),
// and its simpleQueue tasks.
func TestOldExtraStillRunning(t *testing.T) {
	o := modxtest.Options{Prefix: "modx_", OldExtra: true, SimpleQueue: true, MyISAM: true}
	db, raw := newShop(t, o)
	ctx := context.Background()
	if installed, on, err := db.OldExtraPluginEnabled(ctx); !installed || !on || err != nil {
		t.Errorf("plugin: got installed %v, enabled %v, %v; want both", installed, on, err)
	}
	put := func(kind, name, code string) int64 {
		t.Helper()
		return must(modxtest.InsertElement(ctx, raw, o, kind, name, code))(t)
	}
	contacts := put(modxtest.InResource, "Контакты", modxtest.FormItCall("amoCRMAddContact,email,FormItSaveForm"))
	put(modxtest.InResource, "О нас", "<p>no form</p>")
	callback := put(modxtest.InChunk, "callbackForm", modxtest.FormItCall("AMOCRMADDCONTACT"))
	ajax := put(modxtest.InSnippet, "ajaxCallback", `return $modx->runSnippet('FormIt', ['hooks' => 'amocrmaddcontact']);`)
	tpl := put(modxtest.InTemplate, "Главная", "[[$callbackForm]] "+modxtest.FormItCall("email,amoCRMAddContact"))
	trash := put(modxtest.InResource, "Старая форма", modxtest.FormItCall("amoCRMAddContact"))
	testdb.Exec(t, raw, "UPDATE modx_site_content SET deleted = 1 WHERE id = "+itoa(trash))

	got := must(db.OldExtraHookUses(ctx))(t)
	want := []modx.Element{
		{Kind: "resource", ID: contacts, Name: "Контакты"},
		{Kind: "chunk", ID: callback, Name: "callbackForm"},
		{Kind: "snippet", ID: ajax, Name: "ajaxCallback"},
		{Kind: "template", ID: tpl, Name: "Главная"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("hook uses: got %+v, want %+v", got, want)
	}

	extra := &modxtest.Extra{DB: raw, Shop: o}
	old := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	for i, at := range []time.Time{old, old.Add(time.Minute)} {
		if err := extra.Queue(ctx, 2, itoa(int64(10+i)), at); err != nil {
			t.Fatal(err)
		}
	}
	testdb.Exec(t, raw, "UPDATE modx_simplequeue_messages SET processed = 1 WHERE subject = '10';\n"+
		"INSERT INTO modx_simplequeue_messages (service, action, subject, properties) VALUES ('other', '1', '', '')")
	q := must(db.OldExtraQueue(ctx))(t)
	if q.Tasks != 2 || q.Waiting != 1 || !q.Newest.Equal(old.Add(time.Minute)) {
		t.Errorf("queue: got %+v, want 2 tasks, 1 waiting, newest %s", q, old.Add(time.Minute))
	}
}

// TestStatusZero: placed orders left at status 0 (miniShop2 4.4.1's #950:
// the order, its address and lines written, no status and no log row) are
// told from orders still being written and from carts, on every generation.
func TestStatusZero(t *testing.T) {
	for _, gen := range []string{modxtest.Gen24, modxtest.Gen30, modxtest.Gen4x} {
		t.Run(gen, func(t *testing.T) {
			o := modxtest.Options{Prefix: "modx_", Generation: gen, MyISAM: true}
			db, raw := newShop(t, o)
			ctx := context.Background()
			now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
			order := func(spec modxtest.OrderSpec) int64 {
				t.Helper()
				return must(modxtest.InsertOrder(ctx, raw, o, spec))(t)
			}
			oldPlaced := order(modxtest.OrderSpec{Unplaced: true, CreatedOn: now.Add(-3 * time.Hour)})
			newPlaced := order(modxtest.OrderSpec{Unplaced: true, CreatedOn: now.Add(-time.Minute)})
			writing := order(modxtest.OrderSpec{Unplaced: true, CreatedOn: now.Add(-2 * time.Second)})
			noLines := order(modxtest.OrderSpec{Unplaced: true, CreatedOn: now.Add(-3 * time.Hour)})
			testdb.Exec(t, raw, "DELETE FROM modx_ms2_order_products WHERE order_id = "+itoa(noLines))
			noAddress := order(modxtest.OrderSpec{Unplaced: true, NoAddress: true, CreatedOn: now.Add(-3 * time.Hour)})
			placed := order(modxtest.OrderSpec{CreatedOn: now.Add(-3 * time.Hour)})

			z := must(db.StatusZero(ctx, now.Add(-5*time.Second)))(t)
			if want := (modx.ZeroOrders{All: 5, Placed: 2}); z != want {
				t.Errorf("StatusZero: got %+v, want %+v", z, want)
			}
			got := must(db.PlacedAtZero(ctx, []int64{oldPlaced, newPlaced, writing, noLines, noAddress, placed}))(t)
			if want := map[int64]bool{oldPlaced: true, newPlaced: true, writing: true}; !reflect.DeepEqual(got, want) {
				t.Errorf("PlacedAtZero: got %v, want %v (settle is the caller's)", got, want)
			}
		})
	}
}

// TestSiteNewStatus: the site facts carry the shop's new-order status.
func TestSiteNewStatus(t *testing.T) {
	o := modxtest.Options{Prefix: "modx_"}
	db, raw := newShop(t, o)
	ctx := context.Background()
	if f := must(db.Site(ctx))(t); f.NewStatus != 1 {
		t.Errorf("new status: got %d, want 1", f.NewStatus)
	}
	if err := modxtest.SetSetting(ctx, raw, o, "ms2_status_new", "6"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Detect(ctx); err != nil {
		t.Fatal(err)
	}
	if f := must(db.Site(ctx))(t); f.NewStatus != 6 {
		t.Errorf("new status: got %d, want 6 from ms2_status_new", f.NewStatus)
	}
}

// TestUsersMarkStaff: users read by the users source say who works in the
// manager.
func TestUsersMarkStaff(t *testing.T) {
	o := modxtest.Options{Prefix: "modx_"}
	db, raw := newShop(t, o)
	ctx := context.Background()
	admin := must(modxtest.InsertUser(ctx, raw, o, modxtest.UserSpec{Username: "admin", Email: "admin@shop.example", Sudo: true}))(t)
	buyer := must(modxtest.InsertUser(ctx, raw, o, modxtest.UserSpec{Email: "buyer@mail.ru"}))(t)
	for _, users := range [][]shop.Customer{must(db.Users(ctx, 0, 10))(t), must(db.UsersByIDs(ctx, []int64{admin, buyer}))(t)} {
		got := map[int64]bool{}
		for _, u := range users {
			got[u.ID] = u.Manager
		}
		if want := map[int64]bool{admin: true, buyer: false}; !reflect.DeepEqual(got, want) {
			t.Errorf("managers: got %v, want %v", got, want)
		}
	}
}
