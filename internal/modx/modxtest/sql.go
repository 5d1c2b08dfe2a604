package modxtest

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// quote renders s as a MySQL string literal (backslash escapes, the
// default sql_mode of MariaDB, MySQL and go-mysql-server).
func quote(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('\'')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\'', '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case 0:
			b.WriteString(`\0`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case 0x1a:
			b.WriteString(`\Z`)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('\'')
	return b.String()
}

// literal renders a Go value as SQL; nil is NULL, times are DATETIMEs of
// their own wall clock.
func literal(v any) string {
	switch v := v.(type) {
	case nil:
		return "NULL"
	case string:
		return quote(v)
	case int:
		return strconv.Itoa(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case bool:
		if v {
			return "1"
		}
		return "0"
	case time.Time:
		return quote(v.Format(time.DateTime))
	default:
		panic(fmt.Sprintf("modxtest: no literal for %T", v))
	}
}

// batch collects rows into multi-row INSERTs of about maxBatchBytes, which
// is what makes generating 100k orders quick. Each batch keeps one INSERT in
// flight while the next is built, so the server works on several tables at
// once; wait collects the last result.
type batch struct {
	db       *sqlx.DB
	head     string
	buf      strings.Builder
	rows     int
	inFlight chan error // nil when no INSERT is running
}

const maxBatchBytes = 1 << 20

func newBatch(db *sqlx.DB, prefix, table string, columns ...string) *batch {
	return &batch{db: db, head: "INSERT INTO `" + prefix + table + "` (" + strings.Join(columns, ", ") + ") VALUES "}
}

func (b *batch) add(ctx context.Context, values ...any) error {
	if b.rows == 0 {
		b.buf.WriteString(b.head)
	} else {
		b.buf.WriteByte(',')
	}
	b.buf.WriteByte('(')
	for i, v := range values {
		if i > 0 {
			b.buf.WriteByte(',')
		}
		b.buf.WriteString(literal(v))
	}
	b.buf.WriteByte(')')
	b.rows++
	if b.buf.Len() >= maxBatchBytes {
		return b.send(ctx)
	}
	return nil
}

// send starts the collected INSERT after the previous one finished.
func (b *batch) send(ctx context.Context) error {
	if b.rows == 0 {
		return nil
	}
	if err := b.wait(); err != nil {
		return err
	}
	stmt := b.buf.String()
	b.buf.Reset()
	b.rows = 0
	b.inFlight = make(chan error, 1)
	go func(done chan<- error) {
		_, err := b.db.ExecContext(ctx, stmt)
		done <- err
	}(b.inFlight)
	return nil
}

func (b *batch) wait() error {
	if b.inFlight == nil {
		return nil
	}
	err := <-b.inFlight
	b.inFlight = nil
	if err != nil {
		return fmt.Errorf("insert batch (%s): %w", strings.Fields(b.head)[2], err)
	}
	return nil
}

// flush writes what is left and waits for it.
func (b *batch) flush(ctx context.Context) error {
	if err := b.send(ctx); err != nil {
		return err
	}
	return b.wait()
}

// insertRow inserts one row of column -> value and returns its id.
func insertRow(ctx context.Context, db *sqlx.DB, prefix, table string, row map[string]any) (int64, error) {
	cols := sortedKeys(row)
	vals := make([]string, len(cols))
	for i, c := range cols {
		vals[i] = literal(row[c])
		cols[i] = "`" + c + "`"
	}
	q := "INSERT INTO `" + prefix + table + "` (" + strings.Join(cols, ", ") + ") VALUES (" + strings.Join(vals, ", ") + ")"
	res, err := db.ExecContext(ctx, q)
	if err != nil {
		return 0, fmt.Errorf("insert %s: %w", table, err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, fmt.Errorf("insert %s: %w", table, err)
	}
	return id, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
