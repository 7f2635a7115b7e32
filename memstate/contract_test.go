package memstate_test

import (
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/kickbot/kickbot/internal/statetest"
	"github.com/kickbot/kickbot/memstate"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestContract runs the shared-state contract with every "replica" one
// store: what one kickbot process without Redis has.
func TestContract(t *testing.T) {
	statetest.Run(t, func(t *testing.T, n int) []statetest.Replica {
		s := memstate.New()
		out := make([]statetest.Replica, n)
		for i := range out {
			out[i] = statetest.Replica{
				Deduper: func(ttl time.Duration) statetest.Deduper { return s.Deduper(ttl, nil) },
				Limiter: func(name string, n int) statetest.Limiter { return s.Limiter(name, n) },
				Claims:  func(ttl time.Duration) statetest.Claims { return s.Claims(ttl) },
				Lists:   func(ttl time.Duration, n, b int) statetest.Lists { return s.Lists(ttl, n, b) },
				Clicks:  func(ttl time.Duration) statetest.Clicks { return s.Clicks(ttl) },
				Timers:  func(name string, lease time.Duration) statetest.Timers { return s.Timers(name, lease) },
				Tokens:  func() statetest.Tokens { return s.Tokens() },
				Leases:  func(name string) statetest.Leases { return s.Leases(name) },
				Slack:   func() statetest.Slack { return s.Slack() },
				Close:   s.Close,
			}
		}
		return out
	})
}
