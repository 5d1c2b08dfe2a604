package main

import (
	"context"
	"errors"
)

// runPipelines is a placeholder until its issue lands.
func runPipelines(ctx context.Context, io IO, args []string) error {
	return errors.New("not implemented yet")
}
