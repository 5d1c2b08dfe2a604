package state

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jmoiron/sqlx"
)

// commitAttempts bounds how often Commit runs a transaction that InnoDB
// chose as a deadlock victim.
const commitAttempts = 3

const errDeadlock = 1213 // ER_LOCK_DEADLOCK

// rowsPerInsert bounds the rows of one multi-row INSERT (placeholders and packet size).
const rowsPerInsert = 500

// Tx is one state transaction, valid only inside the function given to Commit.
type Tx struct {
	ctx context.Context
	tx  *sqlx.Tx
	s   *Store
	now time.Time
}

// Commit runs fn in one transaction and commits it when fn returns nil.
// A deadlock rolls back and runs fn again (up to commitAttempts times), so fn
// must do nothing but Tx writes.
func (s *Store) Commit(ctx context.Context, fn func(tx *Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := s.commitOnce(ctx, fn)
		var me *mysql.MySQLError
		if err == nil || !errors.As(err, &me) || me.Number != errDeadlock || attempt == commitAttempts {
			return err
		}
	}
}

func (s *Store) commitOnce(ctx context.Context, fn func(tx *Tx) error) error {
	sqltx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin state transaction: %w", err)
	}
	defer sqltx.Rollback() // a no-op after Commit
	if err := fn(&Tx{ctx: ctx, tx: sqltx, s: s, now: s.clock()}); err != nil {
		return err
	}
	if err := sqltx.Commit(); err != nil {
		return fmt.Errorf("commit state transaction: %w", err)
	}
	return nil
}

// exec runs one statement of the transaction; what names it in the error.
func (tx *Tx) exec(what, query string, args ...any) error {
	if _, err := tx.tx.ExecContext(tx.ctx, tx.s.q(query), args...); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// insertRows runs "insert VALUES (...), (...) tail" for args holding rows of
// width values each, rowsPerInsert rows a statement: one round trip instead of one a row.
func (tx *Tx) insertRows(what, insert, tail string, width int, args []any) error {
	row := "(?" + strings.Repeat(", ?", width-1) + ")"
	for len(args) > 0 {
		n := min(len(args)/width, rowsPerInsert)
		values := row + strings.Repeat(", "+row, n-1)
		if err := tx.exec(what, insert+" VALUES "+values+" "+tail, args[:n*width]...); err != nil {
			return err
		}
		args = args[n*width:]
	}
	return nil
}

// deleteIDs runs "DELETE FROM table WHERE kind = ? AND source_id IN (...)",
// inChunk ids a statement: a batch settles in one round trip, not one a row.
func (tx *Tx) deleteIDs(what, table, kind string, ids []int64) error {
	return tx.deleteIn(what, `DELETE FROM {{prefix}}`+table+` WHERE kind = ? AND source_id IN (?)`, ids, kind)
}

// deleteIn runs query, whose last parameter is an IN (?) list, once for
// each inChunk of ids; lead are the parameters before the list.
func (tx *Tx) deleteIn(what, query string, ids []int64, lead ...any) error {
	for chunk := range slices.Chunk(ids, inChunk) {
		q, args, err := sqlx.In(query, append(slices.Clone(lead), chunk)...)
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if err := tx.exec(what, q, args...); err != nil {
			return err
		}
	}
	return nil
}
