package memstate

import (
	"context"
	"errors"
	"sort"
	"time"

	"github.com/kickbot/kickbot/state"
)

// Leases are exclusive, expiring ownerships (redisstate's method set). With
// one replica they always go to it, but the contract is the same, so code
// that takes a lease runs unchanged on either backend.
type Leases struct {
	s    *Store
	name string
}

// Leases returns the leases called name.
func (s *Store) Leases(name string) *Leases { return &Leases{s: s, name: name} }

type leaseVal struct{ token, owner string }

func (l *Leases) key(key string) string { return "lease:" + l.name + ":" + key }

// Acquire takes key's lease for owner for ttl; ok false when it is held.
func (l *Leases) Acquire(_ context.Context, key, owner string, ttl time.Duration) (state.Lease, bool, error) {
	l.s.mu.Lock()
	defer l.s.mu.Unlock()
	now := l.s.now()
	k := l.key(key)
	if _, held := l.s.getLocked(k, now); held {
		return state.Lease{}, false, nil
	}
	tok := newToken()
	l.s.setLocked(k, leaseVal{token: tok, owner: owner}, now.Add(ttl))
	return state.Lease{Key: k, Token: tok}, true, nil
}

// Holder is who holds key's lease ("" when nobody does).
func (l *Leases) Holder(_ context.Context, key string) (string, error) {
	l.s.mu.Lock()
	defer l.s.mu.Unlock()
	if v, ok := l.s.getLocked(l.key(key), l.s.now()); ok {
		return v.(leaseVal).owner, nil
	}
	return "", nil
}

// Renew extends the lease to ttl from now; ErrLeaseLost when it lapsed.
func (l *Leases) Renew(_ context.Context, lease state.Lease, ttl time.Duration) error {
	l.s.mu.Lock()
	defer l.s.mu.Unlock()
	now := l.s.now()
	v, ok := l.s.getLocked(lease.Key, now)
	if !ok || v.(leaseVal).token != lease.Token {
		return state.ErrLeaseLost
	}
	l.s.setLocked(lease.Key, v, now.Add(ttl))
	return nil
}

// Release gives the lease up if it is still ours.
func (l *Leases) Release(_ context.Context, lease state.Lease) error {
	l.s.mu.Lock()
	defer l.s.mu.Unlock()
	if v, ok := l.s.getLocked(lease.Key, l.s.now()); ok && v.(leaseVal).token == lease.Token {
		delete(l.s.kv, lease.Key)
	}
	return nil
}

// renewLockTTL matches redisstate's.
const renewLockTTL = 30 * time.Second

// Tokens caches one control token per meeting (redisstate's method set).
type Tokens struct {
	s     *Store
	locks *Leases
}

// Tokens returns the control-token cache.
func (s *Store) Tokens() *Tokens { return &Tokens{s: s, locks: s.Leases("ctoken-renew")} }

// Get returns conf's cached token.
func (t *Tokens) Get(_ context.Context, conf string) (state.Token, bool, error) {
	t.s.mu.Lock()
	defer t.s.mu.Unlock()
	if v, ok := t.s.getLocked("ctoken:"+conf, t.s.now()); ok {
		return v.(state.Token), true, nil
	}
	return state.Token{}, false, nil
}

// Put stores conf's token until it expires.
func (t *Tokens) Put(_ context.Context, conf string, tok state.Token) error {
	t.s.mu.Lock()
	defer t.s.mu.Unlock()
	if tok.Expires.After(t.s.now()) {
		t.s.setLocked("ctoken:"+conf, tok, tok.Expires)
	}
	return nil
}

// Drop forgets conf's token if it still is value.
func (t *Tokens) Drop(_ context.Context, conf, value string) error {
	t.s.mu.Lock()
	defer t.s.mu.Unlock()
	if v, ok := t.s.getLocked("ctoken:"+conf, t.s.now()); ok && v.(state.Token).Value == value {
		delete(t.s.kv, "ctoken:"+conf)
	}
	return nil
}

// Renew returns conf's token if fresh accepts it, or gets a new one with
// fetch, one caller at a time; the others wait for its token.
func (t *Tokens) Renew(ctx context.Context, conf, owner string, fresh func(state.Token) bool,
	fetch func(ctx context.Context, current state.Token) (state.Token, error)) (state.Token, error) {
	wait := time.Duration(0)
	for {
		cur, ok, _ := t.Get(ctx, conf)
		if ok && fresh(cur) {
			return cur, nil
		}
		lease, got, _ := t.locks.Acquire(ctx, conf, owner, renewLockTTL)
		if got {
			return t.renewLocked(ctx, conf, lease, fresh, fetch)
		}
		wait = min(max(2*wait, 5*time.Millisecond), 200*time.Millisecond)
		if err := state.Sleep(ctx, wait); err != nil {
			return state.Token{}, err
		}
	}
}

