package main

import (
	"context"
	"errors"
	"io"
)

func cmdReplay(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	return errors.New("replay: not implemented yet")
}

func cmdRecord(ctx context.Context, args []string, stderr io.Writer, getenv func(string) string) error {
	return errors.New("record: not implemented yet")
}
