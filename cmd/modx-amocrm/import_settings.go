package main

import (
	"context"
	"errors"
)

// runImportSettings is a placeholder until its issue lands.
func runImportSettings(ctx context.Context, io IO, args []string) error {
	return errors.New("not implemented yet")
}
