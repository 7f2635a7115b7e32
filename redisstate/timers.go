package redisstate

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/kickbot/kickbot/state"
)

// DefaultFireLease is how long a replica that took a due timer has to fire
// it (commands' auto-unlock call is bounded at 30 s) before another may
// take it again.
const DefaultFireLease = 2 * time.Minute

// timerKeep is how long timer keys outlive their latest due time.
const timerKeep = 24 * time.Hour

// Timers are durable timers (commands.Locks' auto-unlocks), fired once by
// whichever replica is alive: a sorted set of due times; a poller takes the
// due ones atomically (one script: ZRANGEBYSCORE and ZREM), so two
// pollers never get the same one, and holds each under a fire lease. A
// replica that dies while firing loses the lease, and the timer is taken
// again (at least once, then: an unlock is safe to repeat).
type Timers struct {
	s     *Store
	name  string
	lease time.Duration
}

// Timers returns the timers called name ("unlock"); lease is the fire
// lease (DefaultFireLease).
func (s *Store) Timers(name string, lease time.Duration) *Timers {
	return &Timers{s: s, name: name, lease: lease}
}

// Timer is one scheduled timer.
type Timer = state.Timer

func (t *Timers) keys() []string {
	return []string{t.s.key("timers", t.name), t.s.key("timers", t.name, "firing"), t.s.key("timers", t.name, "data")}
}

var (
	// scheduleScript: KEYS pending, firing, data; ARGV id, due ms, value,
	// keep ms. Replaces any timer with this id, firing or not.
	scheduleScript = redis.NewScript(`
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HSET', KEYS[3], ARGV[1], ARGV[3])
for i = 1, 3 do
  if redis.call('PTTL', KEYS[i]) < tonumber(ARGV[4]) then redis.call('PEXPIRE', KEYS[i], ARGV[4]) end
end
return 1
`)
	cancelScript = redis.NewScript(`
local n = redis.call('ZREM', KEYS[1], ARGV[1]) + redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
return n
`)
	// dueScript: ARGV now ms, lease-until ms, max. Takes due timers, and
	// firing ones whose lease lapsed, under a new lease; answers id,
	// value pairs.
	dueScript = redis.NewScript(`
local out = {}
for _, set in ipairs({KEYS[1], KEYS[2]}) do
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', set, '-inf', ARGV[1], 'LIMIT', 0, ARGV[3])) do
    redis.call('ZREM', KEYS[1], id)
    local v = redis.call('HGET', KEYS[3], id)
    if v then
      redis.call('ZADD', KEYS[2], ARGV[2], id)
      table.insert(out, id)
      table.insert(out, v)
    else
      redis.call('ZREM', KEYS[2], id)
    end
  end
end
return out
`)
	// doneScript forgets a fired timer unless it was rescheduled since
	// (its generation changed).
	doneScript = redis.NewScript(`
local v = redis.call('HGET', KEYS[3], ARGV[1])
if v and string.sub(v, 1, 32) == ARGV[2] then
  redis.call('HDEL', KEYS[3], ARGV[1])
  redis.call('ZREM', KEYS[2], ARGV[1])
end
return 1
`)
)

// Schedule arms id's timer for due, replacing an older one.
func (t *Timers) Schedule(ctx context.Context, id string, due time.Time, payload []byte) error {
	ctx, cancel := t.s.op(ctx)
	defer cancel()
	// value: generation, due ms, payload, newline-separated.
	v := newToken() + "\n" + strconv.FormatInt(due.UnixMilli(), 10) + "\n" + string(payload)
	keep := max(time.Until(due), 0) + timerKeep
	err := scheduleScript.Run(ctx, t.s.rdb, t.keys(), id, due.UnixMilli(), v, ms(keep)).Err()
	return t.s.wrap("timer schedule", err)
}

