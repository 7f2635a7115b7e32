package redisstate_test

import (
	"testing"
	"time"

	"github.com/kickbot/kickbot/internal/statetest"
	"github.com/kickbot/kickbot/redisstate"
)

// TestContract runs the shared-state contract with each replica its own
// connection to one Redis, as separate kickbot processes are.
func TestContract(t *testing.T) {
	statetest.Run(t, func(t *testing.T, n int) []statetest.Replica {
		var out []statetest.Replica
		for _, s := range replicas(t, n) {
			out = append(out, replica(s))
		}
		return out
	})
}

func replica(s *redisstate.Store) statetest.Replica {
	return statetest.Replica{
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
