package main

import (
	"context"
	"errors"
)

// runAuth is a placeholder until its issue lands.
func runAuth(ctx context.Context, io IO, args []string) error {
	return errors.New("not implemented yet")
}
