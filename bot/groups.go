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
	api    SlackAPI
	ttl    time.Duration
	now    func() time.Time
	flight singleflight.Group

	mu      sync.Mutex
	members map[string]cachedGroup
}

type cachedGroup struct {
	users map[string]bool
	at    time.Time
}

func newGroupCache(api SlackAPI, ttl time.Duration, now func() time.Time) *groupCache {
	return &groupCache{api: api, ttl: ttl, now: now, members: make(map[string]cachedGroup)}
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
		ids, err := g.api.GetUserGroupMembersContext(ctx, id)
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