func (t *Tokens) renewLocked(ctx context.Context, conf string, lease state.Lease, fresh func(state.Token) bool,
	fetch func(ctx context.Context, current state.Token) (state.Token, error)) (state.Token, error) {
	defer func() { _ = t.locks.Release(ctx, lease) }()
	cur, ok, _ := t.Get(ctx, conf)
	if ok && fresh(cur) {
		return cur, nil
	}
	fctx, cancel := context.WithTimeout(ctx, renewLockTTL)
	defer cancel()
	nt, err := fetch(fctx, cur)
	if err != nil {
		return state.Token{}, err
	}
	if nt.Value == "" {
		return state.Token{}, errors.New("memstate: fetch returned an empty token")
	}
	return nt, t.Put(ctx, conf, nt)
}

// Timers are one replica's timers with redisstate's method set: a timer
// taken by Due is held under a fire lease until Done. They end with the
// process: durable timers need redisstate.
type Timers struct {
	s     *Store
	name  string
	lease time.Duration
}

// Timers returns the timers called name.
func (s *Store) Timers(name string, lease time.Duration) *Timers {
	return &Timers{s: s, name: name, lease: lease}
}

type timerVal struct {
	t           state.Timer
	firingUntil time.Time // zero while pending
}

func (t *Timers) set() map[string]*timerVal {
	k := "timers:" + t.name
	v, ok := t.s.getLocked(k, t.s.now())
	if !ok {
		v = map[string]*timerVal{}
		t.s.setLocked(k, v, time.Time{})
	}
	return v.(map[string]*timerVal)
}

// Schedule arms id's timer for due, replacing an older one.
func (t *Timers) Schedule(_ context.Context, id string, due time.Time, payload []byte) error {
	t.s.mu.Lock()
	defer t.s.mu.Unlock()
	t.set()[id] = &timerVal{t: state.Timer{ID: id, Due: due, Payload: append([]byte(nil), payload...), Gen: newToken()}}
	return nil
}

// Cancel disarms id's timer; it reports whether one was armed.
func (t *Timers) Cancel(_ context.Context, id string) (bool, error) {
	t.s.mu.Lock()
	defer t.s.mu.Unlock()
	set := t.set()
	_, ok := set[id]
	delete(set, id)
	return ok, nil
}

// Pending lists the armed timers not being fired, soonest first.
func (t *Timers) Pending(context.Context) ([]state.Timer, error) {
	t.s.mu.Lock()
	defer t.s.mu.Unlock()
	var out []state.Timer
	for _, v := range t.set() {
		if v.firingUntil.IsZero() {
			out = append(out, v.t)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Due.Before(out[j].Due) })
	return out, nil
}

// Due takes up to n timers due at now (and any whose fire lease lapsed).
func (t *Timers) Due(_ context.Context, now time.Time, n int) ([]state.Timer, error) {
	t.s.mu.Lock()
	defer t.s.mu.Unlock()
	var out []state.Timer
	for _, v := range t.set() {
		if (v.firingUntil.IsZero() && !v.t.Due.After(now)) || (!v.firingUntil.IsZero() && !v.firingUntil.After(now)) {
			out = append(out, v.t)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Due.Before(out[j].Due) })
	out = out[:min(len(out), max(n, 1))]
	for _, tm := range out {
		t.set()[tm.ID].firingUntil = now.Add(t.lease)
	}
	return out, nil
}

// Done forgets a fired timer unless it was rescheduled meanwhile.
func (t *Timers) Done(_ context.Context, tm state.Timer) error {
	t.s.mu.Lock()
	defer t.s.mu.Unlock()
	set := t.set()
	if v, ok := set[tm.ID]; ok && v.t.Gen == tm.Gen {
		delete(set, tm.ID)
	}
	return nil
}

// Poll fires due timers every interval until ctx ends, on the caller's
// goroutine; a panic in fire is recovered and told to onErr, the timer
// left to be taken again when its lease lapses.
func (t *Timers) Poll(ctx context.Context, interval time.Duration, now func() time.Time,
	fire func(context.Context, state.Timer), onErr func(error)) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		// One timer at a time, each taken just before it fires.
		for ctx.Err() == nil {
			due, _ := t.Due(ctx, now(), 1)
			if len(due) == 0 {
				break
			}
			if state.FireSafely(ctx, t.name, due[0], fire, onErr) {
				_ = t.Done(ctx, due[0])
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
