package modx_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/modx"
	"github.com/modx-amocrm/modx-amocrm/internal/modx/modxtest"
	"github.com/modx-amocrm/modx-amocrm/internal/shop"
	"github.com/modx-amocrm/modx-amocrm/internal/testdb"
)

// The ciphertexts come from modxtest.EncryptFormValues, which mirrors PHP's
// base64_encode(openssl_encrypt($json, 'AES-256-CBC', hash('sha256', $key),
// 0, substr(hash('sha256', md5($key)), 0, 16))): options 0 means
// openssl_encrypt already returns base64. The fixed vector was made apart
// from Go, with the openssl CLI:
//
//	printf '{}' | openssl enc -aes-256-cbc -K hex(key) -iv hex(iv) -base64 -A | base64
func TestDecryptFormValues(t *testing.T) {
	const setting = "modx5f1a2b3c4d5e6.12345678"
	plain := `{"Имя":"Анна","Телефон":"+7 900 111-22-33","msg":"🙂"}`

	if got, err := modx.DecryptFormValues(setting, modxtest.EncryptFormValues(setting, plain)); err != nil || got != plain {
		t.Errorf("round trip: got %q, %v, want %q", got, err, plain)
	}
	const vector = "MUQwMXhpYmF0NWRLN3ZReWFVZTdYUT09"
	if got, err := modx.DecryptFormValues(setting, vector); err != nil || got != "{}" {
		t.Errorf("vector: got %q, %v, want {}", got, err)
	}
	if _, err := modx.DecryptFormValues("other key", vector); !errors.Is(err, modx.ErrBadCiphertext) {
		t.Errorf("wrong key: got %v, want ErrBadCiphertext", err)
	}
	if _, err := modx.DecryptFormValues(setting, "not base64!"); !errors.Is(err, modx.ErrBadCiphertext) {
		t.Errorf("garbage: got %v, want ErrBadCiphertext", err)
	}
	legacy := shop.Form{ID: 3, Encrypted: true, EncryptionType: modx.EncryptionMcrypt, Values: "x"}
	if _, err := modx.FormValues(legacy, setting); !errors.Is(err, modx.ErrLegacyEncryption) {
		t.Errorf("mcrypt row: got %v, want ErrLegacyEncryption", err)
	}
}

func TestForms(t *testing.T) {
	o := modxtest.Options{Prefix: "modx_", FormIt: true}
	db, raw := newShop(t, o)
	ctx := context.Background()
	if _, err := db.FormItKey(ctx); !errors.Is(err, modx.ErrNoFormItKey) {
		t.Errorf("key before it is set: got %v, want ErrNoFormItKey", err)
	}
	const key = "modx-secret"
	if err := modxtest.SetSetting(ctx, raw, o, modx.FormItKeySetting, key); err != nil {
		t.Fatal(err)
	}
	plain := `{"Ф.И.О":"Пётр"}`
	date := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	a := must(modxtest.InsertForm(ctx, raw, o, modxtest.FormSpec{Values: plain, Date: date}))(t)
	b := must(modxtest.InsertForm(ctx, raw, o, modxtest.FormSpec{Name: "Заказ", Encrypted: true,
		Values: modxtest.EncryptFormValues(key, plain)}))(t)

	forms := must(db.Forms(ctx, 0, 10))(t)
	if len(forms) != 2 || forms[0].ID != a || forms[1].ID != b {
		t.Fatalf("got %+v, want forms %d, %d", forms, a, b)
	}
	if !forms[0].Date.Equal(date) || forms[0].Name != "Обратный звонок" || forms[0].Encrypted {
		t.Errorf("plain form: got %+v", forms[0])
	}
	gotKey := must(db.FormItKey(ctx))(t)
	for _, f := range forms {
		if got := must(modx.FormValues(f, gotKey))(t); got != plain {
			t.Errorf("form %d values: got %q, want %q", f.ID, got, plain)
		}
	}
	if page := must(db.Forms(ctx, a, 10))(t); len(page) != 1 || page[0].ID != b {
		t.Errorf("after %d: got %+v", a, page)
	}
}

// Old FormIt has no encryption_type column; its encrypted rows are mcrypt.
func TestFormsOldFormIt(t *testing.T) {
	o := modxtest.Options{Prefix: "shop2_", Generation: "2.4", FormIt: true}
	raw, dsn := createShop(t, o)
	testdb.Exec(t, raw, "ALTER TABLE shop2_formit_forms DROP COLUMN encryption_type;\n"+
		"INSERT INTO shop2_formit_forms (form, `values`, encrypted) VALUES ('old', 'xx', 1)")
	forms := must(open(t, dsn, modx.Options{Prefix: o.Prefix}).Forms(context.Background(), 0, 10))(t)
	if len(forms) != 1 || forms[0].EncryptionType != 0 {
		t.Fatalf("got %+v", forms)
	}
	if _, err := modx.FormValues(forms[0], "k"); !errors.Is(err, modx.ErrLegacyEncryption) {
		t.Errorf("got %v, want ErrLegacyEncryption", err)
	}
}
