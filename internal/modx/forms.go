package modx

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/modx-amocrm/modx-amocrm/internal/shop"
)

// FormItKeySetting is the system setting FormIt derives its cipher from.
const FormItKeySetting = "formit.form_encryptkey"

// ErrNoFormItKey means encrypted forms exist but the key setting does not.
var ErrNoFormItKey = errors.New(FormItKeySetting + " is not set")

// Forms reads one keyset page of FormIt saved forms; empty when FormIt is
// not installed. Encrypted values are returned as stored.
func (db *DB) Forms(ctx context.Context, afterID int64, limit int) ([]shop.Form, error) {
	s, err := db.detected(ctx)
	if err != nil || !s.FormIt {
		return nil, err
	}
	f := func(col, fallback string) string { return s.col("formit_forms", "f", col, fallback) }
	q := "SELECT f.id, " + f("form", "''") + ", " + f("context_key", "''") + ", " + f("values", "''") + ", " +
		f("ip", "''") + ", " + f("date", "0") + ", " + f("encrypted", "0") + ", " + f("encryption_type", "0") + ", " +
		f("hash", "''") + " FROM " + db.table("formit_forms") + " f WHERE f.id > ? ORDER BY f.id LIMIT ?"
	var out []shop.Form
	err = db.each(ctx, fmt.Sprintf("read forms after %d", afterID), q, args(afterID, limit), func(rows *sql.Rows) error {
		var (
			fm   shop.Form
			date int64
		)
		err := rows.Scan(&fm.ID, &fm.Name, &fm.Context, &fm.Values, &fm.IP, &date,
			&fm.Encrypted, &fm.EncryptionType, &fm.Hash)
		fm.Date = unixTime(date)
		out = append(out, fm)
		return err
	})
	return out, err
}

// FormItKey reads the FormIt encryption key setting. The value is a secret:
// it never goes into errors or logs.
func (db *DB) FormItKey(ctx context.Context) (string, error) {
	set, err := db.Settings(ctx, FormItKeySetting)
	if err != nil {
		return "", err
	}
	key := set[FormItKeySetting]
	if key == "" {
		return "", ErrNoFormItKey
	}
	return key, nil
}
