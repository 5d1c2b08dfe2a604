package state

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jmoiron/sqlx"

	sqlfiles "github.com/modx-amocrm/modx-amocrm/sql"
)

// ErrMigrationLocked is returned by Migrate when another process held the
// migration lock for longer than lockWait.
var ErrMigrationLocked = errors.New("state migration lock held by another process")

var migrationFiles fs.FS = sqlfiles.Migrations

// lockWait is the GET_LOCK timeout in seconds.
const lockWait = 30

const createMigrationsTable = `CREATE TABLE IF NOT EXISTS {{prefix}}schema_migrations (
  version    INT         NOT NULL,
  applied_at DATETIME(6) NOT NULL,
  PRIMARY KEY (version)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`

type migration struct {
	version    int
	name       string
	statements []string
}

// loadMigrations reads NNNN_name.sql files from fsys, ordered by version.
func loadMigrations(fsys fs.FS) ([]migration, error) {
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, fmt.Errorf("list migrations: %w", err)
	}
	var migs []migration
	for _, name := range names {
		num, _, ok := strings.Cut(path.Base(name), "_")
		version, err := strconv.Atoi(num)
		if !ok || err != nil || version < 1 {
			return nil, fmt.Errorf("migration %s: name must be NNNN_description.sql", name)
		}
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", name, err)
		}
		migs = append(migs, migration{version: version, name: name, statements: splitStatements(string(body))})
	}
	slices.SortFunc(migs, func(a, b migration) int { return a.version - b.version })
	for i := 1; i < len(migs); i++ {
		if migs[i].version == migs[i-1].version {
			return nil, fmt.Errorf("migrations %s and %s share version %d", migs[i-1].name, migs[i].name, migs[i].version)
		}
	}
	return migs, nil
}

// splitStatements cuts a script at semicolons ending a line and drops
// comment-only chunks: the driver runs one statement per call.
func splitStatements(script string) []string {
	var stmts []string
	for _, chunk := range strings.Split(strings.ReplaceAll(script, "\r\n", "\n"), ";\n") {
		var lines []string
		for _, line := range strings.Split(chunk, "\n") {
			if t := strings.TrimSpace(line); t != "" && !strings.HasPrefix(t, "--") {
				lines = append(lines, line)
			}
		}
		if stmt := strings.TrimSuffix(strings.TrimSpace(strings.Join(lines, "\n")), ";"); stmt != "" {
			stmts = append(stmts, stmt)
		}
	}
	return stmts
}

// Migrate applies the pending migrations. Concurrent callers, in this process
// or others, serialise on a named lock held by one pinned session; the applied
// versions are read again under the lock, so each migration runs once.
func (s *Store) Migrate(ctx context.Context) (err error) {
	conn, err := s.db.Connx(ctx)
	if err != nil {
		return fmt.Errorf("migrate state: connect: %w", err)
	}
	defer conn.Close()
	unlock, err := s.lock(ctx, conn)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, unlock()) }()

	if _, err := conn.ExecContext(ctx, s.q(createMigrationsTable)); err != nil {
		return fmt.Errorf("create %sschema_migrations: %w", s.prefix, err)
	}
	applied, err := s.appliedVersions(ctx, conn)
	if err != nil {
		return err
	}
	for _, m := range s.migrations {
		if applied[m.version] {
			continue
		}
		for _, stmt := range m.statements {
			if _, err := conn.ExecContext(ctx, s.q(stmt)); err != nil && !alreadyDone(err) {
				return fmt.Errorf("migration %s: %w", m.name, err)
			}
		}
		if _, err := conn.ExecContext(ctx, s.q(`INSERT INTO {{prefix}}schema_migrations (version, applied_at) VALUES (?, ?)`),
			m.version, s.clock()); err != nil {
			return fmt.Errorf("record migration %s: %w", m.name, err)
		}
		s.log.InfoContext(ctx, "state migration applied", "version", m.version, "name", m.name)
	}
	return nil
}

// MySQL errors of a statement that adds what is already there.
const (
	errDupColumn = 1060 // ER_DUP_FIELDNAME
	errDupKey    = 1061 // ER_DUP_KEYNAME
)

