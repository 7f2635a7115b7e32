package commands

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/kickbot/kickbot/meeting"
)

// Locker is what the lock use case needs from the meeting service;
// *meeting.Client satisfies it.
type Locker interface {
	Lock(ctx context.Context, conferenceID string, locked bool) (*meeting.LockResult, error)
}

// Clock is the time source of the auto-unlock timers, so tests can move
// time by hand (commandstest.Clock).
type Clock interface {
	Now() time.Time
	// AfterFunc calls f once, in its own goroutine, after d; stop cancels
	// it and reports whether it did so before f started.
	AfterFunc(d time.Duration, f func()) (stop func() bool)
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }
func (realClock) AfterFunc(d time.Duration, f func()) func() bool {
	return time.AfterFunc(d, f).Stop
}

// LockRequest is one authorised request to lock or unlock a meeting.
type LockRequest struct {
	Actor      string // Slack user ID (or console:<name>) of whoever asked
	Channel    string
	Conference string
	Lock       bool          // true: lock; false: unlock
	Duration   time.Duration // Lock only: unlock by itself after this; 0 = until unlocked
	// IfUnlocked: a button press. If kickbot already knows the meeting is
	// locked, nothing is called (a double click locks once).
	IfUnlocked bool
}

// Action is "lock" or "unlock", for the audit log and metrics.
func (r LockRequest) Action() string {
	if r.Lock {
		return "lock"
	}
	return "unlock"
}

// LockStatus summarises a lock or unlock.
type LockStatus int

// Lock statuses, starting at 1 so that a zero LockOutcome never reads as done.
const (
	LockDone    LockStatus = iota + 1 // the meeting is in the state asked for
	LockAlready                       // a button press on a meeting kickbot had already locked: no call
	LockFailed                        // the call failed; the meeting's state is as before (as far as is known)
)

var lockStatusNames = map[LockStatus]string{LockDone: "done", LockAlready: "already", LockFailed: "failed"}

// String is a stable snake_case name, fit for metrics labels and logs.
func (s LockStatus) String() string {
	if n, ok := lockStatusNames[s]; ok {
		return n
	}
	return "unknown"
}

// LockOutcome is what came of one lock or unlock, for rendering and the
// audit log. Err is for logs; UserMessage is what the moderator is told.
type LockOutcome struct {
	Request LockRequest
	Status  LockStatus
	// Auto: the unlock was the timer's, when the lock's time was up.
	Auto bool
	// Unchanged: the meeting service said it already was in that state.
	Unchanged bool
	// Until: when this lock unlocks itself (zero: it stays locked). For
	// LockAlready, the known lock's time (zero: none).
	Until time.Time
	// LockedBy: who locked it, for LockAlready and for an unlock that
	// cancelled a timer.
	LockedBy string
	// Cancelled: an unlock (or a newer lock) stopped a timer that was due
	// then; zero when there was none.
	Cancelled   time.Time
	Err         error
	UserMessage string
	RequestID   string
	Started     time.Time
	Finished    time.Time
}

// PendingLock is a meeting kickbot locked with a timer still to run.
type PendingLock struct {
	Conference string
	Until      time.Time
	LockedBy   string
	Channel    string
}

// Locks runs the lock and unlock use case and owns the auto-unlock timers:
// one per meeting, replaced by a newer lock, cancelled by an unlock. It
// also remembers whether each meeting is locked as far as kickbot knows
// (its own calls; a lock or unlock in the meeting app is not seen).
type Locks struct {
	meeting Locker
	clock   Clock
	expired func(o LockOutcome, data any)
	timeout time.Duration

	ctx    context.Context // ends the timers' unlock calls when Stop gives up waiting
	cancel context.CancelFunc

	mu      sync.Mutex
	state   map[string]*lockEntry
	stopped bool
	firing  sync.WaitGroup

	// With a shared timer store (WithTimerStore), the timers live there
	// and a poll owned by Locks fires the due ones; see locktimers.go.
	timers    TimerStore
	pollEvery time.Duration
	onErr     func(error)
	polling   bool
	pollStop  func() bool // the armed poll; nil when none
}

