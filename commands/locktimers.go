package commands

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/kickbot/kickbot/state"
)

// Durable auto-unlock timers (issue 15). With several replicas, a timer
// armed in one process would die with it; with a TimerStore, Locks keeps
// each meeting's timer in the store instead (a newer lock replaces it, an
// unlock cancels it), and every replica's poll takes due timers from the
// store under a fire lease, so each one is fired once, by whichever
// replica is alive, and reported through the same expired callback.
//
// What stays per replica: Locked and the IfUnlocked check know this
// process's own calls, plus any timed lock pending in the store; a lock
// without a duration made through another replica is not seen (neither
// is one made in the meeting app, as before).

// TimerStore keeps durable timers shared by the replicas;
// *redisstate.Timers and *memstate.Timers satisfy it. Due takes due timers
// under the store's fire lease (it must outlast the unlock call, bounded at
// 30 s: redisstate.DefaultFireLease); Done forgets a fired one unless it
// was rescheduled meanwhile. Failures to answer match state.ErrUnavailable.
type TimerStore interface {
	Schedule(ctx context.Context, id string, due time.Time, payload []byte) error
	Cancel(ctx context.Context, id string) (bool, error)
	Pending(ctx context.Context) ([]state.Timer, error)
	Due(ctx context.Context, now time.Time, n int) ([]state.Timer, error)
	Done(ctx context.Context, tm state.Timer) error
}

// LocksOption configures NewLocks.
type LocksOption func(*Locks)

// WithTimerStore keeps the auto-unlock timers in store, shared by every
// replica, and fires them from a poll that Start starts. The data a timed
// lock is given must then be nil or a []byte of at most MaxLockData bytes
// (the caller's encoding of where to report): it is stored with the timer
// and handed to expired, as a []byte, by whichever replica fires it.
func WithTimerStore(store TimerStore) LocksOption { return func(l *Locks) { l.timers = store } }

// WithTimerPoll sets how often the poll looks for due timers (default 1 s:
// an auto-unlock is at most that late).
func WithTimerPoll(every time.Duration) LocksOption {
	return func(l *Locks) {
		if every > 0 {
			l.pollEvery = every
		}
	}
}

// WithTimerErrors reports the poll's store failures (Redis down) and
// recovered panics, for the log; the poll keeps going.
func WithTimerErrors(onErr func(error)) LocksOption { return func(l *Locks) { l.onErr = onErr } }

// defaultTimerPoll is how often each replica looks for due timers: one
// small store call a second per replica.
const defaultTimerPoll = time.Second

// MaxLockData bounds the data stored with a durable timer.
const MaxLockData = 4 << 10

// errLockData: a timed lock's data cannot be stored (a caller's bug).
var errLockData = errors.New("commands: with a timer store, a timed lock's data must be nil or a []byte of at most 4 KiB")

// lockTimer is a timer's payload: who locked, where, and the caller's data.
// The due time is the timer's own.
type lockTimer struct {
	V       int    `json:"v"`
	By      string `json:"by"`
	Channel string `json:"ch,omitempty"`
	Data    []byte `json:"data,omitempty"`
}

const lockTimerVersion = 1

// Start starts the poll that fires due timers from the store, until ctx
// ends or Stop. Without a store it does nothing. Each round runs on a
// goroutine of the Clock's (or within commandstest.Clock's Advance) and
// arms the next when it is over, so rounds never overlap.
func (l *Locks) Start(ctx context.Context) {
	if l.timers == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.stopped || l.polling {
		return
	}
	l.polling = true
	l.pollStop = l.clock.AfterFunc(0, l.pollRound)
	context.AfterFunc(ctx, func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.stopPollLocked()
	})
}

// stopPollLocked ends the poll; l.mu held. A round under way finishes
// (Stop waits for it) and arms no other.
func (l *Locks) stopPollLocked() {
	l.polling = false
	if l.pollStop != nil {
		l.pollStop()
		l.pollStop = nil
	}
}

