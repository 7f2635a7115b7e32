package memstate

import (
	"context"
	"time"
)

// Deduper records keys once (bot's memoryDeduper, with the Seen method of
// redisstate's).
type Deduper struct {
	s   *Store
	ttl time.Duration
}

// Deduper returns a de-duplicator whose keys live ttl. onErr is never
// called: memory does not fail.
func (s *Store) Deduper(ttl time.Duration, onErr func(error)) *Deduper {
	return &Deduper{s: s, ttl: ttl}
}

// Seen records key and reports whether it was new.
func (d *Deduper) Seen(_ context.Context, key string) (bool, error) {
	return d.FirstTime(key), nil
}

// FirstTime records key and reports whether it was new.
func (d *Deduper) FirstTime(key string) bool {
	d.s.mu.Lock()
	defer d.s.mu.Unlock()
	now := d.s.now()
	k := "dedupe:" + key
	if _, ok := d.s.getLocked(k, now); ok {
		return false
	}
	d.s.setLocked(k, true, now.Add(d.ttl))
	return true
}

// gcraLocked is the generic cell rate algorithm of redisstate's script:
// key holds the theoretical arrival time.
func (s *Store) gcraLocked(key string, every time.Duration, burst int, take bool) (bool, time.Duration) {
	now := s.now()
	tat := now
	if v, ok := s.getLocked(key, now); ok && v.(time.Time).After(now) {
		tat = v.(time.Time)
	}
	next := tat.Add(every)
	if wait := next.Add(-every * time.Duration(max(burst, 1))).Sub(now); wait > 0 {
		return false, wait
	}
	if take {
		s.setLocked(key, next, next)
	}
	return true, 0
}

// Limiter allows each user perMinute calls a minute, with a burst of the
// same size.
type Limiter struct {
	s     *Store
	name  string
	every time.Duration
	burst int
}

// Limiter returns the limiter called name ("commands", "clicks").
func (s *Store) Limiter(name string, perMinute int) *Limiter {
	perMinute = max(perMinute, 1)
	return &Limiter{s: s, name: name, every: time.Minute / time.Duration(perMinute), burst: perMinute}
}

// Allow takes one of user's calls; when refused, retryIn says when the
// next is allowed.
func (l *Limiter) Allow(_ context.Context, user string) (bool, time.Duration, error) {
	l.s.mu.Lock()
	defer l.s.mu.Unlock()
	ok, wait := l.s.gcraLocked("rate:"+l.name+":"+user, l.every, l.burst, true)
	return ok, wait, nil
}

// SlackLimits holds Retry-Afters and pacing budgets per bucket (bot's
// tier state, with redisstate's method set).
type SlackLimits struct{ s *Store }

// Slack returns the Slack rate-limit state.
func (s *Store) Slack() *SlackLimits { return &SlackLimits{s: s} }

// Hold stops calls in bucket for d, unless a longer hold runs.
func (l *SlackLimits) Hold(_ context.Context, bucket string, d time.Duration) error {
	l.s.mu.Lock()
	defer l.s.mu.Unlock()
	now := l.s.now()
	k := "slack:hold:" + bucket
	if d > 0 && l.s.ttlLocked(k, now) < d {
		l.s.setLocked(k, true, now.Add(d))
	}
	return nil
}

// Held is how long bucket's running hold lasts (0: none).
func (l *SlackLimits) Held(_ context.Context, bucket string) (time.Duration, error) {
	l.s.mu.Lock()
	defer l.s.mu.Unlock()
	return l.s.ttlLocked("slack:hold:"+bucket, l.s.now()), nil
}

// Take takes one call from bucket's budget if no hold runs and the budget
// allows it now (wait 0); otherwise nothing is taken.
func (l *SlackLimits) Take(_ context.Context, bucket string, every time.Duration, burst int) (time.Duration, error) {
	return l.run(bucket, every, burst, true), nil
}

// Delay is how long until a call in bucket may start, taking nothing.
func (l *SlackLimits) Delay(_ context.Context, bucket string, every time.Duration, burst int) (time.Duration, error) {
	return l.run(bucket, every, burst, false), nil
}

func (l *SlackLimits) run(bucket string, every time.Duration, burst int, take bool) time.Duration {
	l.s.mu.Lock()
	defer l.s.mu.Unlock()
	if held := l.s.ttlLocked("slack:hold:"+bucket, l.s.now()); held > 0 {
		return held
	}
	if ok, wait := l.s.gcraLocked("slack:budget:"+bucket, every, burst, take); !ok {
		return wait
	}
	return 0
}
