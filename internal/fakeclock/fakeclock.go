// Package fakeclock is the one manual clock the fakes share (slackfake's
// ManualClock, meetingtest's FakeClock): time that moves only when a test
// says so, for deterministic tests of limits and lifetimes.
package fakeclock

import (
	"sync"
	"time"
)

// Source tells the time: a fake reads it from Wall, or from a Clock in
// tests.
type Source interface{ Now() time.Time }

// Wall is the real clock.
type Wall struct{}

// Now is time.Now.
func (Wall) Now() time.Time { return time.Now() }

// Clock moves only when told to. Safe for concurrent use.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// New returns a clock standing at start.
func New(start time.Time) *Clock { return &Clock{now: start} }

// Now is the clock's current time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Set moves the clock to t (forward or back).
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}
