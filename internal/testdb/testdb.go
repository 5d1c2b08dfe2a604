// Package testdb gives each integration test a throw-away MariaDB/MySQL
// database. The server comes from MODX_AMOCRM_TEST_DSN (default
// root@tcp(127.0.0.1:3306)/). When it is unreachable the test is skipped,
// except under CI=true, where a missing database is a failure.
package testdb

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jmoiron/sqlx"
)

// EnvDSN names the environment variable holding the server DSN.
const EnvDSN = "MODX_AMOCRM_TEST_DSN"

const defaultDSN = "root@tcp(127.0.0.1:3306)/"

// ServerDSN returns the configured server DSN (no database selected).
func ServerDSN() string {
	if v := os.Getenv(EnvDSN); v != "" {
		return v
	}
	return defaultDSN
}

// New creates an empty database with a unique name and returns a connection
// to it and its DSN (with parseTime and utf8mb4). The database is dropped when
// the test ends.
func New(t testing.TB) (*sqlx.DB, string) {
	t.Helper()
	cfg, err := mysql.ParseDSN(ServerDSN())
	if err != nil {
		t.Fatalf("parse %s: %v", EnvDSN, err)
	}
	cfg.DBName = ""
	admin, err := sqlx.Open("mysql", cfg.FormatDSN())
	if err == nil {
		err = admin.Ping()
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("test database unreachable (%s): %v", EnvDSN, err)
		}
		t.Skipf("test database unreachable (%s): %v", EnvDSN, err)
	}
	t.Cleanup(func() { admin.Close() })

	name := "mxamo_test_" + randomSuffix()
	if _, err := admin.Exec("CREATE DATABASE `" + name + "` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
		t.Fatalf("create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec("DROP DATABASE IF EXISTS `" + name + "`"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})

	cfg.DBName = name
	cfg.ParseTime = true
	if cfg.Params == nil {
		cfg.Params = map[string]string{}
	}
	cfg.Params["charset"] = "utf8mb4"
	cfg.Loc = time.UTC
	dsn := cfg.FormatDSN()
	db, err := sqlx.Open("mysql", dsn)
	if err != nil {
		t.Fatalf("open %s: %v", name, err)
	}
	t.Cleanup(func() { db.Close() })
	return db, dsn
}

// User creates a MySQL user holding only grants, each "PRIVILEGES ON
// object" with {{db}} standing for the database of dsn, and returns dsn as
// that user. The user is dropped when the test ends. In a database-level
// grant ({{db}}.*) the name's _ is escaped, as a GRANT reads it as a
// wildcard there; table grants take names literally.
func User(t testing.TB, dsn string, grants ...string) string {
	t.Helper()
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		t.Fatalf("parse dsn: %v", err)
	}
	admin, err := sqlx.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	user, password := "mxamo_u_"+randomSuffix(), randomSuffix()
	account := "'" + user + "'@'%'"
	if _, err := admin.Exec("CREATE USER " + account + " IDENTIFIED BY '" + password + "'"); err != nil {
		t.Fatalf("create user: %v", err)
	}
	t.Cleanup(func() {
		if err := dropUser(dsn, account); err != nil {
			t.Errorf("drop user %s: %v", user, err)
		}
	})
	for _, g := range grants {
		g = strings.ReplaceAll(g, "{{db}}.*", "`"+strings.ReplaceAll(cfg.DBName, "_", `\_`)+"`.*")
		stmt := "GRANT " + strings.ReplaceAll(g, "{{db}}", "`"+cfg.DBName+"`") + " TO " + account
		if _, err := admin.Exec(stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	cfg.User, cfg.Passwd = user, password
	return cfg.FormatDSN()
}

func dropUser(dsn, account string) error {
	admin, err := sqlx.Open("mysql", dsn)
	if err != nil {
		return err
	}
	defer admin.Close()
	_, err = admin.Exec("DROP USER IF EXISTS " + account)
	return err
}

// Exec runs statements (separated by ";\n") and fails the test on error.
func Exec(t testing.TB, db *sqlx.DB, script string) {
	t.Helper()
	for _, stmt := range strings.Split(script, ";\n") {
		if strings.TrimSpace(stmt) == "" {
			continue
		}
		if _, err := db.Exec(stmt); err != nil {
			t.Fatalf("exec %q: %v", firstLine(stmt), err)
		}
	}
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " ..."
	}
	return s
}

func randomSuffix() string {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err))
	}
	return hex.EncodeToString(b[:])
}
