package modx_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/modx-amocrm/modx-amocrm/internal/modx"
	"github.com/modx-amocrm/modx-amocrm/internal/modx/modxtest"
	"github.com/modx-amocrm/modx-amocrm/internal/testdb"
)

// newShop creates a MODX database of the given shape and opens it.
func newShop(t *testing.T, o modxtest.Options) (*modx.DB, *sqlx.DB) {
	t.Helper()
	raw, dsn := createShop(t, o)
	return open(t, dsn, modx.Options{Prefix: o.Prefix}), raw
}

// createShop creates a MODX database of the given shape.
func createShop(t testing.TB, o modxtest.Options) (*sqlx.DB, string) {
	t.Helper()
	raw, dsn := testdb.New(t)
	if err := modxtest.Create(context.Background(), raw, o); err != nil {
		t.Fatal(err)
	}
	return raw, dsn
}

func open(t testing.TB, dsn string, opts modx.Options) *modx.DB {
	t.Helper()
	db, err := modx.Open(context.Background(), dsn, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func itoa(id int64) string { return strconv.FormatInt(id, 10) }

// must returns v, failing the test given to the returned func on err:
// must(db.Detect(ctx))(t).
func must[T any](v T, err error) func(*testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}
