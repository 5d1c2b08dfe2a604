package apply

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/modx-amocrm/modx-amocrm/internal/amocrm"
)

// sendRefusable writes items with send, which must give the i-th item the
// request id strconv.Itoa(i). When amoCRM refuses the request (a 400 with
// validation errors) the items it names are refused with its reason and the
// others are sent again; when it names none, the items are split in halves
// until the bad one is alone and refused. done tells items an earlier chunk
// of the same call already wrote. Every path ends: a named round removes at
// least one item, and halving takes about 2·log2(n) requests more.
func sendRefusable[T any](ctx context.Context, items []T, send func(context.Context, []T) error, done func(T) bool, refuse func(T, []amocrm.ItemError, string)) error {
	if len(items) == 0 {
		return nil
	}
	err := send(ctx, items)
	var verr *amocrm.ValidationError
	if !errors.As(err, &verr) {
		return err
	}
	var rest []T
	named := false
	for i, it := range items {
		if msgs, bad := verr.Items[strconv.Itoa(i)]; bad {
			refuse(it, msgs, itemErrors(msgs))
			named = true
			continue
		}
		if !done(it) {
			rest = append(rest, it)
		}
	}
	switch {
	case named:
		return sendRefusable(ctx, rest, send, done, refuse)
	case len(rest) == 1:
		reason := itemErrors(verr.Items[""])
		if reason == "" {
			reason = verr.Error()
		}
		refuse(rest[0], verr.Items[""], reason)
		return nil
	}
	half := len(rest) / 2
	if err := sendRefusable(ctx, rest[:half], send, done, refuse); err != nil {
		return err
	}
	return sendRefusable(ctx, rest[half:], send, done, refuse)
}

func itemErrors(errs []amocrm.ItemError) string {
	parts := make([]string, 0, len(errs))
	for _, e := range errs {
		s := e.Path + ": " + e.Detail
		if e.Code != "" {
			s += " (" + e.Code + ")"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}
