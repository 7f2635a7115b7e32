// Package state holds the values and errors kickbot's shared-state
// backends have in common, so that a consumer (bot, commands, meeting) can
// own one interface that both satisfy: memstate (one replica, in memory,
// the default) and redisstate (several replicas sharing Redis). It holds no
// behaviour beyond the few steps both backends take alike (helpers.go).
package state

import (
	"errors"
	"time"
)

// Sentinel errors; test with errors.Is.
var (
	// ErrUnavailable: the store did not answer (Redis down, unreachable,
	// timed out). Callers fail closed: the user is told kickbot's state
	// store is unavailable and nothing that needs a claim is done.
	ErrUnavailable = errors.New("kickbot's state store is unavailable")
	// ErrNotFound: no such record (never written, expired or evicted).
	ErrNotFound = errors.New("not found")
	// ErrConflict: a compare-and-set lost to another writer.
	ErrConflict = errors.New("changed by another writer")
	// ErrLeaseLost: the lease lapsed or another owner holds it now.
	ErrLeaseLost = errors.New("lease lost")
	// ErrNoResult: a claim's owner went away without publishing a result.
	ErrNoResult = errors.New("the claim's owner ended without a result")
	// ErrTooLarge: a value exceeds the store's bound.
	ErrTooLarge = errors.New("value too large for the state store")
)

// Claim is a disconnect claim on one participant: taken by this caller
// (Mine), or someone else's, whose result Wait returns.
type Claim struct {
	Mine  bool
	Actor string // who the owner acts for (a Slack user ID)
	Key   string // the backend's; pass the Claim back as it came
	Token string // the owner's token; pass the Claim back as it came
}

// ClickClaim is the claim a click on a list's button found.
type ClickClaim struct {
	User string
	Done bool
	At   time.Time // when it was made, or finished when Done
}

// Lease is a held lease (a meeting's watcher; a token renewal).
type Lease struct {
	Key   string // the backend's
	Token string // the owner's token
}

// Timer is one durable timer (an auto-unlock).
type Timer struct {
	ID      string // one per meeting: a newer Schedule replaces it
	Due     time.Time
	Payload []byte // the caller's encoding (who locked, where)
	Gen     string // the schedule it came from; Done ignores an older one
}

// Token is a cached meeting control token.
type Token struct {
	Value   string
	Expires time.Time
}
