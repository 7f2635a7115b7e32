package bot

import (
	"container/list"
	"crypto/rand"
	"encoding/hex"
	"sync"
	"time"

	"github.com/kickbot/kickbot/bot/slackui"
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
	bytes      int    // listStore's estimate of what it holds
	live       string // slackui.ListOptions.LiveNote: set while a watch keeps the list current (watches.go)

	// A private list (the candidates for an ambiguous name) has no ts: it
	// is answered and updated through the response_url of each click, and
	// shows only the participants in only, under intro.
	ephemeral bool
	intro     slackui.Message
	only      map[string]bool
	// outro goes under the rows while nobody on the list was acted on from
	// it (a join alert's Waiting room button).
	outro slackui.Message
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

// ListRetention is how long a list is remembered at all (in memory or in
// the shared store); older ones answer
// "run /kick again". Staleness for acting is the shorter ListMaxAge.
const ListRetention = 24 * time.Hour

// listStore remembers posted lists, bounded by count and by an estimate of
// their bytes: past either bound the oldest are forgotten (a click on one
// gets the "no longer active" answer). Lists are kept in the order they were
// made, so expiry and eviction take from the front: O(1) per list, never a
// scan of the store.
type listStore struct {
	mu       sync.Mutex
	now      func() time.Time
	maxLists int
	maxBytes int
	lists    map[string]*list.Element // of *listRecord
	order    *list.List               // oldest first
	bytes    int
}

func newListStore(now func() time.Time, maxLists, maxBytes int) *listStore {
	return &listStore{now: now, maxLists: maxLists, maxBytes: maxBytes,
		lists: make(map[string]*list.Element), order: list.New()}
}

func newListID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// rosterBytes estimates what a list record holds in memory.
func rosterBytes(r *meeting.Roster) int {
	const perParticipant = 160 // struct, map and slice overhead, roughly
	if r == nil {
		return 0
	}
	n := 512
	for _, p := range r.Participants {
		n += perParticipant + len(p.ID) + len(p.Name) + len(p.Phone)
	}
	return n
}

func (s *listStore) add(r *listRecord) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r.bytes = rosterBytes(r.roster)
	s.lists[r.id] = s.order.PushBack(r)
	s.bytes += r.bytes
	s.expireLocked()
}

// resized records that r's roster was replaced (a Refresh).
func (s *listStore) resized(r *listRecord, roster *meeting.Roster) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.lists[r.id]; !ok {
		return
	}
	n := rosterBytes(roster)
	s.bytes += n - r.bytes
	r.bytes = n
	s.expireLocked()
}

// expireLocked forgets lists past their retention, then the oldest while
// the store is over a bound (never the newest one).
func (s *listStore) expireLocked() {
	now := s.now()
	for e := s.order.Front(); e != nil && s.order.Len() > 1; e = s.order.Front() {
		r := e.Value.(*listRecord)
		if now.Sub(r.created) <= ListRetention && s.order.Len() <= s.maxLists && s.bytes <= s.maxBytes {
			return
		}
		s.removeLocked(r.id)
	}
}

func (s *listStore) removeLocked(id string) {
	e, ok := s.lists[id]
	if !ok {
		return
	}
	r := e.Value.(*listRecord)
	s.order.Remove(e)
	delete(s.lists, id)
	s.bytes -= r.bytes
}

// remove forgets a list whose message could not be posted.
func (s *listStore) remove(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.removeLocked(id)
}

func (s *listStore) get(id string) *listRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expireLocked()
	if e, ok := s.lists[id]; ok {
		return e.Value.(*listRecord)
	}
	return nil
}

// size is how many lists and roughly how many bytes the store holds.
func (s *listStore) size() (lists, bytes int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.order.Len(), s.bytes
}

// clickGuard makes each participant's disconnect happen once however many
// clicks arrive: the first click claims it; later ones learn who has it.
type clickGuard struct {
	mu     sync.Mutex
	claims map[string]claim
	// ages lists (key, at) as claims are made or finished, oldest first, so
	// expiry takes from the front instead of scanning every claim.
	ages []claimAge
}

type claim struct {
	user string
	done bool
	at   time.Time
}

type claimAge struct {
	key string
	at  time.Time
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
	g.expireLocked(now)
	if c, ok := g.claims[key]; ok && !(c.done && readAt.After(c.at)) {
		return c, false
	}
	g.setLocked(key, claim{user: user, at: now})
	return claim{}, true
}

func (g *clickGuard) setLocked(key string, c claim) {
	g.claims[key] = c
	g.ages = append(g.ages, claimAge{key: key, at: c.at})
}

// expireLocked drops claims older than ListRetention. An age entry whose
// claim was renewed since is stale and just dropped.
func (g *clickGuard) expireLocked(now time.Time) {
	i := 0
	for ; i < len(g.ages) && now.Sub(g.ages[i].at) > ListRetention; i++ {
		if c, ok := g.claims[g.ages[i].key]; ok && c.at.Equal(g.ages[i].at) {
			delete(g.claims, g.ages[i].key)
		}
	}
	g.ages = g.ages[i:]
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
	g.setLocked(key, c)
}
