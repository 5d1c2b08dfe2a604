package config

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
)

// SecretSource names the places one secret may come from. Precedence,
// highest first:
//
//  1. the environment variable Env (set per process: systemd Environment=,
//     docker -e; the usual way to override a file without editing it);
//  2. the TOML value Key, or the file named by FileKey (setting both is an error);
//  3. the systemd credential $CREDENTIALS_DIRECTORY/Credential (LoadCredential=),
//     the fallback a hardened unit provides whatever the config says.
//
// File contents lose their trailing newlines. Empty values count as unset.
type SecretSource struct {
	Key        string // TOML key holding the value, "modx.password"
	FileKey    string // TOML key holding a path to the value, "modx.password_file"
	Env        string // environment variable, "MODX_AMOCRM_MODX_PASSWORD"
	Credential string // systemd credential name, same as Key
}

// EnvCredentialsDir is set by systemd for units with LoadCredential=.
const EnvCredentialsDir = "CREDENTIALS_DIRECTORY"

// SecretSources lists every secret and where it may come from, for the
// README and `check`.
func SecretSources() []SecretSource {
	var out []SecretSource
	for _, s := range (&Config{}).secrets() {
		out = append(out, s.SecretSource)
	}
	return out
}

type secretField struct {
	SecretSource
	value, file *string
}

func (c *Config) secrets() []secretField {
	return []secretField{
		{secretSource("modx.password", "MODX_AMOCRM_MODX_PASSWORD"), &c.MODX.Password, &c.MODX.PasswordFile},
		{secretSource("state.password", "MODX_AMOCRM_STATE_PASSWORD"), &c.State.Password, &c.State.PasswordFile},
		{secretSource("amocrm.client_secret", "MODX_AMOCRM_CLIENT_SECRET"), &c.AmoCRM.ClientSecret, &c.AmoCRM.ClientSecretFile},
		{secretSource("amocrm.long_lived_token", "MODX_AMOCRM_LONG_LIVED_TOKEN"), &c.AmoCRM.LongLivedToken, &c.AmoCRM.LongLivedTokenFile},
	}
}

func secretSource(key, env string) SecretSource {
	return SecretSource{Key: key, FileKey: key + "_file", Env: env, Credential: key}
}

// resolveSecrets fills every secret from its highest source (SecretSource)
// and notes which ones the file itself holds. Errors name keys and paths,
// never contents.
func (c *Config) resolveSecrets(env Env) error {
	var errs []error
	c.inFile = nil
	for _, s := range c.secrets() {
		if *s.value != "" { // held by the file even when the environment overrides it
			c.inFile = append(c.inFile, s.Key)
		}
		v, err := s.resolve(*s.value, *s.file, env)
		if err != nil {
			errs = append(errs, &FieldError{File: c.file, Line: c.line(s.FileKey), Key: s.FileKey, Msg: err.Error()})
			continue
		}
		*s.value = v
	}
	if c.AmoCRM.AuthCode != "" {
		c.inFile = append(c.inFile, "amocrm.auth_code")
	}
	for _, d := range []struct{ key, dsn string }{{"modx.dsn", c.MODX.DSN}, {"state.dsn", c.State.DSN}} {
		if dsn, ok := splitDSN(d.dsn); ok && dsn.pass != "" {
			c.inFile = append(c.inFile, d.key+" (its password)")
		}
	}
	return errors.Join(errs...)
}

// Path is the file the config was loaded from; "" when it was not.
func (c *Config) Path() string { return c.file }

// SecretsInFile lists the secrets the config file itself holds (the file's
// mode decides whether they are exposed: site.ExposedSecrets). Secrets from
// <key>_file, the environment or systemd credentials are not the file's
// concern.
func (c *Config) SecretsInFile() []string { return slices.Clone(c.inFile) }

func (s secretField) resolve(value, file string, env Env) (string, error) {
	if value != "" && file != "" {
		return "", fmt.Errorf("set either %s or %s, not both", s.Key, s.FileKey)
	}
	if v := env.Getenv(s.Env); v != "" {
		return v, nil
	}
	if value != "" {
		return value, nil
	}
	if file != "" {
		return readSecretFile(env, file)
	}
	dir := env.Getenv(EnvCredentialsDir)
	if dir == "" {
		return "", nil
	}
	v, err := readSecretFile(env, path.Join(dir, s.Credential))
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	return v, err
}

func readSecretFile(env Env, path string) (string, error) {
	b, err := env.ReadFile(path)
	if err != nil {
		// The *PathError names the path and the cause, never the contents.
		return "", err
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}
