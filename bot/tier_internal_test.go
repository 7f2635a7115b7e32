package bot

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/kickbot/kickbot/memstate"
	"github.com/kickbot/kickbot/state"
)

// flakyLimits is a SlackLimits whose store can be taken away.
type flakyLimits struct {
	inner SlackLimits
	mu    sync.Mutex
	down  bool
	calls int
}

func (f *flakyLimits) setDown(down bool) { f.mu.Lock(); f.down = down; f.mu.Unlock() }

func (f *flakyLimits) check() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.down {
		return state.ErrUnavailable
	}
	return nil
}

func (f *flakyLimits) Hold(ctx context.Context, bucket string, d time.Duration) error {
	if err := f.check(); err != nil {
		return err
	}
	return f.inner.Hold(ctx, bucket, d)
}

func (f *flakyLimits) Take(ctx context.Context, bucket string, every time.Duration, burst int) (time.Duration, error) {
	if err := f.check(); err != nil {
		return 0, err
	}
	return f.inner.Take(ctx, bucket, every, burst)
}

// A Retry-After one tier earns holds another tier of the same bucket on
// the shared state (another replica), and a shared state that does not
// answer never stops the calls: the tier paces itself alone meanwhile.
func TestSharedTierHoldsOtherReplicasAndSurvivesTheStore(t *testing.T) {
	shared := &flakyLimits{inner: memstate.New().Slack()}
	var errs []string
	onErr := func(op string, err error) { errs = append(errs, op+": "+err.Error()) }
	a := newTier("chat.postMessage", time.Millisecond, 10).share(shared, "post:C1", onErr)
	b := newTier("chat.postMessage", time.Millisecond, 10).share(shared, "post:C1", onErr)
	ctx := context.Background()

	err := a.try(ctx, func(context.Context) error { return &slack.RateLimitedError{RetryAfter: time.Hour} })
	var rl *rateLimited
	if !errors.As(err, &rl) {
		t.Fatalf("a's rate-limited call = %v, want *rateLimited", err)
	}
	called := false
	if err := b.try(ctx, func(context.Context) error { called = true; return nil }); !errors.Is(err, errNotYet) || called {
		t.Errorf("b's call during a's Retry-After: err %v, called %v; want errNotYet and no call", err, called)
	}
	if d := b.delay(time.Now()); d < 59*time.Minute {
		t.Errorf("b's delay = %v after the shared hold, want about an hour", d)
	}

	// The store goes away: a third replica's tier of that bucket calls,
	// paced by itself, and says why.
	shared.setDown(true)
	c := newTier("chat.postMessage", time.Millisecond, 10).share(shared, "post:C1", onErr)
	if err := c.try(ctx, func(context.Context) error { called = true; return nil }); err != nil || !called {
		t.Errorf("c's call with the store down: err %v, called %v; want it made", err, called)
	}
	if len(errs) != 1 {
		t.Errorf("store errors reported = %v, want one", errs)
	}
	// For sharedRetry it does not ask the store again.
	before := shared.calls
	for range 3 {
		if err := c.try(ctx, func(context.Context) error { return nil }); err != nil && !errors.Is(err, errNotYet) {
			t.Fatalf("c's call: %v", err)
		}
	}
	if shared.calls != before {
		t.Errorf("the store was asked %d more times within sharedRetry, want 0", shared.calls-before)
	}
}