// pollRound fires every timer due now, one at a time (each is taken just
// before it fires, so its lease covers one unlock), then arms the next
// round.
func (l *Locks) pollRound() {
	l.mu.Lock()
	if l.stopped || !l.polling {
		l.mu.Unlock()
		return
	}
	l.firing.Add(1) // under mu, after the checks: Stop's Wait sees it
	l.pollStop = nil
	l.mu.Unlock()
	defer l.firing.Done()
	defer func() {
		l.mu.Lock()
		if l.polling && !l.stopped {
			l.pollStop = l.clock.AfterFunc(l.pollEvery, l.pollRound)
		}
		l.mu.Unlock()
	}()
	defer func() {
		if p := recover(); p != nil {
			l.reportErr(fmt.Errorf("auto-unlock poll panicked: %v", p))
		}
	}()
	for l.ctx.Err() == nil {
		due, err := l.timers.Due(l.ctx, l.clock.Now(), 1)
		if err != nil {
			if l.ctx.Err() == nil {
				l.reportErr(fmt.Errorf("auto-unlock poll: %w", err))
			}
			return
		}
		if len(due) == 0 {
			return
		}
		l.fireShared(due[0])
		if err := l.timers.Done(context.WithoutCancel(l.ctx), due[0]); err != nil {
			// The timer is taken again when its lease lapses: an unlock is
			// safe to repeat.
			l.reportErr(fmt.Errorf("auto-unlock of meeting %s: %w", due[0].ID, err))
		}
	}
}

func (l *Locks) reportErr(err error) {
	if l.onErr == nil {
		return
	}
	defer func() { _ = recover() }()
	l.onErr(err)
}

// retagMargin: a timer due sooner than this is left as it is by Retag, so
// one that a replica may be firing already is never scheduled again.
const retagMargin = 5 * time.Second

// Retag replaces the caller's data stored with conference's pending timer
// (a lock's place, once its message is posted), if the timer still carries
// data for which ours reports true and is not due within retagMargin.
// Without a timer store it does nothing: the data is this process's own.
func (l *Locks) Retag(ctx context.Context, conference string, ours func(data []byte) bool, data []byte) error {
	if l.timers == nil {
		return nil
	}
	if len(data) > MaxLockData {
		return errLockData
	}
	e := l.entry(conference)
	e.op.Lock() // after the Do that armed the timer
	defer e.op.Unlock()
	tm, p, err := l.pendingTimer(ctx, conference)
	if err != nil || tm == nil || !ours(p.Data) || tm.Due.Sub(l.clock.Now()) < retagMargin {
		return err
	}
	p.Data = data
	payload, _ := json.Marshal(p) // cannot fail
	return l.timers.Schedule(ctx, conference, tm.Due, payload)
}

// fireShared unlocks the meeting of a due timer taken from the store, unless
// a newer lock replaced the timer since, and tells expired. A panic becomes
// a failed outcome.
func (l *Locks) fireShared(tm state.Timer) {
	conference := tm.ID
	var p lockTimer
	perr := json.Unmarshal(tm.Payload, &p)
	var data any
	if p.Data != nil {
		data = p.Data
	}
	o := LockOutcome{Request: LockRequest{Conference: conference, Actor: p.By, Channel: p.Channel}, Auto: true,
		Status: LockFailed, LockedBy: p.By, Until: tm.Due}
	defer func() {
		if r := recover(); r != nil {
			l.reportPanic(o, r, data)
		}
	}()
	if perr != nil {
		// Not ours to read (a newer version's?): unlock all the same, as the
		// timer says, and report it without a place.
		data = nil
	}
	if l.superseded(tm) {
		return
	}
	e := l.entry(conference)
	e.op.Lock()
	defer e.op.Unlock()

	if l.autoUnlock(conference, &o) {
		l.mu.Lock()
		e.gen++
		e.locked, e.until, e.stop, e.data = false, time.Time{}, nil, nil
		l.mu.Unlock()
	}
	l.report(o, data)
}