// lockEntry is kickbot's knowledge of one meeting. op serialises the
// meeting calls for it, so a timer's unlock and a newer lock cannot cross.
type lockEntry struct {
	op      sync.Mutex
	locked  bool
	by      string
	channel string
	until   time.Time
	stop    func() bool // the armed timer; nil when none
	gen     uint64      // bumped by every change: a timer fires only if its gen is current
	data    any
	firing  bool // its timer's unlock call is under way
}

// defaultAutoUnlockTimeout bounds a timer's unlock call.
const defaultAutoUnlockTimeout = 30 * time.Second

// NewLocks builds the lock use case. expired is told of each timer's
// unlock (done or failed), with the data the lock that armed it was
// given, from the timer's goroutine. clock nil means real time. Without
// options the timers are this process's own and die with it; with
// WithTimerStore they are shared and durable (then data must be []byte).
func NewLocks(m Locker, clock Clock, expired func(o LockOutcome, data any), opts ...LocksOption) *Locks {
	if clock == nil {
		clock = realClock{}
	}
	ctx, cancel := context.WithCancel(context.Background())
	l := &Locks{meeting: m, clock: clock, expired: expired, timeout: defaultAutoUnlockTimeout,
		ctx: ctx, cancel: cancel, state: map[string]*lockEntry{}, pollEvery: defaultTimerPoll}
	for _, o := range opts {
		o(l)
	}
	return l
}

// Locked reports whether kickbot's own last call left conference locked.
func (l *Locks) Locked(conference string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.state[conference]
	return e != nil && e.locked
}

func (l *Locks) entry(conference string) *lockEntry {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.state[conference]
	if e == nil {
		e = &lockEntry{}
		l.state[conference] = e
	}
	return e
}

// Do locks or unlocks r.Conference with one call. A lock with a Duration
// arms the meeting's timer (replacing an older one); expired will hear of
// it with data. An unlock, or a lock without a duration, cancels it.
func (l *Locks) Do(ctx context.Context, r LockRequest, data any) LockOutcome {
	if l.timers != nil {
		return l.doShared(ctx, r, data)
	}
	o := LockOutcome{Request: r, Started: l.clock.Now()}
	e := l.entry(r.Conference)
	e.op.Lock()
	defer e.op.Unlock()

	if r.Lock && r.IfUnlocked {
		if locked, by, until := l.known(e); locked {
			return l.already(o, by, until)
		}
	}
	if !l.call(ctx, r, &o) {
		return o
	}

	l.mu.Lock()
	defer l.mu.Unlock()
	if e.stop != nil {
		e.stop()
		o.Cancelled, o.LockedBy = e.until, e.by
	}
	e.gen++
	e.stop, e.until, e.data = nil, time.Time{}, nil
	e.locked = r.Lock
	if r.Lock {
		e.by, e.channel = r.Actor, r.Channel
		if r.Duration > 0 && !l.stopped {
			o.Until = o.Finished.Add(r.Duration)
			e.until, e.data = o.Until, data
			gen := e.gen
			e.stop = l.clock.AfterFunc(r.Duration, func() { l.fire(r.Conference, gen) })
		}
	}
	return o
}

// known is what this replica's own last call left the meeting as.
func (l *Locks) known(e *lockEntry) (locked bool, by string, until time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return e.locked, e.by, e.until
}

// already answers a button press on a meeting known to be locked: no call.
func (l *Locks) already(o LockOutcome, by string, until time.Time) LockOutcome {
	o.Status, o.LockedBy, o.Until, o.Finished = LockAlready, by, until, l.clock.Now()
	return o
}

// call makes the one meeting call of a lock or unlock, filling o; false
// when it failed (o then says why).
func (l *Locks) call(ctx context.Context, r LockRequest, o *LockOutcome) bool {
	res, err := l.meeting.Lock(ctx, r.Conference, r.Lock)
	o.Finished = l.clock.Now()
	if err != nil {
		o.Status = LockFailed
		o.Err = &conferenceError{conference: r.Conference, err: err}
		o.UserMessage = UserMessage(o.Err)
		o.RequestID = idList(requestIDs(nil, err)).first()
		return false
	}
	o.Status, o.Unchanged, o.RequestID = LockDone, res.Unchanged, res.RequestID
	return true
}

