package main

import (
	"context"
	"errors"
)

// runRetry is a placeholder until its issue lands.
func runRetry(ctx context.Context, io IO, args []string) error {
	return errors.New("not implemented yet")
}