// superseded reports whether a newer lock rescheduled tm's meeting since
// tm was taken (then its Done is void, and nothing must be unlocked). A
// store that cannot say lets the unlock go ahead: it was due.
func (l *Locks) superseded(tm state.Timer) bool {
	ts, err := l.timers.Pending(l.ctx)
	if err != nil {
		return false
	}
	for _, t := range ts {
		if t.ID == tm.ID && t.Gen != tm.Gen {
			return true
		}
	}
	return false
}

// pendingTimer is conference's timer in the store, if one is pending.
func (l *Locks) pendingTimer(ctx context.Context, conference string) (*state.Timer, *lockTimer, error) {
	ts, err := l.timers.Pending(ctx)
	if err != nil {
		return nil, nil, err
	}
	for i := range ts {
		if ts[i].ID == conference {
			var p lockTimer
			_ = json.Unmarshal(ts[i].Payload, &p) // unreadable: who locked is unknown
			return &ts[i], &p, nil
		}
	}
	return nil, nil, nil
}

// doShared is Do with the timers in the store. A lock needs the store (a
// timed one to arm its timer, an untimed one to cancel an older timer): when
// it cannot answer, nothing is called and the lock fails closed. An unlock
// goes ahead without it (a timer left behind would only unlock again).
func (l *Locks) doShared(ctx context.Context, r LockRequest, data any) LockOutcome {
	o := LockOutcome{Request: r, Started: l.clock.Now()}
	var payload []byte
	if r.Lock && r.Duration > 0 {
		b, ok := data.([]byte)
		if data != nil && !ok || len(b) > MaxLockData {
			o.Status, o.Finished, o.Err = LockFailed, l.clock.Now(), errLockData
			o.UserMessage = "kickbot hit an internal error and did not lock meeting " + r.Conference + "."
			return o
		}
		payload, _ = json.Marshal(lockTimer{V: lockTimerVersion, By: r.Actor, Channel: r.Channel, Data: b}) // cannot fail
	}
	e := l.entry(r.Conference)
	e.op.Lock()
	defer e.op.Unlock()

	prev, prevP, err := l.pendingTimer(ctx, r.Conference)
	if err != nil && r.Lock {
		o.Status, o.Finished = LockFailed, l.clock.Now()
		o.Err = &conferenceError{conference: r.Conference, err: err}
		o.UserMessage = UserMessage(o.Err)
		return o
	}
	if r.Lock && r.IfUnlocked {
		locked, by, until := l.known(e)
		switch {
		case prev != nil:
			locked, by, until = true, prevP.By, prev.Due
		case !until.IsZero():
			// This replica's timed lock has no timer left in the store:
			// another replica unlocked the meeting (by its timer or an
			// unlock) since.
			locked = false
		}
		if locked {
			return l.already(o, by, until)
		}
	}
	if !l.call(ctx, r, &o) {
		return o
	}
	if prev != nil {
		o.Cancelled, o.LockedBy = prev.Due, prevP.By
	}

	// The meeting is as asked: record its timer (or its absence). The
	// store answered a moment ago; if it fails now, say what that means.
	sctx := context.WithoutCancel(ctx)
	if r.Lock && r.Duration > 0 {
		o.Until = o.Finished.Add(r.Duration)
		if err := l.timers.Schedule(sctx, r.Conference, o.Until, payload); err != nil {
			o.Until = time.Time{}
			o.Err = &conferenceError{conference: r.Conference, err: err}
			o.UserMessage = "kickbot's state store is unavailable, so this lock will not unlock itself — use " +
				"/kick " + r.Conference + " unlock when it should end."
		}
	} else if _, err := l.timers.Cancel(sctx, r.Conference); err != nil && r.Lock && prev != nil {
		o.Err = &conferenceError{conference: r.Conference, err: err}
		o.UserMessage = "kickbot's state store is unavailable, so the earlier lock's timer could not be cancelled and may still unlock the meeting; lock it again later if it does."
	}

	l.mu.Lock()
	defer l.mu.Unlock()
	e.gen++
	e.stop, e.data = nil, nil
	e.locked, e.until = r.Lock, o.Until
	if r.Lock {
		e.by, e.channel = r.Actor, r.Channel
	}
	return o
}