// Cancel disarms id's timer; it reports whether one was armed.
func (t *Timers) Cancel(ctx context.Context, id string) (bool, error) {
	ctx, cancel := t.s.op(ctx)
	defer cancel()
	n, err := cancelScript.Run(ctx, t.s.rdb, t.keys(), id).Int64()
	if err != nil {
		return false, t.s.wrap("timer cancel", err)
	}
	return n > 0, nil
}

// Pending lists the armed timers, soonest first (for Stop's report and for
// "locked until" answers).
func (t *Timers) Pending(ctx context.Context) ([]Timer, error) {
	ctx, cancel := t.s.op(ctx)
	defer cancel()
	ids, err := t.s.rdb.ZRange(ctx, t.keys()[0], 0, -1).Result()
	if err != nil || len(ids) == 0 {
		return nil, t.s.wrap("timer pending", err)
	}
	vs, err := t.s.rdb.HMGet(ctx, t.keys()[2], ids...).Result()
	if err != nil {
		return nil, t.s.wrap("timer pending", err)
	}
	var out []Timer
	for i, id := range ids {
		if v, ok := vs[i].(string); ok {
			if tm, err := parseTimer(id, v); err == nil {
				out = append(out, tm)
			}
		}
	}
	return out, nil
}

// Due takes up to n timers due at now (and any whose firer's lease
// lapsed) for this replica to fire; call Done after firing each. now is
// the caller's clock, so tests move time by hand.
func (t *Timers) Due(ctx context.Context, now time.Time, n int) ([]Timer, error) {
	ctx, cancel := t.s.op(ctx)
	defer cancel()
	r, err := dueScript.Run(ctx, t.s.rdb, t.keys(), now.UnixMilli(), now.Add(t.lease).UnixMilli(), max(n, 1)).StringSlice()
	if err != nil {
		return nil, t.s.wrap("timer due", err)
	}
	var out []Timer
	for i := 0; i+1 < len(r); i += 2 {
		tm, err := parseTimer(r[i], r[i+1])
		if err != nil {
			return out, err
		}
		out = append(out, tm)
	}
	return out, nil
}

// Done forgets a fired timer (unless it was rescheduled meanwhile).
func (t *Timers) Done(ctx context.Context, tm Timer) error {
	ctx, cancel := t.s.op(ctx)
	defer cancel()
	return t.s.wrap("timer done", doneScript.Run(ctx, t.s.rdb, t.keys(), tm.ID, tm.Gen).Err())
}

func parseTimer(id, v string) (Timer, error) {
	gen, rest, ok1 := strings.Cut(v, "\n")
	due, payload, ok2 := strings.Cut(rest, "\n")
	n, err := strconv.ParseInt(due, 10, 64)
	if !ok1 || !ok2 || err != nil || len(gen) != tokenLen {
		return Timer{}, fmt.Errorf("redisstate: malformed timer %q", id)
	}
	return Timer{ID: id, Due: time.UnixMilli(n), Payload: []byte(payload), Gen: gen}, nil
}

// Poll fires due timers every interval until ctx ends, on the caller's
// goroutine (its owner). fire runs under ctx; a panic in it is recovered
// and reported to onErr with the timer left to be taken again when its
// lease lapses. Store errors go to onErr and the loop keeps polling: Redis
// may come back.
func (t *Timers) Poll(ctx context.Context, interval time.Duration, now func() time.Time,
	fire func(context.Context, Timer), onErr func(error)) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		// One timer at a time: each is taken just before it fires, so its
		// lease covers one fire, not a queue of them.
		for ctx.Err() == nil {
			due, err := t.Due(ctx, now(), 1)
			if ctx.Err() != nil {
				// Stopping: a timer this call took stays under its lease,
				// for another replica once it lapses.
				return
			}
			if err != nil && onErr != nil {
				onErr(err)
			}
			if len(due) == 0 {
				break
			}
			if state.FireSafely(ctx, t.name, due[0], fire, onErr) {
				if err := t.Done(ctx, due[0]); err != nil && onErr != nil {
					onErr(err)
				}
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
