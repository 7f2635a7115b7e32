package bot

import (
	"crypto/rand"
	"encoding/hex"
	"sync"
	"time"

	"github.com/kickbot/kickbot/commands"
	"github.com/kickbot/kickbot/meeting"
)

// listRecord is what the bot knows about a participant list it posted. Clicks
// are checked against it, never against what the button claims.
type listRecord struct {
	mu         sync.Mutex // guards the fields that change; never held across a network call
	id         string
	channel    string
	posted     chan struct{} // closed when the outbox has posted the list, or given up
	ts         string        // set before posted is closed; "" if it was not posted
	msg        *thread       // the posted message, for updates and replies
	conference string
	roster     *meeting.Roster
	page       int
	query      string
	notes      map[string]string // pid → "disconnected by <@U…>"
	created    time.Time

	// A private list (the candidates for an ambiguous name) has no ts: it
	// is answered and updated through the response_url of each click, and
	// shows only the participants in only, under intro.
	ephemeral bool
	intro     commands.Message
	only      map[string]bool
}

// setRoster stores a freshly read roster, keeping a private list to its
// candidates. Callers hold rec.mu or own rec exclusively.
func (rec *listRecord) setRoster(r *meeting.Roster) {
	if rec.only == nil || r == nil {
		rec.roster = r
		return
	}
	kept := *r
	kept.Participants = nil
	for _, p := range r.Participants {
		if rec.only[p.ID] {
			kept.Participants = append(kept.Participants, p)
		}
	}
	rec.roster = &kept
}

// listRetention is how long a list is remembered at all; older ones answer
// "run /kick again". Staleness for acting is the shorter ListMaxAge.
const listRetention = 24 * time.Hour

type listStore struct {
	mu    sync.Mutex
	now   func() time.Time
	lists map[string]*listRecord
}

func newListStore(now func() time.Time) *listStore {
	return &listStore{now: now, lists: make(map[string]*listRecord)}
}

func newListID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func (s *listStore) add(r *listRecord) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for id, old := range s.lists {
		if now.Sub(old.created) > listRetention {
			delete(s.lists, id)
		}
	}
	s.lists[r.id] = r
}

// remove forgets a list whose message could not be posted.
func (s *listStore) remove(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.lists, id)
}

func (s *listStore) get(id string) *listRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lists[id]
}

// clickGuard makes each participant's disconnect happen once however many
// clicks arrive: the first click claims it; later ones learn who has it.
type clickGuard struct {
	mu     sync.Mutex
	claims map[string]claim
}

type claim struct {
	user string
	done bool
	at   time.Time
}

func newClickGuard() *clickGuard { return &clickGuard{claims: make(map[string]claim)} }

// claim returns ok=true if user now owns key; otherwise the existing claim.
// readAt is when the roster the click was made on was read: a finished
// claim only stops clicks on rosters read before it finished, so someone
// who rejoined (with the same pid) and shows up again after a Refresh can
// be disconnected again.
func (g *clickGuard) claim(key, user string, readAt, now time.Time) (claim, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for k, c := range g.claims {
		if now.Sub(c.at) > listRetention {
			delete(g.claims, k)
		}
	}
	if c, ok := g.claims[key]; ok && !(c.done && readAt.After(c.at)) {
		return c, false
	}
	g.claims[key] = claim{user: user, at: now}
	return claim{}, true
}

// finish marks key done, or releases it when the attempt failed so someone
// can try again.
func (g *clickGuard) finish(key string, ok bool, now time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !ok {
		delete(g.claims, key)
		return
	}
	c := g.claims[key]
	c.done, c.at = true, now
	g.claims[key] = c
}
