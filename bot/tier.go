package bot

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/slack-go/slack"
	"golang.org/x/time/rate"
)

// tier is one of Slack's rate-limit buckets: a channel's chat.postMessage
// budget, or an app-wide method tier (chat.update, chat.getPermalink,
// usergroups.users.list). It paces calls below the limit so 429s are the
// exception, and holds a Retry-After Slack gave for every caller at once.
// Calls through a tier are serialised: while one call is out, no other can
// start, so none can reach Slack during a Retry-After the first one earns.
type tier struct {
	method string // for metrics and logs

	call sync.Mutex // held for the length of one Web API call

	mu        sync.Mutex
	lim       *rate.Limiter
	notBefore time.Time     // a running Retry-After ends here
	backoff   time.Duration // for rate limits Slack gave no Retry-After for
}

func newTier(method string, every time.Duration, burst int) *tier {
	return &tier{method: method, lim: rate.NewLimiter(rate.Every(every), burst)}
}

// delay is how long until a call may start: a running Retry-After, or the
// pacing budget.
func (t *tier) delay(now time.Time) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	if d := t.notBefore.Sub(now); d > 0 {
		return d
	}
	r := t.lim.ReserveN(now, 1)
	d := r.DelayFrom(now)
	r.CancelAt(now)
	return d
}

// hold moves the tier's "not before" time: no call until d has passed.
func (t *tier) hold(now time.Time, d time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if until := now.Add(d); until.After(t.notBefore) {
		t.notBefore = until
	}
}

// errNotYet means the tier's budget was taken (or a Retry-After arrived)
// between the caller's check and its call: nothing was sent.
var errNotYet = errors.New("rate-limit budget not available yet")

// try makes one call if the tier allows it now. A 429 (or Slack's body error
// rate_limited) holds the tier and comes back as *rateLimited; nothing is
// retried here, so the caller decides what waits.
func (t *tier) try(ctx context.Context, call func(context.Context) error) error {
	t.call.Lock()
	defer t.call.Unlock()
	now := time.Now()
	t.mu.Lock()
	if now.Before(t.notBefore) || !t.lim.AllowN(now, 1) {
		t.mu.Unlock()
		return errNotYet
	}
	t.mu.Unlock()
	err := call(ctx)
	if wait, ok := retryAfter(err); ok {
		t.mu.Lock()
		if wait <= 0 {
			// Slack said "rate limited" without saying for how long: back
			// off, doubling while it keeps saying so.
			t.backoff = min(max(2*t.backoff, time.Second), 30*time.Second)
			wait = t.backoff
		}
		t.mu.Unlock()
		t.hold(time.Now(), wait)
		return &rateLimited{method: t.method, wait: wait, err: err}
	}
	t.mu.Lock()
	t.backoff = 0
	t.mu.Unlock()
	return err
}

// do calls until the call is made without a rate limit, waiting out the
// tier's budget and every Retry-After, or until ctx ends. It is for calls
// whose caller waits for the answer (permalinks, usergroup look-ups).
func (t *tier) do(ctx context.Context, onLimited func(), call func(context.Context) error) error {
	for {
		if d := t.delay(time.Now()); d > 0 {
			if err := sleep(ctx, d); err != nil {
				return err
			}
			continue
		}
		err := t.try(ctx, call)
		if errors.Is(err, errNotYet) {
			continue
		}
		var rl *rateLimited
		if errors.As(err, &rl) {
			onLimited()
			continue
		}
		return err
	}
}

// rateLimited is a call Slack refused for its rate limit; the tier holds
// wait before the next call.
type rateLimited struct {
	method string
	wait   time.Duration
	err    error
}

func (e *rateLimited) Error() string { return e.method + ": rate limited by Slack: " + e.err.Error() }
func (e *rateLimited) Unwrap() error { return e.err }

// retryAfter reports whether err is Slack's rate limit, and the Retry-After
// it gave (0 when it gave none, as with the body error rate_limited).
func retryAfter(err error) (time.Duration, bool) {
	var rl *slack.RateLimitedError
	if errors.As(err, &rl) {
		return rl.RetryAfter, true
	}
	switch slackErrorCode(err) {
	case "rate_limited", "ratelimited":
		return 0, true
	}
	return 0, false
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
