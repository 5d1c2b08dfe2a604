package state_test

import (
	"context"
	"slices"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/modx-amocrm/modx-amocrm/internal/state"
	"github.com/modx-amocrm/modx-amocrm/internal/testdb"
)

type column struct {
	Table    string `db:"table_name"`
	Name     string `db:"column_name"`
	Type     string `db:"column_type"`
	Nullable string `db:"is_nullable"`
	Key      string `db:"column_key"`
}

func columns(t *testing.T, db *sqlx.DB) []column {
	t.Helper()
	var cols []column
	if err := db.Select(&cols, `SELECT table_name AS table_name, column_name AS column_name, column_type AS column_type,
		is_nullable AS is_nullable, column_key AS column_key
		FROM information_schema.columns WHERE table_schema = DATABASE() ORDER BY table_name, ordinal_position`); err != nil {
		t.Fatalf("read columns: %v", err)
	}
	return cols
}

func applied(t *testing.T, db *sqlx.DB) int {
	t.Helper()
	var n int
	if err := db.Get(&n, `SELECT COUNT(*) FROM amocrm_sync_schema_migrations`); err != nil {
		t.Fatalf("count applied migrations: %v", err)
	}
	return n
}

func TestMigrate_Twice(t *testing.T) {
	db, _ := testdb.New(t)
	ctx := context.Background()
	s, err := state.Open(db, prefix)
	if err != nil {
		t.Fatal(err)
	}
	before, err := s.PendingMigrations(ctx)
	if err != nil {
		t.Fatalf("PendingMigrations before: %v", err)
	}
	if len(before) == 0 || before[0] != 1 {
		t.Fatalf("PendingMigrations on an empty database = %v, want [1 ...]", before)
	}
	for i := range 2 {
		if err := s.Migrate(ctx); err != nil {
			t.Fatalf("Migrate #%d: %v", i+1, err)
		}
	}
	if after, err := s.PendingMigrations(ctx); err != nil || len(after) != 0 {
		t.Fatalf("PendingMigrations after = %v, %v; want none", after, err)
	}
	if got := applied(t, db); got != len(before) {
		t.Errorf("schema_migrations has %d rows, want %d", got, len(before))
	}
}

// A migration whose ALTER ran but whose schema_migrations row was never
// written (a crash between the two: DDL commits on its own) is applied
// again without an error.
func TestMigrate_InterruptedAlter(t *testing.T) {
	db, _ := testdb.New(t)
	ctx := context.Background()
	s, err := state.Open(db, prefix)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	want := columns(t, db)
	if _, err := db.Exec(`DELETE FROM amocrm_sync_schema_migrations WHERE version = 2`); err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("Migrate after an interrupted ALTER: %v", err)
	}
	if got := columns(t, db); !slices.Equal(got, want) {
		t.Errorf("schema after the second Migrate:\n got %v\nwant %v", got, want)
	}
	if after, err := s.PendingMigrations(ctx); err != nil || len(after) != 0 {
		t.Errorf("PendingMigrations = %v, %v; want none", after, err)
	}
}

// Two processes (separate pools) migrating one database at once end with the
// same schema as a single migration, and neither fails.
func TestMigrate_Concurrent(t *testing.T) {
	ctx := context.Background()
	ref, _ := testdb.New(t)
	rs, err := state.Open(ref, prefix)
	if err != nil {
		t.Fatal(err)
	}
	if err := rs.Migrate(ctx); err != nil {
		t.Fatalf("reference Migrate: %v", err)
	}
	want := columns(t, ref)

	_, dsn := testdb.New(t)
	errs := inProcesses(t, dsn, 2, func(_ int, s *state.Store) error { return s.Migrate(ctx) })
	for i, err := range errs {
		if err != nil {
			t.Errorf("Migrate in process %d: %v", i, err)
		}
	}
	_, db := openStore(t, dsn)
	if got := columns(t, db); !slices.Equal(got, want) {
		t.Errorf("schema after concurrent migrations:\n got %v\nwant %v", got, want)
	}
	if got, want := applied(t, db), applied(t, ref); got != want {
		t.Errorf("schema_migrations has %d rows after concurrent migrations, want %d", got, want)
	}
}

// Stores with different prefixes share a database without touching each other.
func TestMigrate_Prefixes(t *testing.T) {
	db, _ := testdb.New(t)
	ctx := context.Background()
	for _, p := range []string{"a_", "b_"} {
		s, err := state.Open(db, p)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Migrate(ctx); err != nil {
			t.Fatalf("Migrate %s: %v", p, err)
		}
	}
	var n int
	if err := db.Get(&n, `SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name LIKE 'b\_%'`); err != nil {
		t.Fatal(err)
	}
	if want := 12; n != want { // 11 state tables + schema_migrations
		t.Errorf("tables with prefix b_ = %d, want %d", n, want)
	}
}
