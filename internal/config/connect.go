package config

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/pelletier/go-toml/v2"
)

// MODXDSN is modx.dsn with modx.password applied and the connection settings
// every reader relies on: parseTime, utf8mb4, UTC and bounded timeouts
// (10s to connect, 60s per read or write, unless the DSN sets them).
func (c *Config) MODXDSN() (string, error) {
	return normalizeDSN("modx.dsn", c.MODX.DSN, c.MODX.Password)
}

// StateDSN is state.dsn prepared like MODXDSN; an empty state.dsn means the
// MODX database.
func (c *Config) StateDSN() (string, error) {
	if c.State.DSN == "" {
		return c.MODXDSN()
	}
	return normalizeDSN("state.dsn", c.State.DSN, c.State.Password)
}

func normalizeDSN(key, dsn, password string) (string, error) {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return "", fmt.Errorf("%s: %w", key, err)
	}
	if password != "" {
		cfg.Passwd = password
	}
	cfg.ParseTime = true
	cfg.Loc = time.UTC
	// A collation of another charset would contradict utf8mb4.
	if !strings.HasPrefix(cfg.Collation, "utf8mb4_") {
		cfg.Collation = ""
	}
	if err := cfg.Apply(mysql.Charset("utf8mb4", cfg.Collation)); err != nil {
		return "", fmt.Errorf("%s: %w", key, err)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.ReadTimeout == 0 {
		cfg.ReadTimeout = 60 * time.Second
	}
	if cfg.WriteTimeout == 0 {
		cfg.WriteTimeout = 60 * time.Second
	}
	return cfg.FormatDSN(), nil
}

// AmoBaseURL is amocrm.base_url, or https://{account}.{domain}.
func (c *Config) AmoBaseURL() string {
	if c.AmoCRM.BaseURL != "" {
		return strings.TrimRight(c.AmoCRM.BaseURL, "/")
	}
	return "https://" + c.AmoCRM.Account + "." + c.AmoCRM.Domain
}

// redactedMark replaces a secret that is set.
const redactedMark = "(redacted)"

// Redacted returns a copy with every secret, and the password in the DSNs,
// replaced by a mark, so it can be printed or logged.
func (c Config) Redacted() Config {
	for _, s := range c.secrets() {
		if *s.value != "" {
			*s.value = redactedMark
		}
	}
	c.AmoCRM.AuthCode = redactIfSet(c.AmoCRM.AuthCode)
	c.MODX.DSN = redactDSN(c.MODX.DSN)
	c.State.DSN = redactDSN(c.State.DSN)
	// Maps are shared with the original; Redacted changes no map.
	return c
}

func redactIfSet(s string) string {
	if s == "" {
		return ""
	}
	return redactedMark
}

func redactDSN(dsn string) string {
	if dsn == "" {
		return ""
	}
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return redactIfSet(dsn)
	}
	if cfg.Passwd != "" {
		cfg.Passwd = "redacted"
	}
	return cfg.FormatDSN()
}

// String renders the redacted config as TOML: safe to print and log.
func (c Config) String() string {
	return string(c.Redacted().marshal())
}

// marshal renders c as TOML that Parse reads back.
func (c Config) marshal() []byte {
	var buf bytes.Buffer
	enc := toml.NewEncoder(&buf).EnableMarshalerInterface()
	if err := enc.Encode(c); err != nil {
		// Every field of Config has a TOML form; failing here is a bug.
		panic(fmt.Sprintf("marshal config: %v", err))
	}
	return buf.Bytes()
}
