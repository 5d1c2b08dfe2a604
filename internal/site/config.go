package site

import (
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/modx-amocrm/modx-amocrm/internal/config"
)

// The config package does no I/O (the pure core imports it): reading the
// file, its secrets and preparing its DSNs for the driver happen here.

// osEnv is the process's environment and file system, where secrets come
// from besides the config file.
type osEnv struct{}

func (osEnv) Getenv(key string) string             { return os.Getenv(key) }
func (osEnv) ReadFile(path string) ([]byte, error) { return os.ReadFile(path) }

// ConfigPath picks the config file: the -config flag, else
// $MODX_AMOCRM_CONFIG, else config.DefaultPath.
func ConfigPath(flagValue string) string {
	if flagValue != "" {
		return flagValue
	}
	if v := os.Getenv(config.EnvConfig); v != "" {
		return v
	}
	return config.DefaultPath
}

// LoadConfig reads the file at path and parses it (ParseConfig).
func LoadConfig(path string) (*config.Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return ParseConfig(data, path)
}

// ParseConfig parses a config document with its secrets taken from this
// process's environment, files and systemd credentials (config.Parse).
func ParseConfig(data []byte, name string) (*config.Config, error) {
	return config.Parse(data, name, osEnv{})
}

// ExposedSecrets lists the secrets the config file itself holds when every
// user of the machine may read it (mode o+r), with the file's mode; nil when
// the file is private enough or holds no secret.
func ExposedSecrets(cfg *config.Config) (keys []string, mode fs.FileMode, err error) {
	in := cfg.SecretsInFile()
	if cfg.Path() == "" || len(in) == 0 {
		return nil, 0, nil
	}
	st, err := os.Stat(cfg.Path())
	if err != nil {
		return nil, 0, fmt.Errorf("config file mode: %w", err)
	}
	if st.Mode().Perm()&0o004 == 0 {
		return nil, st.Mode().Perm(), nil
	}
	return in, st.Mode().Perm(), nil
}

// MODXDSN is modx.dsn with modx.password applied and the connection
// settings every reader relies on: parseTime, utf8mb4, UTC, parameters
// interpolated by the driver and bounded timeouts (10s to connect, 60s per
// read or write, unless the DSN sets them).
func MODXDSN(cfg *config.Config) (string, error) {
	return normalizeDSN("modx.dsn", cfg.MODX.DSN, cfg.MODX.Password)
}

// StateDSN is state.dsn prepared like MODXDSN; an empty state.dsn means the
// MODX database.
func StateDSN(cfg *config.Config) (string, error) {
	if cfg.State.DSN == "" {
		return MODXDSN(cfg)
	}
	return normalizeDSN("state.dsn", cfg.State.DSN, cfg.State.Password)
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
	// A parameterised statement is then one QUERY, not PREPARE, EXECUTE
	// and CLOSE: a third of the round trips of a pass. Safe with utf8mb4 as
	// the connection's charset, whatever the tables' (latin1 shops too):
	// escaping is unsafe only in charsets with a multibyte character ending
	// in a quote or backslash (big5, sjis, gbk, cp932, gb18030), which the
	// driver refuses to interpolate in.
	cfg.InterpolateParams = true
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
