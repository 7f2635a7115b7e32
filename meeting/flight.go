package meeting

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// sharedFetchTimeout bounds a token fetch shared by several callers. The fetch
// runs detached from the caller that started it, so that caller's cancellation
// does not fail everyone else waiting on the same key; this bound is what
// stops it instead. It is a cap: with slow HTTP timeouts a fetch's retries
// can need longer, and are then cut short.
const sharedFetchTimeout = 30 * time.Second

// errFetchTimeout is the cause set on a shared fetch's context when
// sharedFetchTimeout, not a caller, ends it.
var errFetchTimeout = errors.New("token fetch timed out")

// shared runs fetch once per key for all concurrent callers
// (singleflight). Each caller waits at most until its own ctx ends; the fetch
// itself runs under a context that keeps ctx's values but not its
// cancellation, bounded by sharedFetchTimeout. A failed fetch is not cached:
// the next caller starts a new one.
func (c *Client) shared(ctx context.Context, op, key string, fetch func(ctx context.Context) (any, error)) (any, error) {
	ch := c.flight.DoChan(key, func() (v any, err error) {
		// singleflight runs this on its own goroutine when callers use
		// DoChan; a panic there would crash the process, so turn it into an
		// error every waiter sees.
		defer func() {
			if r := recover(); r != nil {
				c.log.Error().Str("op", op).Str("panic", fmt.Sprint(r)).Msg("meeting token fetch panicked")
				v, err = nil, &Error{Kind: KindUnknown, Op: op, Err: errors.New("internal error in token fetch")}
			}
		}()
		fctx, cancel := context.WithTimeoutCause(context.WithoutCancel(ctx), sharedFetchTimeout, errFetchTimeout)
		defer cancel()
		return fetch(fctx)
	})
	select {
	case r := <-ch:
		return r.Val, r.Err
	case <-ctx.Done():
		return nil, canceledError(ctx, op, ctx.Err())
	}
}