// alreadyDone reports an ALTER TABLE that adds a column or an index an
// interrupted run already added: DDL commits on its own, so a crash between
// it and the schema_migrations row leaves it applied but not recorded, and
// MySQL 8 has no ADD COLUMN IF NOT EXISTS.
func alreadyDone(err error) bool {
	var me *mysql.MySQLError
	return errors.As(err, &me) && (me.Number == errDupColumn || me.Number == errDupKey)
}

// PendingMigrations returns the versions not applied yet, in order (for check).
func (s *Store) PendingMigrations(ctx context.Context) ([]int, error) {
	var n int
	if err := s.db.GetContext(ctx, &n, `SELECT COUNT(*) FROM information_schema.tables
		WHERE table_schema = DATABASE() AND table_name = ?`, s.prefix+"schema_migrations"); err != nil {
		return nil, fmt.Errorf("find %sschema_migrations: %w", s.prefix, err)
	}
	applied := map[int]bool{}
	if n > 0 {
		var err error
		if applied, err = s.appliedVersions(ctx, s.db); err != nil {
			return nil, err
		}
	}
	var pending []int
	for _, m := range s.migrations {
		if !applied[m.version] {
			pending = append(pending, m.version)
		}
	}
	return pending, nil
}

func (s *Store) appliedVersions(ctx context.Context, q sqlx.QueryerContext) (map[int]bool, error) {
	var versions []int
	if err := sqlx.SelectContext(ctx, q, &versions, s.q(`SELECT version FROM {{prefix}}schema_migrations`)); err != nil {
		return nil, fmt.Errorf("read applied migrations: %w", err)
	}
	applied := make(map[int]bool, len(versions))
	for _, v := range versions {
		applied[v] = true
	}
	return applied, nil
}

// lock takes the migration lock on conn and returns its release. The name is
// per database and prefix, so two stores sharing a server do not wait on each other.
func (s *Store) lock(ctx context.Context, conn *sqlx.Conn) (func() error, error) {
	var schema sql.NullString
	if err := conn.GetContext(ctx, &schema, `SELECT DATABASE()`); err != nil {
		return nil, fmt.Errorf("migrate state: current database: %w", err)
	}
	if !schema.Valid {
		return nil, errors.New("migrate state: the state DSN selects no database")
	}
	sum := sha256.Sum256([]byte(schema.String + "\x00" + s.prefix))
	name := "modx-amocrm-migrate-" + hex.EncodeToString(sum[:8])

	var got sql.NullInt64
	if err := conn.GetContext(ctx, &got, `SELECT GET_LOCK(?, ?)`, name, lockWait); err != nil {
		return nil, fmt.Errorf("get migration lock %s: %w", name, err)
	}
	switch {
	case !got.Valid:
		return nil, fmt.Errorf("get migration lock %s: server returned NULL", name)
	case got.Int64 != 1:
		return nil, fmt.Errorf("%w (%s, waited %ds)", ErrMigrationLocked, name, lockWait)
	}
	return func() error {
		// Release even when ctx is done: the session goes back to the pool.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if _, err := conn.ExecContext(rctx, `SELECT RELEASE_LOCK(?)`, name); err != nil {
			// Drop the session instead, so the lock ends with it rather than idling in the pool.
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
			return fmt.Errorf("release migration lock %s: %w", name, err)
		}
		return nil
	}, nil
}

var createTableRE = regexp.MustCompile(`(?i)^CREATE TABLE (?:IF NOT EXISTS )?\{\{prefix\}\}(\w+)`)

// Tables names, without the prefix, every table the migrations create:
// what the state's account must be granted on when the state shares the
// MODX schema (`modx-amocrm grants`).
func Tables() ([]string, error) {
	migs, err := loadMigrations(migrationFiles)
	if err != nil {
		return nil, err
	}
	names := []string{createTableRE.FindStringSubmatch(createMigrationsTable)[1]}
	for _, m := range migs {
		for _, stmt := range m.statements {
			if sub := createTableRE.FindStringSubmatch(stmt); sub != nil && !slices.Contains(names, sub[1]) {
				names = append(names, sub[1])
			}
		}
	}
	slices.Sort(names)
	return names, nil
}
