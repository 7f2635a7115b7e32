package meetingtest

import (
	"fmt"
	"slices"
	"time"
)

// confState is where a conference is in its life.
type confState int

const (
	stateScheduled confState = iota // "Schedule": not started, no control token
	stateRunning                    // "Created": running
	stateEnded                      // ended; confDetail reports "Destroyed"
)

// P is a participant as seeded or joined. An empty ID gets a deterministic
// 32-hex pid.
type P struct {
	ID, Name, Phone string
	State           int // 0 in meeting, 1 being called, 2 joining
	Video           bool
	Muted           bool
	Hand            bool
	Sticky          bool   // ignores hang-up: "not really removed" (200, but still online)
	Device          string // WebSocket CLICENT_LOGIN_TYPE: Desktop (default), Mobile, Pad, OtherType
	Anonymous       bool   // WebSocket ANONYMOUS
	// UserUUID and AccountID identify a signed-in user: they go into the
	// invite list (attendees[]) when p is invited, and into realTimeInfo's
	// participants[] only WithRosterUserIDs. Anonymous and dial-in
	// participants have neither.
	UserUUID, AccountID string
	// HostLink: p joins with the host password or the host link, which a
	// lock does not keep out (Join). Ignored by the builders.
	HostLink bool
}

// Invitee is someone on the invite list (realTimeInfo attendees[]), online
// or not.
type Invitee struct {
	Name, Phone         string
	UserUUID, AccountID string
}

type attendee struct {
	name, phone         string
	userUUID, accountID string
	host                bool
}

func invitee(p P, host bool) attendee {
	return attendee{name: p.Name, phone: p.Phone, userUUID: p.UserUUID, accountID: p.AccountID, host: host}
}

type conference struct {
	id, subject       string
	scheduler         string
	schedulerSet      bool
	hostPwd, guestPwd string
	state             confState
	session           int // bumped by every start: tokens of an earlier session stop working

	chairID string
	coHosts []string
	roster  []P            // live participants, in join order
	index   map[string]int // pid → position in roster
	invited []attendee     // attendees[]: everyone seeded by the builder, online or not

	seq         int // pids generated so far
	generated   int // Participants(n) numbering
	failures    int // consecutive wrong host passwords
	lockedUntil time.Time
}

func newConference(id string) *conference {
	return &conference{
		id:       id,
		hostPwd:  stablePassword(id, "chair"),
		guestPwd: stablePassword(id, "general"),
		state:    stateRunning,
		session:  1,
		index:    map[string]int{},
	}
}

// join adds p to the live roster (or updates the participant with that pid).
func (c *conference) join(p P) P {
	if p.ID == "" {
		for {
			c.seq++
			p.ID = stablePID(c.id, c.seq)
			if _, taken := c.index[p.ID]; !taken {
				break
			}
		}
	}
	if i, ok := c.index[p.ID]; ok {
		c.roster[i] = p
		return p
	}
	c.index[p.ID] = len(c.roster)
	c.roster = append(c.roster, p)
	return p
}

// remove drops every pid in gone from the roster except sticky participants,
// in one O(roster) pass.
func (c *conference) remove(gone map[string]bool) {
	kept := c.roster[:0]
	for _, p := range c.roster {
		if !gone[p.ID] || p.Sticky {
			kept = append(kept, p)
		}
	}
	clear(c.roster[len(kept):])
	c.roster = kept
	c.reindex()
}

func (c *conference) reindex() {
	clear(c.index)
	for i, p := range c.roster {
		c.index[p.ID] = i
	}
}

func (c *conference) online(pid string) bool {
	_, ok := c.index[pid]
	return ok
}

// conf returns the conference or panics: seeding or changing a conference
// that was never added is a bug in the test, best reported at once.
func (s *Server) conf(id string) *conference {
	c, ok := s.confs[id]
	if !ok {
		panic(fmt.Sprintf("meetingtest: unknown conference %q", id))
	}
	return c
}

// ConferenceBuilder seeds one conference; every method returns the builder so
// calls chain. Safe to use while requests run.
type ConferenceBuilder struct {
	s *Server
	c *conference
}

// AddConference adds (or replaces) a running conference with deterministic
// host and guest passwords (see HostPassword) and no participants.
func (s *Server) AddConference(id string) *ConferenceBuilder {
	c := newConference(id)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.confs[id] = c
	return &ConferenceBuilder{s: s, c: c}
}

func (b *ConferenceBuilder) with(f func(c *conference)) *ConferenceBuilder {
	b.s.mu.Lock()
	defer b.s.mu.Unlock()
	f(b.c)
	return b
}

// Subject sets the meeting subject confDetail reports.
func (b *ConferenceBuilder) Subject(subject string) *ConferenceBuilder {
	return b.with(func(c *conference) { c.subject = subject })
}

// Scheduler sets who scheduled the meeting: only access tokens acting as this
// user see the chair password in confDetail. If Scheduler is never called,
// every token sees it (visibility is not modelled).
func (b *ConferenceBuilder) Scheduler(userID string) *ConferenceBuilder {
	return b.with(func(c *conference) { c.scheduler, c.schedulerSet = userID, true })
}

// Passwords sets the host (chair) and guest (general) passwords.
func (b *ConferenceBuilder) Passwords(host, guest string) *ConferenceBuilder {
	return b.with(func(c *conference) { c.hostPwd, c.guestPwd = host, guest })
}

