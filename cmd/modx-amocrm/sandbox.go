package main

import (
	"context"
	"errors"
)

// runSandbox is a placeholder until its issue lands.
func runSandbox(ctx context.Context, io IO, args []string) error {
	return errors.New("not implemented yet")
}
