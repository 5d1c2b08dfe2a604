// Package state keeps modx-amocrm's own bookkeeping in MySQL/MariaDB:
// watermarks, links to amoCRM entities, pending creates, waiting rows, the
// contact index, parked failures, OAuth tokens and small meta values. The
// tables come from the numbered migrations in sql/.
package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// ErrBadPrefix is returned by Open for a table prefix that is not a plain identifier.
var ErrBadPrefix = errors.New("invalid state table prefix")

// A prefix goes into SQL unquoted, so only identifier characters are allowed,
// and no leading digit ("1e5links" parses as a number followed by a word).
var prefixRE = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_]{0,39})?$`)

// DefaultMaxAttempts is how many times a parked record is retried automatically.
const DefaultMaxAttempts = 5

// Store is the state database. It is safe for concurrent use.
type Store struct {
	db          *sqlx.DB
	prefix      string
	tables      *strings.Replacer
	migrations  []migration
	maxAttempts int
	now         func() time.Time
	log         *slog.Logger
}

// Option configures a Store.
type Option func(*Store)

// WithMaxAttempts sets after how many failed attempts a parked record stops
// being retried automatically (sync.max_attempts). Values below 1 are ignored.
func WithMaxAttempts(n int) Option {
	return func(s *Store) {
		if n > 0 {
			s.maxAttempts = n
		}
	}
}

// WithLogger sets where the store says which migrations it applied;
// the default discards it.
func WithLogger(l *slog.Logger) Option {
	return func(s *Store) { s.log = l }
}

// WithClock replaces time.Now, for tests.
func WithClock(now func() time.Time) Option {
	return func(s *Store) { s.now = now }
}

// Open returns a Store on db with tables named prefix+name. It does not touch
// the database; call Migrate before use.
func Open(db *sqlx.DB, prefix string, opts ...Option) (*Store, error) {
	if !prefixRE.MatchString(prefix) {
		return nil, fmt.Errorf("%w %q: want letters, digits and _ (not starting with a digit), at most 40", ErrBadPrefix, prefix)
	}
	migs, err := loadMigrations(migrationFiles)
	if err != nil {
		return nil, err
	}
	s := &Store{
		db:          db,
		prefix:      prefix,
		tables:      strings.NewReplacer("{{prefix}}", prefix),
		migrations:  migs,
		maxAttempts: DefaultMaxAttempts,
		now:         time.Now,
		log:         slog.New(slog.DiscardHandler),
	}
	for _, o := range opts {
		o(s)
	}
	return s, nil
}

// q expands {{prefix}} in a query.
func (s *Store) q(query string) string { return s.tables.Replace(query) }

// clock returns the current time in UTC with the microsecond precision of DATETIME(6).
func (s *Store) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// getOptional reads one value; ok is false when the query finds no row.
// selectIn reads the rows of query, whose last parameter is an IN (?)
// list, one statement per inChunk of ids; lead are the parameters before
// the list.
func selectIn[T, K any](ctx context.Context, s *Store, what, query string, ids []K, lead ...any) ([]T, error) {
	var out []T
	for chunk := range slices.Chunk(ids, inChunk) {
		q, args, err := sqlx.In(s.q(query), append(slices.Clone(lead), chunk)...)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		var rows []T
		if err := s.db.SelectContext(ctx, &rows, q, args...); err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		out = append(out, rows...)
	}
	return out, nil
}

func getOptional[T any](ctx context.Context, q sqlx.QueryerContext, query string, args ...any) (v T, ok bool, err error) {
	err = sqlx.GetContext(ctx, q, &v, query, args...)
	if errors.Is(err, sql.ErrNoRows) {
		return v, false, nil
	}
	return v, err == nil, err
}
