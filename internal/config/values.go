package config

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Duration is a time.Duration written as a Go duration string ("10s", "1h").
type Duration struct{ time.Duration }

// UnmarshalText parses a Go duration string. Parse checks the TOML value kind
// beforehand, so this only ever sees the contents of a TOML string.
func (d *Duration) UnmarshalText(text []byte) error {
	v, err := time.ParseDuration(string(text))
	if err != nil {
		return fmt.Errorf("want a duration like \"10s\", got %q", text)
	}
	d.Duration = v
	return nil
}

// String is time.Duration's form without zero tails: "1h", not "1h0m0s".
func (d Duration) String() string {
	s := d.Duration.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// MarshalText writes the duration the way UnmarshalText reads it.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// MarshalTOML writes a quoted duration string (go-toml's unstable.Marshaler).
func (d Duration) MarshalTOML() ([]byte, error) { return quoteTOML(d.String()), nil }

// IDRef is an amoCRM id given either as a number or as a name that is
// resolved against the account ("Оплачен", "Воронка"). Zero value: unset.
type IDRef struct {
	ID   int64
	Name string
}

// IsZero reports whether neither an id nor a name was given.
func (r IDRef) IsZero() bool { return r.ID == 0 && r.Name == "" }

// ParseIDRef reads an id reference: a numeric string is an id, anything else
// a name. It never fails, which is what lets a TOML string hold either.
func ParseIDRef(s string) IDRef {
	if id, err := strconv.ParseInt(s, 10, 64); err == nil {
		return IDRef{ID: id}
	}
	return IDRef{Name: s}
}

// UnmarshalText accepts a TOML integer or string (go-toml hands integers to
// TextUnmarshalers as their digits).
func (r *IDRef) UnmarshalText(text []byte) error {
	*r = ParseIDRef(string(text))
	return nil
}

// String is the id's digits or the name.
func (r IDRef) String() string {
	if r.Name != "" {
		return r.Name
	}
	return strconv.FormatInt(r.ID, 10)
}

// MarshalText writes the form UnmarshalText reads back.
func (r IDRef) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// MarshalTOML writes an id as a TOML integer and a name as a string, so
// rendered configs read naturally (go-toml's unstable.Marshaler).
func (r IDRef) MarshalTOML() ([]byte, error) {
	if r.Name != "" {
		return quoteTOML(r.Name), nil
	}
	return []byte(strconv.FormatInt(r.ID, 10)), nil
}

// quoteTOML returns s as a TOML basic string. JSON string escapes are a
// subset of TOML's.
func quoteTOML(s string) []byte {
	b, err := json.Marshal(s)
	if err != nil {
		// json.Marshal of a string cannot fail.
		panic(err)
	}
	return b
}
