package modx_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/modx-amocrm/modx-amocrm/internal/modx"
	"github.com/modx-amocrm/modx-amocrm/internal/modx/modxtest"
	"github.com/modx-amocrm/modx-amocrm/internal/shop"
	"github.com/modx-amocrm/modx-amocrm/internal/testdb"
)

func TestOldExtra(t *testing.T) {
	o := modxtest.Options{Prefix: "modx_", OldExtra: true, MyISAM: true}
	db, raw := newShop(t, o)
	ctx := context.Background()
	testdb.Exec(t, raw, "INSERT INTO modx_amocrm_leads (`order`, order_id, pipeline_id) VALUES (10, 5001, 77), (0, 5002, 77), (11, 5003, NULL);\n"+
		"INSERT INTO modx_amocrm_users (`user`, user_id) VALUES (3, 9001);\n"+
		"INSERT INTO modx_amocrm_status (status, status_id, pipeline_id) VALUES (2, 142, 77)")

	leads := must(db.OldLeads(ctx))(t)
	if want := []shop.OldLink{{SourceID: 10, AmoID: 5001, PipelineID: 77}, {SourceID: 11, AmoID: 5003}}; !reflect.DeepEqual(leads, want) {
		t.Errorf("leads: got %+v, want %+v", leads, want)
	}
	users := must(db.OldUsers(ctx))(t)
	if want := []shop.OldLink{{SourceID: 3, AmoID: 9001}}; !reflect.DeepEqual(users, want) {
		t.Errorf("users: got %+v, want %+v", users, want)
	}
	statuses := must(db.OldStatuses(ctx))(t)
	if want := []modx.OldStatus{{Status: 2, StatusID: 142, PipelineID: 77}}; !reflect.DeepEqual(statuses, want) {
		t.Errorf("statuses: got %+v, want %+v", statuses, want)
	}
}

func TestOldExtraAbsent(t *testing.T) {
	db, _ := newShop(t, modxtest.Options{Prefix: "modx_"})
	ctx := context.Background()
	if got := must(db.OldLeads(ctx))(t); got != nil {
		t.Errorf("leads: got %+v, want none", got)
	}
	if got := must(db.OldStatuses(ctx))(t); got != nil {
		t.Errorf("statuses: got %+v, want none", got)
	}
}
