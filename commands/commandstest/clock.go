package commandstest

import (
	"sort"
	"sync"
	"time"
)

// Clock is a hand-moved clock for commands.Locks: Advance runs the timers
// that fall due, in due order, in the caller's goroutine, so a test knows
// that whatever a timer does is done when Advance returns.
type Clock struct {
	mu     sync.Mutex
	now    time.Time
	seq    int
	timers map[int]*clockTimer
}

type clockTimer struct {
	due time.Time
	seq int
	f   func()
}

// NewClock starts a Clock at t.
func NewClock(t time.Time) *Clock { return &Clock{now: t, timers: map[int]*clockTimer{}} }

// Now implements commands.Clock.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// AfterFunc implements commands.Clock.
func (c *Clock) AfterFunc(d time.Duration, f func()) func() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	id := c.seq
	c.timers[id] = &clockTimer{due: c.now.Add(d), seq: id, f: f}
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		_, armed := c.timers[id]
		delete(c.timers, id)
		return armed
	}
}

// Pending is how many timers are armed.
func (c *Clock) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.timers)
}

// Advance moves time on by d, running each timer that falls due at its
// due time.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	end := c.now.Add(d)
	c.mu.Unlock()
	for {
		c.mu.Lock()
		var due []*clockTimer
		for _, t := range c.timers {
			if !t.due.After(end) {
				due = append(due, t)
			}
		}
		if len(due) == 0 {
			c.now = end
			c.mu.Unlock()
			return
		}
		sort.Slice(due, func(i, j int) bool {
			if !due[i].due.Equal(due[j].due) {
				return due[i].due.Before(due[j].due)
			}
			return due[i].seq < due[j].seq
		})
		t := due[0]
		delete(c.timers, t.seq)
		if t.due.After(c.now) {
			c.now = t.due
		}
		c.mu.Unlock()
		t.f()
	}
}
