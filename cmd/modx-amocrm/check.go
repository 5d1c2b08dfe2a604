package main

import (
	"context"
	"errors"
)

// runCheck is a placeholder until its issue lands.
func runCheck(ctx context.Context, io IO, args []string) error {
	return errors.New("not implemented yet")
}
