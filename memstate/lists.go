package memstate

import (
	"container/list"
	"context"
	"time"

	"github.com/kickbot/kickbot/state"
)

// Lists keeps posted lists as versioned records (redisstate's method set):
// at most maxLists, oldest forgotten first, each for ttl.
type Lists struct {
	s        *Store
	ttl      time.Duration
	maxLists int
	maxBytes int
}

// listIndex orders the store's lists by creation, oldest first, so
// eviction takes from the front.
type listIndex struct {
	order *list.List // of listEntry
	byID  map[string]*list.Element
}

type listEntry struct {
	id      string
	created time.Time
}

type listRec struct {
	v int64
	d []byte
}

// Lists returns the list store.
func (s *Store) Lists(ttl time.Duration, maxLists, maxBytes int) *Lists {
	if maxBytes <= 0 {
		maxBytes = state.DefaultMaxListBytes
	}
	return &Lists{s: s, ttl: ttl, maxLists: max(maxLists, 1), maxBytes: maxBytes}
}

func (l *Lists) index() *listIndex {
	if l.s.lists.order == nil {
		l.s.lists = listIndex{order: list.New(), byID: map[string]*list.Element{}}
	}
	return &l.s.lists
}

// Put stores a new list as version 1; ErrConflict when id is taken.
func (l *Lists) Put(_ context.Context, id string, data []byte) error {
	if len(data) > l.maxBytes {
		return state.ErrTooLarge
	}
	l.s.mu.Lock()
	defer l.s.mu.Unlock()
	now := l.s.now()
	k := "list:" + id
	if _, ok := l.s.getLocked(k, now); ok {
		return state.ErrConflict
	}
	l.s.setLocked(k, &listRec{v: 1, d: append([]byte(nil), data...)}, now.Add(l.ttl))
	ix := l.index()
	if e, ok := ix.byID[id]; ok {
		ix.order.Remove(e)
	}
	ix.byID[id] = ix.order.PushBack(listEntry{id: id, created: now})
	for e := ix.order.Front(); e != nil; e = ix.order.Front() {
		le := e.Value.(listEntry)
		if now.Sub(le.created) <= l.ttl && ix.order.Len() <= l.maxLists {
			break
		}
		ix.order.Remove(e)
		delete(ix.byID, le.id)
		delete(l.s.kv, "list:"+le.id)
	}
	return nil
}

// Get returns the list's data and version; ErrNotFound when it is gone.
func (l *Lists) Get(_ context.Context, id string) ([]byte, int64, error) {
	l.s.mu.Lock()
	defer l.s.mu.Unlock()
	v, ok := l.s.getLocked("list:"+id, l.s.now())
	if !ok {
		return nil, 0, state.ErrNotFound
	}
	r := v.(*listRec)
	return append([]byte(nil), r.d...), r.v, nil
}

// Update replaces the list's data if it is still at version; ErrConflict
// when someone updated it since.
func (l *Lists) Update(_ context.Context, id string, version int64, data []byte) (int64, error) {
	if len(data) > l.maxBytes {
		return 0, state.ErrTooLarge
	}
	l.s.mu.Lock()
	defer l.s.mu.Unlock()
	v, ok := l.s.getLocked("list:"+id, l.s.now())
	if !ok {
		return 0, state.ErrNotFound
	}
	r := v.(*listRec)
	if r.v != version {
		return 0, state.ErrConflict
	}
	r.v, r.d = r.v+1, append([]byte(nil), data...)
	return r.v, nil
}

// Modify reads the list, applies fn and writes the result, again from the
// start when another writer got in between. fn may run several times and
// must not have side effects.
func (l *Lists) Modify(ctx context.Context, id string, fn func(data []byte) ([]byte, error)) ([]byte, error) {
	return state.Modify(ctx, l, id, fn)
}

// Delete forgets a list.
func (l *Lists) Delete(_ context.Context, id string) error {
	l.s.mu.Lock()
	defer l.s.mu.Unlock()
	delete(l.s.kv, "list:"+id)
	ix := l.index()
	if e, ok := ix.byID[id]; ok {
		ix.order.Remove(e)
		delete(ix.byID, id)
	}
	return nil
}

// Count is how many lists are kept.
func (l *Lists) Count(context.Context) (int64, error) {
	l.s.mu.Lock()
	defer l.s.mu.Unlock()
	return int64(l.index().order.Len()), nil
}

// Clicks makes each participant's disconnect from a list happen once
// however many clicks arrive (bot's clickGuard, with redisstate's method
// set).
type Clicks struct {
	s   *Store
	ttl time.Duration
}

// Clicks returns the click claims; each lives ttl.
func (s *Store) Clicks(ttl time.Duration) *Clicks { return &Clicks{s: s, ttl: ttl} }

// Claim returns ok true if user now owns key; otherwise the existing
// claim. A finished claim only stops clicks on rosters read before it
// finished.
func (c *Clicks) Claim(_ context.Context, key, user string, readAt, now time.Time) (state.ClickClaim, bool, error) {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	k := "click:" + key
	if v, ok := c.s.getLocked(k, c.s.now()); ok {
		cl := v.(state.ClickClaim)
		if !(cl.Done && readAt.After(cl.At)) {
			return cl, false, nil
		}
	}
	c.s.setLocked(k, state.ClickClaim{User: user, At: now}, c.s.now().Add(c.ttl))
	return state.ClickClaim{}, true, nil
}

// Finish marks user's claim done, or frees it when the attempt failed.
func (c *Clicks) Finish(_ context.Context, key, user string, ok bool, now time.Time) error {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	k := "click:" + key
	v, found := c.s.getLocked(k, c.s.now())
	if !found || v.(state.ClickClaim).User != user {
		return nil
	}
	if !ok {
		delete(c.s.kv, k)
		return nil
	}
	c.s.setLocked(k, state.ClickClaim{User: user, Done: true, At: now}, c.s.now().Add(c.ttl))
	return nil
}