// Scheduled makes the meeting not started: confDetail says "Schedule" and
// control tokens are refused with MMC.111072005 until Start.
func (b *ConferenceBuilder) Scheduled() *ConferenceBuilder {
	return b.with(func(c *conference) { c.state = stateScheduled })
}

// Running makes the meeting running (the default).
func (b *ConferenceBuilder) Running() *ConferenceBuilder {
	return b.with(func(c *conference) { c.state = stateRunning })
}

// Ended makes the meeting ended: confDetail says "Destroyed", control tokens
// are refused with MMC.111072005.
func (b *ConferenceBuilder) Ended() *ConferenceBuilder {
	return b.with(func(c *conference) { c.state = stateEnded })
}

// Host adds p online as the host: its pid becomes confInfo.chairID.
func (b *ConferenceBuilder) Host(p P) *ConferenceBuilder {
	return b.with(func(c *conference) {
		p = c.join(p)
		c.chairID = p.ID
		c.invited = append(c.invited, invitee(p, true))
	})
}

// CoHost adds p online as a co-host (listed in confInfo.coHosts).
func (b *ConferenceBuilder) CoHost(p P) *ConferenceBuilder {
	return b.with(func(c *conference) {
		p = c.join(p)
		if !slices.Contains(c.coHosts, p.ID) {
			c.coHosts = append(c.coHosts, p.ID)
		}
		c.invited = append(c.invited, invitee(p, false))
	})
}

// Participant adds p online as an invited, ordinary participant.
func (b *ConferenceBuilder) Participant(p P) *ConferenceBuilder {
	return b.with(func(c *conference) {
		p = c.join(p)
		c.invited = append(c.invited, invitee(p, false))
	})
}

// Uninvited adds p online but not on the invite list: someone who joined
// with the meeting ID or a forwarded link.
func (b *ConferenceBuilder) Uninvited(p P) *ConferenceBuilder {
	return b.with(func(c *conference) { c.join(p) })
}

// Anonymous adds p online as an anonymous joiner: not invited, no user
// identity (UserUUID and AccountID are cleared), ANONYMOUS on the WebSocket.
func (b *ConferenceBuilder) Anonymous(p P) *ConferenceBuilder {
	p.Anonymous, p.UserUUID, p.AccountID = true, "", ""
	return b.with(func(c *conference) { c.join(p) })
}

// Invite puts a on the invite list without bringing anyone online.
func (b *ConferenceBuilder) Invite(a Invitee) *ConferenceBuilder {
	return b.with(func(c *conference) {
		c.invited = append(c.invited, attendee{name: a.Name, phone: a.Phone, userUUID: a.UserUUID, accountID: a.AccountID})
	})
}

// Participants adds n generated online participants named "Participant 0001",
// "Participant 0002", … with phones +8613900000001… and deterministic pids.
// Numbering continues across calls.
func (b *ConferenceBuilder) Participants(n int) *ConferenceBuilder {
	return b.with(func(c *conference) {
		c.roster = slices.Grow(c.roster, n)
		c.invited = slices.Grow(c.invited, n)
		for range n {
			c.generated++
			p := c.join(P{
				Name:  fmt.Sprintf("Participant %04d", c.generated),
				Phone: fmt.Sprintf("+86139%08d", c.generated),
			})
			c.invited = append(c.invited, invitee(p, false))
		}
	})
}

// HostPassword returns the conference's host (chair) password; useful when
// the test did not set one with Passwords.
func (s *Server) HostPassword(confID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conf(confID).hostPwd
}

// Start starts (or restarts) the meeting. Control tokens from an earlier run
// stop working.
func (s *Server) Start(confID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.conf(confID)
	if c.state != stateRunning {
		c.state = stateRunning
		c.session++
	}
}

// End ends the meeting: everyone is disconnected, new control tokens are
// refused (MMC.111072005) and tokens already issued get MMC.111072006.
func (s *Server) End(confID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.conf(confID)
	c.state = stateEnded
	c.roster = nil
	c.reindex()
	s.wsEnded(c)
}

// Join puts p online (an uninvited participant; a second device of someone is
// simply another pid). A participant with the same pid is replaced. While
// the meeting is locked (Lock, SetLocked) a guest join is refused and Join
// reports false; a join with the host password or link (p.HostLink) is
// admitted, as upstream (meeting-api.md §14a).
func (s *Server) Join(confID string, p P) (admitted bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.conf(confID)
	lc := s.live(confID)
	if lc.locked && !p.HostLink {
		lc.refusedJoins++
		return false
	}
	s.listChanged(c, NotifyParticipants, []P{c.join(p)}, nil)
	return true
}

// RefusedJoins is how many guest joins a lock has refused in conf.
func (s *Server) RefusedJoins(confID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.live(confID).refusedJoins
}

// Leave takes pid offline; unknown pids are ignored.
func (s *Server) Leave(confID, pid string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	// Leaving is not a hang-up: a sticky participant can leave too.
	c := s.conf(confID)
	if i, ok := c.index[pid]; ok {
		c.roster = slices.Delete(c.roster, i, i+1)
		c.reindex()
		s.listChanged(c, NotifyParticipants, nil, []string{pid})
	}
}

// Online returns the live participants of a running meeting, in join order
// (nil when the meeting is unknown or not running).
func (s *Server) Online(confID string) []P {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.confs[confID]
	if !ok || c.state != stateRunning {
		return nil
	}
	return slices.Clone(c.roster)
}
