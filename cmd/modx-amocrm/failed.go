package main

import (
	"context"
	"errors"
)

// runFailed is a placeholder until its issue lands.
func runFailed(ctx context.Context, io IO, args []string) error {
	return errors.New("not implemented yet")
}
