package meetingtest

import (
	"time"

	"github.com/kickbot/kickbot/internal/fakeclock"
)

// Clock tells the simulator the time. Token lifetimes, signature expiry,
// lockouts and rate-limit windows all use it, so a FakeClock lets tests expire
// a 12-hour access token without waiting. Injected latency and Fault.Delay use
// real time, because they exist to slow real requests down.
type Clock = fakeclock.Source

// FakeClock is a Clock that only moves when told to (Advance, Set). Safe
// for concurrent use.
type FakeClock = fakeclock.Clock

// NewFakeClock returns a FakeClock reading t.
func NewFakeClock(t time.Time) *FakeClock { return fakeclock.New(t) }
