package bot

import (
	"sync"
	"time"
)

// Deduper remembers keys (envelope IDs) so work is done once even when Slack
// redelivers. The in-memory implementation lasts a replica's lifetime; a
// shared store (Redis SET NX with a TTL, say) can implement it for several
// replicas. FirstTime runs on the event loop before the envelope is acked
// (Slack's deadline is 3 s), so it must answer within milliseconds: a
// shared store needs a short timeout of its own.
type Deduper interface {
	// FirstTime records key and reports whether it was new.
	FirstTime(key string) bool
}

// memoryDeduper forgets keys after ttl. Expired keys are swept as new ones
// arrive, so memory is bounded by the number of keys seen within ttl.
type memoryDeduper struct {
	mu        sync.Mutex
	ttl       time.Duration
	now       func() time.Time
	seen      map[string]time.Time
	lastSweep time.Time
}

func newMemoryDeduper(ttl time.Duration, now func() time.Time) *memoryDeduper {
	return &memoryDeduper{ttl: ttl, now: now, seen: make(map[string]time.Time)}
}

func (d *memoryDeduper) FirstTime(key string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.now()
	if now.Sub(d.lastSweep) > d.ttl/4 {
		for k, at := range d.seen {
			if now.Sub(at) > d.ttl {
				delete(d.seen, k)
			}
		}
		d.lastSweep = now
	}
	if at, ok := d.seen[key]; ok && now.Sub(at) <= d.ttl {
		return false
	}
	d.seen[key] = now
	return true
}
