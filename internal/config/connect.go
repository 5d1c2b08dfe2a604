package config

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/pelletier/go-toml/v2"
)

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
	d, ok := splitDSN(dsn)
	if !ok {
		return redactIfSet(dsn)
	}
	if d.pass != "" {
		d.pass = "redacted"
	}
	return d.String()
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
