package commands

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kickbot/kickbot/meeting"
)

// Kicks for the same meeting that wait together are carried out together
// (issue 17): in a raid, many moderators name many people at once, and
// reading the whole roster and hanging up one person per command made the
// last victim wait for everyone before them. A lane per meeting takes every
// kick waiting for it as one batch: one roster read, each kick resolved and
// checked on its own, one disconnect call for the union of their targets
// (the meeting client splits it at MEETING_MAX_PER_HANGUP), and one
// confirming read; each kick then gets its own outcome, as if it had run
// alone. Kicks that arrive while a batch runs form the next one. A lone
// kick never waits: the first kick for an idle meeting starts at once.

// defaultBatchStall is how long a running batch holds the next one back. A
// disconnect that takes longer (a slow or retrying meeting service) must
// not make every later kick for the meeting wait for it: the next batch
// then starts beside it, and claims keep the two from disconnecting anyone
// twice. It is well above a healthy batch's duration, so bursts still
// coalesce.
const defaultBatchStall = 250 * time.Millisecond

func (s *Service) batchStall() time.Duration {
	if s.BatchStall > 0 {
		return s.BatchStall
	}
	return defaultBatchStall
}

// lanes is the set of meetings with kicks waiting or running. The zero
// value is ready; the Service owns it, and each lane's goroutine ends as
// soon as its meeting has nothing waiting or running.
type lanes struct {
	mu     sync.Mutex
	byConf map[string]*lane
}

// lane is one meeting's queue of kicks.
type lane struct {
	conference string
	pending    []*member     // guarded by lanes.mu
	wake       chan struct{} // a kick was added (capacity 1)
}

// member is one kick in a lane, and what its batch decided for it.
type member struct {
	ctx     context.Context
	kick    Kick
	started func()
	done    chan struct{} // closed once the fields below are set

	roster *meeting.Roster
	res    Resolution
	out    Outcome
	err    error
	kicked bool     // out is unfinished: finish it after the waits
	theirs []Match  // targets another kick is disconnecting …
	waits  []*claim // … and the claims to wait on for their result …
	claims *Claims  // … in this registry
	panic  any      // the batch panicked: raised again on the caller's goroutine
}

// errBatchPanic is what every kick of a batch is told when kickbot itself
// failed while carrying it out.
var errBatchPanic = errors.New("internal error while carrying out kicks")

// Kick reads the roster, resolves k's targets and disconnects them,
// together with the other kicks for the same meeting that are waiting (see
// lanes). Every rule holds for k on its own: protected and unmatched
// targets are reported, never disconnected; a kick with an ambiguous target
// disconnects nobody and returns its Resolution with a zero Outcome, for the
// caller to offer the candidates, with the roster they are from (a roster
// lent by HeldRosters comes back as its header only, see resolveAll); err
// is a failed roster read, as from Plan. started, when not nil, is called just before k's targets are disconnected
// (on the batch's goroutine; it must not block). A failure of the shared
// disconnect call is the failure of every kick in it.
func (s *Service) Kick(ctx context.Context, k Kick, started func()) (*meeting.Roster, Resolution, Outcome, error) {
	m := &member{ctx: ctx, kick: k, started: started, done: make(chan struct{})}
	l := s.enqueue(m)
	select {
	case <-m.done:
	case <-ctx.Done():
		if s.withdraw(l, m) {
			// Never taken into a batch: nothing was done.
			return nil, Resolution{}, Outcome{}, &conferenceError{conference: k.Conference, err: ctx.Err()}
		}
		// Its batch is running: the batch ends soon (its context ends with
		// the last of its kicks'), and what it did must be reported.
		<-m.done
	}
	if m.panic != nil {
		// The caller's own recover (the bot's worker) logs it and tells
		// the moderator, as for a panic on its goroutine.
		panic(m.panic)
	}
	if m.kicked {
		m.claims.addShared(ctx, &m.out, m.theirs, m.waits)
		m.out = s.finishOutcome(m.out, true)
	}
	return m.roster, m.res, m.out, m.err
}

// enqueue adds m to its meeting's lane, starting the lane if it is idle.
func (s *Service) enqueue(m *member) *lane {
	s.lanes.mu.Lock()
	defer s.lanes.mu.Unlock()
	if s.lanes.byConf == nil {
		s.lanes.byConf = make(map[string]*lane)
	}
	l := s.lanes.byConf[m.kick.Conference]
	if l == nil {
		l = &lane{conference: m.kick.Conference, wake: make(chan struct{}, 1)}
		s.lanes.byConf[l.conference] = l
		go s.runLane(l)
	}
	l.pending = append(l.pending, m)
	select {
	case l.wake <- struct{}{}:
	default:
	}
	return l
}

// withdraw removes m from l's queue if no batch has taken it yet.
func (s *Service) withdraw(l *lane, m *member) bool {
	s.lanes.mu.Lock()
	defer s.lanes.mu.Unlock()
	i := slices.Index(l.pending, m)
	if i < 0 {
		return false
	}
	l.pending = slices.Delete(l.pending, i, i+1)
	return true
}

