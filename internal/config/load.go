package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"

	"github.com/pelletier/go-toml/v2"
)

// DefaultPath is where the daemon looks for its config without -config.
const DefaultPath = "/etc/modx-amocrm/config.toml"

// EnvConfig names the environment variable that overrides DefaultPath.
const EnvConfig = "MODX_AMOCRM_CONFIG"

// ResolvePath picks the config file: the -config flag, else $MODX_AMOCRM_CONFIG,
// else DefaultPath.
func ResolvePath(flagValue string) string {
	if flagValue != "" {
		return flagValue
	}
	if v := os.Getenv(EnvConfig); v != "" {
		return v
	}
	return DefaultPath
}

// Load reads the file at path and parses it (see Parse).
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return Parse(data, path)
}

// Parse decodes a TOML document over Default() and fills the secrets from
// their files, the environment and systemd credentials (SecretSources).
// Unknown keys and values of the wrong type are *FieldError values naming
// name, the line and the dotted key, joined with errors.Join. Parse does not
// validate: call Validate for that.
func Parse(data []byte, name string) (*Config, error) {
	return parse(data, name, os.Getenv)
}

func parse(data []byte, name string, getenv func(string) string) (*Config, error) {
	doc, err := indexDocument(data, name)
	if err != nil {
		return nil, err
	}
	if errs := doc.typeCheck(name); len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	cfg := Default()
	dec := toml.NewDecoder(bytes.NewReader(data)).DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		return nil, doc.decodeError(name, err)
	}
	cfg.file, cfg.lines = name, doc.lines
	if err := cfg.resolveSecrets(getenv); err != nil {
		return nil, err
	}
	return &cfg, nil
}
