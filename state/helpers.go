package state

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// The few steps both backends take the same way, written once.

// DefaultMaxListBytes bounds one encoded list record when the caller
// gives no bound.
const DefaultMaxListBytes = 512 << 10

// Versioned is a store of records with a version for compare-and-set
// (both backends' Lists).
type Versioned interface {
	Get(ctx context.Context, id string) (data []byte, version int64, err error)
	Update(ctx context.Context, id string, version int64, data []byte) (int64, error)
}

// ModifyAttempts bounds Modify's retries on conflict: more than this many
// writers racing for one record means something is wrong.
const ModifyAttempts = 16

// Modify reads the record, applies fn and writes the result, again from
// the start when another writer got in between. fn may run several times
// and must not have side effects.
func Modify(ctx context.Context, s Versioned, id string, fn func(data []byte) ([]byte, error)) ([]byte, error) {
	for range ModifyAttempts {
		data, v, err := s.Get(ctx, id)
		if err != nil {
			return nil, err
		}
		next, err := fn(data)
		if err != nil {
			return nil, err
		}
		if _, err := s.Update(ctx, id, v, next); !errors.Is(err, ErrConflict) {
			return next, err
		}
	}
	return nil, ErrConflict
}

// Sleep waits d or until ctx ends.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// FireSafely runs one timer's fire, turning a panic into an error for
// onErr (the poll goes on with the next timer); false when it panicked.
func FireSafely(ctx context.Context, name string, tm Timer, fire func(context.Context, Timer), onErr func(error)) (ok bool) {
	defer func() {
		if p := recover(); p != nil {
			ok = false
			if onErr != nil {
				onErr(fmt.Errorf("timer %s/%s panicked: %v", name, tm.ID, p))
			}
		}
	}()
	fire(ctx, tm)
	return true
}
