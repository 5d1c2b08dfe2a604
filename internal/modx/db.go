// Package modx reads a MODX database and its shop (miniShop2 on MODX 2,
// MiniShop3 on MODX 3): orders, status logs, FormIt forms, users, settings
// and the old amoCRM extra's link tables. Both shops give the same records,
// so nothing downstream knows which one they came from. Its one write to
// MODX's own tables is an order's status (statuswrite.go), made only with
// [shop_status] on. Every query names its columns and is built from the
// detected schema, because real shops differ (three miniShop2 generations,
// MiniShop3's renamed tables and columns, custom and missing columns,
// prefixes without "_").
package modx

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"sync"
	"sync/atomic"
	"time"
	_ "time/tzdata" // the shop's zone comes from Go's tz database, not the server's

	"github.com/go-sql-driver/mysql"
	"github.com/jmoiron/sqlx"
)

// DefaultQueryTimeout bounds every query when Options.QueryTimeout is zero.
const DefaultQueryTimeout = 30 * time.Second

// MaxOpenConns caps the sessions a DB holds: a daemon next to a shop's
// database should stay a small client.
const MaxOpenConns = 4

// Options tune Open.
type Options struct {
	// Prefix is the MODX table prefix, e.g. "modx_"; it may lack the
	// trailing "_" ("modx_partners" gives "modx_partnersms2_orders").
	Prefix string
	// Password, when set, replaces the DSN's password.
	Password string
	// Location is the IANA zone of the shop's DATETIMEs ("Europe/Moscow").
	// Empty: MODX's date_timezone setting, else measured (see Zone).
	Location string
	// Shop is ShopAuto (or ""), ShopMiniShop2 or ShopMiniShop3: which
	// shop's tables the orders are read from.
	Shop string
	// QueryTimeout bounds each query; zero means DefaultQueryTimeout.
	QueryTimeout time.Duration
}

// DB is a connection to one MODX database.
type DB struct {
	sql      *sqlx.DB
	prefix   string
	shop     string
	location string // Options.Location
	zone     atomic.Pointer[Zone]
	timeout  time.Duration

	mu     sync.Mutex
	schema *Schema
	// known is what information_schema said of the tables readers may
	// touch, read once for the process (tables); a query that finds a
	// table or column missing drops it, so the next Detect reads it again.
	known   map[string]*Table
	parents map[int64]int64 // site_content id -> parent, see categories.go
	// accounts are the account facts of users already looked at in this
	// pass (accounts.go): a shared account or a manager with many orders
	// would otherwise be counted again for every page of orders.
	accounts map[int64]accountFacts
}

var prefixPattern = regexp.MustCompile(`^[A-Za-z0-9_]*$`)

// ErrBadPrefix is returned for a table prefix that is not a plain identifier.
var ErrBadPrefix = errors.New("table prefix may hold only letters, digits and _")

// Open connects to the MODX database and resolves the shop's time zone.
// Connection problems are reported here, not at the first read.
func Open(ctx context.Context, dsn string, opts Options) (*DB, error) {
	if !prefixPattern.MatchString(opts.Prefix) {
		return nil, fmt.Errorf("table prefix %q: %w", opts.Prefix, ErrBadPrefix)
	}
	switch opts.Shop {
	case "", ShopAuto, ShopMiniShop2, ShopMiniShop3:
	default:
		return nil, fmt.Errorf("shop %q: %w", opts.Shop, ErrBadShop)
	}
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		// The driver's message does not echo the DSN, which may hold a password.
		return nil, fmt.Errorf("parse modx dsn: %w", err)
	}
	if opts.Password != "" {
		cfg.Passwd = opts.Password
	}
	cfg.ParseTime = true
	cfg.Loc = time.UTC // wall clocks are re-read in the shop's zone, see wallTime
	// One QUERY per parameterised statement instead of PREPARE, EXECUTE and
	// CLOSE. Safe here: the connection's charset is utf8mb4 (below), which
	// has no multibyte character ending in a quote or backslash (the driver
	// refuses the charsets that do), whatever the tables' own charset.
	cfg.InterpolateParams = true
	if err := cfg.Apply(mysql.Charset("utf8mb4", "")); err != nil {
		return nil, fmt.Errorf("modx dsn charset: %w", err)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 10 * time.Second
	}
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, fmt.Errorf("modx connector: %w", err)
	}
	db := &DB{
		sql:      sqlx.NewDb(sql.OpenDB(conn), "mysql"),
		prefix:   opts.Prefix,
		shop:     opts.Shop,
		location: opts.Location,
		timeout:  opts.QueryTimeout,
	}
	if db.timeout <= 0 {
		db.timeout = DefaultQueryTimeout
	}
	db.sql.SetMaxOpenConns(MaxOpenConns)
	db.sql.SetMaxIdleConns(2)
	db.sql.SetConnMaxLifetime(5 * time.Minute)

	qctx, cancel := db.query(ctx)
	defer cancel()
	if err := db.sql.PingContext(qctx); err != nil {
		db.sql.Close()
		return nil, fmt.Errorf("connect to modx database %s@%s/%s: %w", cfg.User, cfg.Addr, cfg.DBName, err)
	}
	tables, err := db.tables(ctx)
	if err == nil {
		err = db.resolveZone(ctx, tables)
	}
	if err != nil {
		db.sql.Close()
		return nil, err
	}
	return db, nil
}

// Close closes the connection pool.
func (db *DB) Close() error { return db.sql.Close() }

// Location is the zone the shop's DATETIMEs are read in.
func (db *DB) Location() *time.Location { return db.zone.Load().Location }

// Zone is the zone the shop's DATETIMEs are read in, and where it came from.
func (db *DB) Zone() Zone { return *db.zone.Load() }

// Prefix is the table prefix in use.
func (db *DB) Prefix() string { return db.prefix }

// query returns a context bounded by the per-query timeout.
func (db *DB) query(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, db.timeout)
}

// table quotes a MODX table name with the prefix; the prefix was validated
// in Open and names are constants, so this is safe to splice into SQL.
func (db *DB) table(name string) string {
	return "`" + db.prefix + name + "`"
}

// wallTime re-reads a DATETIME (scanned as UTC by the driver) as a wall
// clock in the shop's zone. NULL and zero dates give the zero time.
func (db *DB) wallTime(t sql.NullTime) time.Time {
	if !t.Valid || t.Time.IsZero() {
		return time.Time{}
	}
	u := t.Time
	return time.Date(u.Year(), u.Month(), u.Day(), u.Hour(), u.Minute(), u.Second(), u.Nanosecond(), db.Location())
}

// wallString formats t as a DATETIME literal in the shop's zone.
func (db *DB) wallString(t time.Time) string {
	return t.In(db.Location()).Format(time.DateTime)
}

// unixTime converts MODX's Unix-int timestamps, where 0 means unset.
func unixTime(sec int64) time.Time {
	if sec <= 0 {
		return time.Time{}
	}
	return time.Unix(sec, 0).UTC()
}
