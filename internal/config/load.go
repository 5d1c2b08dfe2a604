package config

import (
	"bytes"
	"errors"

	"github.com/pelletier/go-toml/v2"
)

// DefaultPath is where the daemon looks for its config without -config.
const DefaultPath = "/etc/modx-amocrm/config.toml"

// EnvConfig names the environment variable that overrides DefaultPath.
const EnvConfig = "MODX_AMOCRM_CONFIG"

// Env is where a config's secrets come from besides the document: the
// process environment and the files it names. The package does no I/O of
// its own (the transform and the plan import it); internal/site passes the
// real one, tests their own.
type Env interface {
	Getenv(key string) string
	ReadFile(path string) ([]byte, error)
}

// Parse decodes a TOML document over Default() and fills the secrets from
// their files, the environment and systemd credentials (SecretSources),
// through env. Unknown keys and values of the wrong type are *FieldError
// values naming name, the line and the dotted key, joined with
// errors.Join. Parse does not validate: call Validate for that.
func Parse(data []byte, name string, env Env) (*Config, error) {
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
	if err := cfg.resolveSecrets(env); err != nil {
		return nil, err
	}
	return &cfg, nil
}