// runLane starts a batch with every kick waiting, as soon as the previous
// batch is over (or has run for BatchStall), and ends when the meeting has
// nothing waiting and nothing running. Each batch has its own goroutine,
// context and recover; the lane owns them and outlives them.
func (s *Service) runLane(l *lane) {
	var (
		running chan struct{}    // closed when the newest batch ends; nil: none
		stall   <-chan time.Time // fires when the newest batch has run BatchStall
		timer   *time.Timer
		batches sync.WaitGroup
	)
	defer func() {
		if timer != nil {
			timer.Stop()
		}
		if r := recover(); r != nil {
			// The lane's own bookkeeping failed: fail what waits in it,
			// visibly, and let the next kick start a fresh lane.
			s.lanes.mu.Lock()
			pending := l.pending
			l.pending = nil
			if s.lanes.byConf[l.conference] == l {
				delete(s.lanes.byConf, l.conference)
			}
			s.lanes.mu.Unlock()
			for _, m := range pending {
				m.err = &conferenceError{conference: l.conference, err: fmt.Errorf("%w: %v", errBatchPanic, r)}
				close(m.done)
			}
		}
		batches.Wait()
	}()
	stalled := false
	for {
		s.lanes.mu.Lock()
		if len(l.pending) == 0 && running == nil {
			delete(s.lanes.byConf, l.conference)
			s.lanes.mu.Unlock()
			return
		}
		if len(l.pending) > 0 && (running == nil || stalled) {
			batch := l.pending
			l.pending = nil
			s.lanes.mu.Unlock()
			done := make(chan struct{})
			running, stalled = done, false
			if timer != nil {
				timer.Stop()
			}
			timer = time.NewTimer(s.batchStall())
			stall = timer.C
			batches.Go(func() {
				defer close(done)
				s.runBatch(l.conference, batch)
			})
			continue
		}
		s.lanes.mu.Unlock()
		select {
		case <-running:
			running, stall = nil, nil
		case <-stall:
			stalled, stall = true, nil
		case <-l.wake:
		}
	}
}

// runBatch carries out the kicks of one batch and closes each one's done.
func (s *Service) runBatch(conference string, ms []*member) {
	ctx, release := batchContext(ms)
	defer release()
	claims := s.Claims
	if claims == nil {
		// Without a shared registry, one for the batch still makes two of
		// its kicks that name the same person disconnect them once.
		claims = NewClaims()
	}
	// going is a kick that disconnects: own is what it claimed.
	type going struct {
		m        *member
		own      []Match
		released bool
	}
	var all []*going
	defer func() {
		if r := recover(); r != nil {
			err := &conferenceError{conference: conference, err: fmt.Errorf("%w: %v", errBatchPanic, r)}
			for _, g := range all {
				if !g.released {
					// Whoever waits on these claims learns that nobody can
					// say how they ended.
					claims.release(ctx, conference, g.own, nil)
				}
			}
			for _, m := range ms {
				select {
				case <-m.done:
					continue
				default:
				}
				// It may or may not have been carried out: never an outcome
				// that cannot be trusted.
				m.kicked, m.out, m.err, m.panic = false, Outcome{}, err, r
				close(m.done)
			}
		}
	}()

	targets := make([][]Target, len(ms))
	for i, m := range ms {
		targets[i] = m.kick.Targets
	}
	r, resolved, err := s.resolveAll(ctx, conference, targets)
	if err != nil {
		for _, m := range ms {
			m.err = err
			close(m.done)
		}
		return
	}

	var ids []string
	for i, m := range ms {
		m.roster, m.res = r, resolved[i]
		switch {
		case len(m.res.Ambiguous) > 0:
			// Nothing of this kick is disconnected: its caller shows the
			// candidates instead, as when it runs alone.
			close(m.done)
			continue
		case len(m.res.Kick) == 0:
			m.out = s.finishOutcome(s.startOutcome(m.kick, r, m.res), false)
			close(m.done)
			continue
		}
		// In arrival order: of two kicks that name the same person, the
		// first disconnects them and the second is told who did.
		own, theirs, waits := claims.partition(ctx, conference, m.kick.Actor, m.res.Kick)
		m.kicked, m.theirs, m.waits, m.claims = true, theirs, waits, claims
		all = append(all, &going{m: m, own: own})
		ids = append(ids, matchIDs(own)...)
	}
	for _, g := range all {
		if g.m.started != nil {
			g.m.started()
		}
	}
	var (
		dr   *meeting.DisconnectResult
		derr error
	)
	startedAt := s.now()
	if len(ids) > 0 {
		dr, derr = s.Meeting.Disconnect(ctx, conference, ids)
	}
	for _, g := range all {
		m := g.m
		m.out = s.startOutcome(m.kick, r, m.res)
		m.out.Started = startedAt
		if len(g.own) > 0 {
			recordDisconnect(&m.out, g.own, dr, derr)
			claims.release(ctx, conference, g.own, m.out.Targets[len(m.out.Targets)-len(g.own):])
		}
		g.released = true
	}
	for _, g := range all {
		close(g.m.done)
	}
}

// batchContext is the context a batch runs under: it keeps the values of
// its first kick's context and ends when every kick's context has ended, so
// one moderator's cancelled request does not cancel the others'.
func batchContext(ms []*member) (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(ms[0].ctx))
	var left atomic.Int64
	left.Store(int64(len(ms)))
	stops := make([]func() bool, len(ms))
	for i, m := range ms {
		stops[i] = context.AfterFunc(m.ctx, func() {
			if left.Add(-1) == 0 {
				cancel()
			}
		})
	}
	return ctx, func() {
		for _, stop := range stops {
			stop()
		}
		cancel()
	}
}

// Queued is how many kicks for conference wait for a batch to take them
// (not those a batch is carrying out).
func (s *Service) Queued(conference string) int {
	s.lanes.mu.Lock()
	defer s.lanes.mu.Unlock()
	if l := s.lanes.byConf[conference]; l != nil {
		return len(l.pending)
	}
	return 0
}