// reportPanic turns a timer's panic into a failed outcome and reports it.
func (l *Locks) reportPanic(o LockOutcome, p any, data any) {
	conference := o.Request.Conference
	o.Status = LockFailed
	o.Err = fmt.Errorf("auto-unlock of meeting %s panicked: %v", conference, p)
	o.UserMessage = "kickbot hit an internal error while unlocking meeting " + conference + " — check the meeting and unlock it there if needed."
	l.report(o, data)
}

// fire is a timer's: it unlocks the meeting if its lock is still the
// current one, and tells expired. A panic becomes a failed outcome.
func (l *Locks) fire(conference string, gen uint64) {
	l.mu.Lock()
	if l.stopped {
		l.mu.Unlock()
		return
	}
	l.firing.Add(1) // under mu, after the stopped check: Stop's Wait sees it
	e := l.state[conference]
	l.mu.Unlock()
	defer l.firing.Done()

	var data any
	o := LockOutcome{Request: LockRequest{Conference: conference}, Auto: true, Status: LockFailed}
	defer func() {
		if r := recover(); r != nil {
			l.reportPanic(o, r, data)
		}
	}()
	if e == nil {
		return
	}
	e.op.Lock()
	defer e.op.Unlock()
	l.mu.Lock()
	if e.gen != gen || e.stop == nil {
		l.mu.Unlock()
		return // replaced or cancelled since: this timer is void
	}
	o.Request.Actor, o.Request.Channel, o.LockedBy, o.Until = e.by, e.channel, e.by, e.until
	data = e.data
	e.firing = true
	l.mu.Unlock()

	unlocked := l.autoUnlock(conference, &o)
	l.mu.Lock()
	e.gen++
	e.stop, e.data, e.firing = nil, nil, false
	if unlocked {
		e.locked, e.until = false, time.Time{}
	}
	l.mu.Unlock()
	l.report(o, data)
}

// autoUnlock makes a timer's unlock call, bounded by l.timeout, filling o;
// false when it failed.
func (l *Locks) autoUnlock(conference string, o *LockOutcome) bool {
	ctx, cancel := context.WithTimeout(l.ctx, l.timeout)
	defer cancel()
	o.Started = l.clock.Now()
	return l.call(ctx, LockRequest{Conference: conference}, o)
}

func (l *Locks) report(o LockOutcome, data any) {
	if l.expired == nil {
		return
	}
	defer func() { _ = recover() }() // a reporter's panic must not take the timer goroutine down
	l.expired(o, data)
}

// Stop cancels every timer and returns the meetings that stay locked with
// a timer that will now not run, soonest first. It waits for timers already
// unlocking until ctx ends, then cuts their calls short. After Stop, locks
// arm no timers. With a timer store, Stop ends the poll instead and
// returns none: the timers stay in the store, for the other replicas (or
// this one's successor) to fire.
func (l *Locks) Stop(ctx context.Context) []PendingLock {
	l.mu.Lock()
	l.stopped = true
	l.stopPollLocked()
	var pending []PendingLock
	for conf, e := range l.state {
		if e.stop != nil && !e.firing {
			e.stop()
			pending = append(pending, PendingLock{Conference: conf, Until: e.until, LockedBy: e.by, Channel: e.channel})
		}
		e.stop = nil
		e.gen++
	}
	l.mu.Unlock()
	sort.Slice(pending, func(i, j int) bool { return pending[i].Until.Before(pending[j].Until) })

	done := make(chan struct{})
	go func() { l.firing.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		l.cancel()
		<-done
	}
	l.cancel()
	return pending
}

type idList []string

func (ids idList) first() string {
	if len(ids) == 0 {
		return ""
	}
	return ids[0]
}
