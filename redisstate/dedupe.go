package redisstate

import (
	"context"
	"time"
)

// defaultDedupeTimeout bounds FirstTime: it runs on the event loop before
// the envelope is acked (Slack's deadline is 3 s), so a slow Redis must not
// cost the ack.
const defaultDedupeTimeout = 250 * time.Millisecond

// Deduper records keys (envelope IDs, command identities) once across every
// replica: SET key NX PX ttl.
type Deduper struct {
	s       *Store
	ttl     time.Duration
	timeout time.Duration
	onErr   func(error)
}

// Deduper returns a de-duplicator whose keys live ttl (longer than Slack's
// retry window). onErr (may be nil) hears of every failure FirstTime
// swallowed, for the log and metrics.
func (s *Store) Deduper(ttl time.Duration, onErr func(error)) *Deduper {
	return &Deduper{s: s, ttl: ttl, timeout: defaultDedupeTimeout, onErr: onErr}
}

// Seen records key and reports whether it was new.
func (d *Deduper) Seen(ctx context.Context, key string) (first bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, min(d.timeout, d.s.opTimeout))
	defer cancel()
	ok, err := d.s.rdb.SetNX(ctx, d.s.key("dedupe", key), "1", d.ttl).Result()
	if err != nil {
		return false, d.s.wrap("dedupe", err)
	}
	return ok, nil
}

// FirstTime is bot.Deduper's method. When Redis fails it answers true and
// tells onErr: dropping the envelope would lose a command without a word,
// while letting it through reaches the claim, which fails closed and tells
// the user the state store is unavailable. So a redelivery while Redis is
// down may answer twice, but never disconnects twice.
func (d *Deduper) FirstTime(key string) bool {
	first, err := d.Seen(context.Background(), key)
	if err != nil {
		if d.onErr != nil {
			d.onErr(err)
		}
		return true
	}
	return first
}
