package main

import (
	"context"
	"errors"
)

// runRun is a placeholder until its issue lands.
func runRun(ctx context.Context, io IO, args []string) error {
	return errors.New("not implemented yet")
}
