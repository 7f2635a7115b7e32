package bot

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/slack-go/slack"
	"golang.org/x/time/rate"

	"github.com/kickbot/kickbot/state"
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

	// With WithSlackLimits the budget and the Retry-Afters are the
	// deployment's (shared, under bucket): lim is used only while the
	// store does not answer (until sharedDown), and notBefore also holds
	// the waits the shared state gave.
	every, burst int64 // every in ns; for the shared budget
	shared       SlackLimits
	bucket       string
	onErr        func(op string, err error)
	sharedDown   time.Time
}

// SlackLimits is Slack's rate-limit state shared by every replica;
// *redisstate.SlackLimits (and *memstate.SlackLimits) satisfy it. Hold
// stops every replica's calls in a bucket (a channel's posts, a method) for
// a Retry-After; Take takes one call from the bucket's budget when no hold
// runs and the budget allows it now (wait 0), else says how long to wait.
type SlackLimits interface {
	Hold(ctx context.Context, bucket string, d time.Duration) error
	Take(ctx context.Context, bucket string, every time.Duration, burst int) (wait time.Duration, err error)
}

// WithSlackLimits shares Slack's rate-limit state with the other replicas:
// a Retry-After one replica receives holds every replica's posts to that
// channel (or calls of that method), and each budget (a channel's posts,
// chat.update, chat.getPermalink, usergroups.users.list) is one for the
// deployment. Calls stay serialised within a replica. When the store does
// not answer, the replica paces itself alone (its own budget and the
// Retry-Afters it received, as with one replica) for sharedRetry before it
// asks the store again: posting slows down or meets a 429 (which is
// waited out, nothing lost), and never stops.
func WithSlackLimits(l SlackLimits) Option { return func(b *Bot) { b.slackLimits = l } }

// sharedRetry is how long a tier paces itself alone after the shared
// state failed to answer, so a hung Redis costs a post its timeout only
// now and then.
const sharedRetry = 5 * time.Second

func newTier(method string, every time.Duration, burst int) *tier {
	return &tier{method: method, lim: rate.NewLimiter(rate.Every(every), burst), every: int64(every), burst: int64(burst)}
}

// share makes t use the shared state l under bucket; onErr hears of its
// failures. nil l leaves t alone.
func (t *tier) share(l SlackLimits, bucket string, onErr func(op string, err error)) *tier {
	t.shared, t.bucket, t.onErr = l, bucket, onErr
	return t
}

// sharedLocked reports whether the shared state is asked now; t.mu held.
func (t *tier) sharedLocked(now time.Time) bool {
	return t.shared != nil && !now.Before(t.sharedDown)
}

// sharedFailed records a failure of the shared state: t paces itself
// alone for sharedRetry.
func (t *tier) sharedFailed(err error) {
	t.mu.Lock()
	t.sharedDown = time.Now().Add(sharedRetry)
	t.mu.Unlock()
	if t.onErr != nil {
		t.onErr("slack_limits", err)
	}
}

// delay is how long until a call may start: a running Retry-After, or the
// pacing budget. With shared state the budget is asked for by try, which
// records a wait it was given here.
func (t *tier) delay(now time.Time) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	if d := t.notBefore.Sub(now); d > 0 {
		return d
	}
	if t.sharedLocked(now) {
		return 0
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
	if now.Before(t.notBefore) {
		t.mu.Unlock()
		return errNotYet
	}
	shared := t.sharedLocked(now)
	t.mu.Unlock()
	if shared {
		wait, err := t.shared.Take(ctx, t.bucket, time.Duration(t.every), int(t.burst))
		switch {
		case err == nil && wait > 0:
			// Another replica's Retry-After, or the deployment's budget.
			t.hold(time.Now(), wait)
			return errNotYet
		case err != nil:
			t.sharedFailed(err)
			shared = false
		}
	}
	if !shared {
		t.mu.Lock()
		ok := t.lim.AllowN(now, 1)
		t.mu.Unlock()
		if !ok {
			return errNotYet
		}
	}
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
		if t.shared != nil {
			// Every replica waits it out. Told even while the shared state
			// seemed down: it may be back.
			if herr := t.shared.Hold(ctx, t.bucket, wait); herr != nil {
				t.sharedFailed(herr)
			}
		}
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
			if err := state.Sleep(ctx, d); err != nil {
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
