package bot

import (
	"context"
	"fmt"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// groupCache answers "which of these usergroups is this user in", caching
// each group's member list briefly (usergroups.users.list is Tier 2).
type groupCache struct {
	api           SlackAPI
	tier          *tier // usergroups.users.list: Tier 2, app-wide
	onRateLimited func()
	ttl           time.Duration
	now           func() time.Time
	flight        singleflight.Group

	mu      sync.Mutex
	members map[string]cachedGroup
}

type cachedGroup struct {
	users map[string]bool
	at    time.Time
}

// lookupTimeout bounds one usergroup look-up with its rate-limit waits; past
// it the look-up fails and the policy refuses (fail closed).
const lookupTimeout = 10 * time.Second

func newGroupCache(api SlackAPI, ttl time.Duration, now func() time.Time, onRateLimited func()) *groupCache {
	return &groupCache{api: api, ttl: ttl, now: now, members: make(map[string]cachedGroup),
		// Tier 2 is 20+ calls a minute.
		tier: newTier("usergroups.users.list", 3*time.Second, 5), onRateLimited: onRateLimited}
}

// MembershipOf returns the groups (of those given) that user belongs to. Any
// failed look-up fails the whole answer, so the caller refuses.
func (g *groupCache) MembershipOf(ctx context.Context, user string, groups []string) (map[string]bool, error) {
	out := make(map[string]bool, len(groups))
	for _, id := range groups {
		users, err := g.group(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("usergroup %s: %w", id, err)
		}
		if users[user] {
			out[id] = true
		}
	}
	return out, nil
}

func (g *groupCache) group(ctx context.Context, id string) (map[string]bool, error) {
	g.mu.Lock()
	c, ok := g.members[id]
	g.mu.Unlock()
	if ok && g.now().Sub(c.at) < g.ttl {
		return c.users, nil
	}
	v, err, _ := g.flight.Do(id, func() (any, error) {
		ctx, cancel := context.WithTimeout(ctx, lookupTimeout)
		defer cancel()
		var ids []string
		err := g.tier.do(ctx, g.onRateLimited, func(ctx context.Context) error {
			var err error
			ids, err = g.api.GetUserGroupMembersContext(ctx, id)
			return err
		})
		if err != nil {
			return nil, err
		}
		users := make(map[string]bool, len(ids))
		for _, u := range ids {
			users[u] = true
		}
		g.mu.Lock()
		g.members[id] = cachedGroup{users: users, at: g.now()}
		g.mu.Unlock()
		return users, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(map[string]bool), nil
}
