package transform

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
)

// Hash is a stable digest of a payload, for "unchanged" detection: the
// sha256 of its JSON encoding. encoding/json writes struct fields in
// declaration order and map keys sorted, so the digest does not depend on
// map iteration order or on the run. Only the payload is hashed, so columns
// that are not mapped (login counters...) never make a record "changed".
func Hash(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("hash payload: %w", err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}
