// Package statetest is the contract both shared-state backends (memstate,
// redisstate) must meet: one suite, run by each backend's tests against
// "replicas" that share one store. Its interfaces are the method sets a
// consumer (bot, commands, meeting) can own; both backends satisfy them.
package statetest

import (
	"context"
	"testing"
	"time"

	"github.com/kickbot/kickbot/state"
)

// Deduper is bot.Deduper plus an error-returning form.
type Deduper interface {
	Seen(ctx context.Context, key string) (bool, error)
	FirstTime(key string) bool
}

// Limiter is a per-user rate limit.
type Limiter interface {
	Allow(ctx context.Context, user string) (ok bool, retryIn time.Duration, err error)
}

// Claims are disconnect claims with results for waiters.
type Claims interface {
	Take(ctx context.Context, conference, participant, actor string) (state.Claim, error)
	Extend(ctx context.Context, cl state.Claim, ttl time.Duration) error
	Release(ctx context.Context, cl state.Claim, result []byte) error
	Wait(ctx context.Context, cl state.Claim) ([]byte, error)
}

// Lists are posted lists as versioned records.
type Lists interface {
	Put(ctx context.Context, id string, data []byte) error
	Get(ctx context.Context, id string) ([]byte, int64, error)
	Update(ctx context.Context, id string, version int64, data []byte) (int64, error)
	Modify(ctx context.Context, id string, fn func([]byte) ([]byte, error)) ([]byte, error)
	Delete(ctx context.Context, id string) error
	Count(ctx context.Context) (int64, error)
}

// Clicks are a list's click claims.
type Clicks interface {
	Claim(ctx context.Context, key, user string, readAt, now time.Time) (state.ClickClaim, bool, error)
	Finish(ctx context.Context, key, user string, ok bool, now time.Time) error
}

// Timers are auto-unlock timers.
type Timers interface {
	Schedule(ctx context.Context, id string, due time.Time, payload []byte) error
	Cancel(ctx context.Context, id string) (bool, error)
	Pending(ctx context.Context) ([]state.Timer, error)
	Due(ctx context.Context, now time.Time, n int) ([]state.Timer, error)
	Done(ctx context.Context, tm state.Timer) error
	Poll(ctx context.Context, interval time.Duration, now func() time.Time, fire func(context.Context, state.Timer), onErr func(error))
}

// Tokens is the control-token cache.
type Tokens interface {
	Get(ctx context.Context, conf string) (state.Token, bool, error)
	Put(ctx context.Context, conf string, tok state.Token) error
	Drop(ctx context.Context, conf, value string) error
	Renew(ctx context.Context, conf, owner string, fresh func(state.Token) bool,
		fetch func(ctx context.Context, current state.Token) (state.Token, error)) (state.Token, error)
}

// Leases are watcher (and renewal) leases.
type Leases interface {
	Acquire(ctx context.Context, key, owner string, ttl time.Duration) (state.Lease, bool, error)
	Holder(ctx context.Context, key string) (string, error)
	Renew(ctx context.Context, lease state.Lease, ttl time.Duration) error
	Release(ctx context.Context, lease state.Lease) error
}

// Slack is Slack's rate-limit state.
type Slack interface {
	Hold(ctx context.Context, bucket string, d time.Duration) error
	Held(ctx context.Context, bucket string) (time.Duration, error)
	Take(ctx context.Context, bucket string, every time.Duration, burst int) (time.Duration, error)
	Delay(ctx context.Context, bucket string, every time.Duration, burst int) (time.Duration, error)
}

// Replica is one kickbot process's view of the shared state.
type Replica struct {
	Deduper func(ttl time.Duration) Deduper
	Limiter func(name string, perMinute int) Limiter
	Claims  func(ttl time.Duration) Claims
	Lists   func(ttl time.Duration, maxLists, maxBytes int) Lists
	Clicks  func(ttl time.Duration) Clicks
	Timers  func(name string, lease time.Duration) Timers
	Tokens  func() Tokens
	Leases  func(name string) Leases
	Slack   func() Slack
	Close   func() error // the replica goes away; the state stays
}

// NewReplicas opens n replicas sharing one fresh, empty state.
type NewReplicas func(t *testing.T, n int) []Replica

// Run runs the contract against a backend.
func Run(t *testing.T, newReplicas NewReplicas) {
	for _, tc := range []struct {
		name string
		test func(*testing.T, NewReplicas)
	}{
		{"DedupeOneWinnerAcrossReplicas", testDedupeOneWinnerAcrossReplicas},
		{"RateLimitShared", testRateLimitShared},
		{"ClaimWaiterOnOtherReplicaGetsOwnersResult", testClaimWaiterOnOtherReplicaGetsOwnersResult},
		{"ClaimOwnerGoneWithoutResult", testClaimOwnerGoneWithoutResult},
		{"ListWrittenByAUpdatedByBWithConflicts", testListWrittenByAUpdatedByBWithConflicts},
		{"ListsBounded", testListsBounded},
		{"ClickClaimsAcrossReplicas", testClickClaimsAcrossReplicas},
		{"TimerFiresOnceWhenSchedulerIsGone", testTimerFiresOnceWhenSchedulerIsGone},
		{"TimerRaceManyPollers", testTimerRaceManyPollers},
		{"TimerRetakenWhenFirerDies", testTimerRetakenWhenFirerDies},
		{"TimerCancelAndReplace", testTimerCancelAndReplace},
		{"TokenRenewedByOneReplicaAtATime", testTokenRenewedByOneReplicaAtATime},
		{"WatcherLeaseTakenOverWhenLapsed", testWatcherLeaseTakenOverWhenLapsed},
		{"RetryAfterSetByAHoldsB", testRetryAfterSetByAHoldsB},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.test(t, newReplicas) })
	}
}

// eventually polls cond until it holds or the deadline passes: for a TTL's
// expiry, which no test clock controls in Redis.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for d := time.Millisecond; !cond(); d = min(2*d, 50*time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not so after 10s", what)
		}
		time.Sleep(d)
	}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}
