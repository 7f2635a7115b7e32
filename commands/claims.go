package commands

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/kickbot/kickbot/state"
)

// Claims makes the disconnect of one participant happen once while it
// runs: the first kick that names them claims them, and a kick that names
// them meanwhile (a /kick and a Disconnect click at the same moment, two
// moderators in a raid) makes no call of its own but waits for that one
// and reports its result, saying who disconnected them.
//
// Within a process the claims are a map and waiters wait on a channel. With
// a shared ClaimStore (WithClaimStore: several replicas), a participant
// that no kick of this process holds is claimed in the store too: a kick
// on another replica that holds them already is waited for through the
// store, and its result (encoded by this package) is reported. When the
// store cannot answer, the kick fails closed for that participant: no
// hang-up call, and a failed outcome that says kickbot's state store is
// unavailable.
type Claims struct {
	store ClaimStore    // nil: this process alone
	ttl   time.Duration // the store's claim TTL: extended every ttl/3 while a disconnect runs

	mu       sync.Mutex
	inflight map[string]*claim
	waiting  int // kicks waiting for another's result
}

// ClaimStore is a claim registry shared by several replicas;
// *redisstate.Claims and *memstate.Claims satisfy it. Take claims a
// participant for actor, or answers the current owner's claim; Release
// publishes the owner's result (opaque bytes) to every waiter; Wait
// returns it (state.ErrNoResult when the owner went away without one).
// Failures to answer match state.ErrUnavailable.
type ClaimStore interface {
	Take(ctx context.Context, conference, participant, actor string) (state.Claim, error)
	Extend(ctx context.Context, cl state.Claim, ttl time.Duration) error
	Release(ctx context.Context, cl state.Claim, result []byte) error
	Wait(ctx context.Context, cl state.Claim) ([]byte, error)
}

// ClaimsOption configures NewClaims.
type ClaimsOption func(*Claims)

// WithClaimStore shares the claims with other replicas through store,
// whose claims live ttl unless extended (redisstate.DefaultClaimTTL). The
// claim of a disconnect that runs long is extended every ttl/3 until it
// is released.
func WithClaimStore(store ClaimStore, ttl time.Duration) ClaimsOption {
	return func(c *Claims) { c.store, c.ttl = store, ttl }
}

// Waiting is how many targets of kicks are waiting for another kick's
// disconnect of the same participant right now.
func (c *Claims) Waiting() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.waiting
}

// NewClaims returns an empty claim registry; one per process (with a
// shared store across replicas) is what makes "exactly once" hold.
func NewClaims(opts ...ClaimsOption) *Claims {
	c := &Claims{inflight: make(map[string]*claim)}
	for _, o := range opts {
		o(c)
	}
	return c
}

type claim struct {
	actor  string
	done   chan struct{}
	result TargetOutcome // set before done is closed
	st     *storeClaim   // nil without a store: in-process claims stay small
}

// storeClaim is a claim's part in the shared store. taken is closed once
// the store answered this process's Take; then shared is the store's claim
// (Mine: ours, held until release; otherwise another replica's, whose
// actor is owner), or err says the store could not answer.
type storeClaim struct {
	taken  chan struct{}
	shared state.Claim
	owner  string
	err    error
	keep   *keeper // extends shared while the disconnect runs
}

// partition claims each match for actor, returning the matches this kick
// must disconnect itself and, for the others, the claims it must wait for
// (sharedOutcome): another kick's, here or on another replica, or one the
// store failed to take, which fails closed.
func (c *Claims) partition(ctx context.Context, conference, actor string, ms []Match) (own []Match, theirs []Match, waits []*claim) {
	var fresh []*claim // with a store: claimed here, to be taken in the store
	var freshMs []Match
	c.mu.Lock()
	for _, m := range ms {
		key := conference + "/" + m.Participant.ID
		if cl, ok := c.inflight[key]; ok {
			theirs, waits = append(theirs, m), append(waits, cl)
			continue
		}
		cl := &claim{actor: actor, done: make(chan struct{})}
		c.inflight[key] = cl
		if c.store == nil {
			own = append(own, m)
			continue
		}
		cl.st = &storeClaim{taken: make(chan struct{})}
		fresh, freshMs = append(fresh, cl), append(freshMs, m)
	}
	c.mu.Unlock()
	if len(fresh) == 0 {
		return own, theirs, waits
	}

	// Outside the lock: the store is a network round trip away. Kicks of
	// this process that name the same people meanwhile wait on taken.
	settledAll := false
	defer func() {
		if settledAll {
			return
		}
		// A store that panicked: nobody may wait on these for ever. The
		// panic goes on to the batch's recover.
		c.mu.Lock()
		for i, cl := range fresh {
			if key := conference + "/" + freshMs[i].Participant.ID; c.inflight[key] == cl {
				delete(c.inflight, key)
			}
			cl.st.err = errClaimPanic
			close(cl.st.taken)
		}
		c.mu.Unlock()
	}()
	var mine []*claim
	var down error // once the store failed to answer, the rest fail closed at once
	for i, cl := range fresh {
		if down != nil {
			cl.st.err = down
			theirs, waits = append(theirs, freshMs[i]), append(waits, cl)
			continue
		}
		sc, err := c.store.Take(ctx, conference, freshMs[i].Participant.ID, actor)
		cl.st.shared, cl.st.owner, cl.st.err = sc, sc.Actor, err
		if err != nil {
			down = err
		}
		if err == nil && sc.Mine {
			own = append(own, freshMs[i])
			mine = append(mine, cl)
			continue
		}
		theirs, waits = append(theirs, freshMs[i]), append(waits, cl)
	}
	if len(mine) > 0 {
		k := c.startKeeper(ctx, mine)
		for _, cl := range mine {
			cl.st.keep = k
		}
	}
	c.mu.Lock()
	for i, cl := range fresh {
		if cl.st.err != nil || !cl.st.shared.Mine {
			// Not held here: whoever names them next asks the store again.
			key := conference + "/" + freshMs[i].Participant.ID
			if c.inflight[key] == cl {
				delete(c.inflight, key)
			}
		}
	}
	c.mu.Unlock()
	settledAll = true
	for _, cl := range fresh {
		close(cl.st.taken)
	}
	return own, theirs, waits
}

// errClaimPanic: the claim store panicked while this process was taking a
// claim; kicks waiting on it fail closed.
var errClaimPanic = errors.New("kickbot's claim store failed")

// release publishes this kick's results to whoever waits (in this process
// through the claim's channel, on other replicas through the store) and
// drops its claims. The store's release outlives ctx's cancellation: the
// waiters need it.
func (c *Claims) release(ctx context.Context, conference string, own []Match, outs []TargetOutcome) {
	var shared []*claim
	c.mu.Lock()
	for _, m := range own {
		key := conference + "/" + m.Participant.ID
		cl := c.inflight[key]
		if cl == nil {
			continue
		}
		for _, o := range outs {
			if o.Participant != nil && o.Participant.ID == m.Participant.ID {
				cl.result = o
				break
			}
		}
		delete(c.inflight, key)
		close(cl.done)
		if cl.st != nil {
			shared = append(shared, cl)
		}
	}
	c.mu.Unlock()
	if len(shared) == 0 {
		return
	}
	ctx = context.WithoutCancel(ctx)
	for _, cl := range shared {
		cl.st.keep.stop()
		// A failed release leaves the claim to lapse at its TTL; the
		// waiters on other replicas then report the outcome unconfirmed.
		_ = c.store.Release(ctx, cl.st.shared, encodeShared(cl.result))
	}
}

// addShared waits for the results of the targets another kick is
// disconnecting (theirs, with waits from partition) and adds them to o. A
// target the store could not claim fails closed, and o says why.
func (c *Claims) addShared(ctx context.Context, o *Outcome, theirs []Match, waits []*claim) {
	for i, m := range theirs {
		to, err := c.sharedOutcome(ctx, m, waits[i])
		if err != nil && o.Err == nil {
			o.Err = &conferenceError{conference: o.Kick.Conference, err: err}
			o.UserMessage = UserMessage(o.Err)
		}
		o.Targets = append(o.Targets, to)
	}
}

// sharedOutcome waits for another kick's result for m and reports it as
// this kick's, naming who asked for it. err is the store's failure when m
// could not be claimed (the outcome fails closed).
func (c *Claims) sharedOutcome(ctx context.Context, m Match, cl *claim) (TargetOutcome, error) {
	c.mu.Lock()
	c.waiting++
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.waiting--
		c.mu.Unlock()
	}()
	by := cl.actor
	if st := cl.st; st != nil {
		select {
		case <-st.taken:
		case <-ctx.Done():
			return TargetOutcome{Target: m.Target, Participant: participant(m.Participant), Result: ResultUnconfirmed,
				Detail: "another request was claiming them when this one was cancelled; check the meeting"}, nil
		}
		switch {
		case st.err != nil:
			return storeRefusal(m, st.err), st.err
		case !st.shared.Mine:
			return c.remoteOutcome(ctx, m, st), nil
		}
	}
	select {
	case <-cl.done:
		return settled(m, cl.result, by), nil
	case <-ctx.Done():
		return TargetOutcome{Target: m.Target, Participant: participant(m.Participant), Result: ResultUnconfirmed, By: by,
			Detail: "another request was disconnecting them when this one was cancelled; check the meeting"}, nil
	}
}

// settled is the waiter's outcome for m from the owner's result to.
func settled(m Match, to TargetOutcome, by string) TargetOutcome {
	to.Target = m.Target
	if to.Participant == nil {
		to.Participant = participant(m.Participant)
	}
	if to.Result == 0 {
		to.Result, to.Detail = ResultUnconfirmed, "another request was disconnecting them and did not say how it ended; check the meeting"
	}
	to.By = by
	return to
}

// remoteOutcome waits, through the store, for the replica that holds m's
// claim.
func (c *Claims) remoteOutcome(ctx context.Context, m Match, cl *storeClaim) TargetOutcome {
	b, err := c.store.Wait(ctx, cl.shared)
	switch {
	case err == nil:
		return settled(m, decodeShared(b), cl.owner)
	case errors.Is(err, state.ErrNoResult):
		return settled(m, TargetOutcome{}, cl.owner)
	case ctx.Err() != nil:
		return TargetOutcome{Target: m.Target, Participant: participant(m.Participant), Result: ResultUnconfirmed, By: cl.owner,
			Detail: "another request was disconnecting them when this one was cancelled; check the meeting"}
	default:
		return TargetOutcome{Target: m.Target, Participant: participant(m.Participant), Result: ResultUnconfirmed, By: cl.owner,
			Detail: detailStoreLostWhileWaiting}
	}
}

// detailStoreLostWhileWaiting: another replica was disconnecting them when
// the state store stopped answering, so how it ended is not known here.
const detailStoreLostWhileWaiting = "another request was disconnecting them when kickbot's state store became unavailable; check the meeting"

// storeRefusal is a target the store could not claim: nothing was called
// for it.
func storeRefusal(m Match, err error) TargetOutcome {
	return TargetOutcome{Target: m.Target, Participant: participant(m.Participant), Result: ResultFailed,
		Detail: UserMessage(err)}
}

// sharedResult is a TargetOutcome as the store carries it to waiters on
// other replicas: only what they report. The result travels by its stable
// name, so replicas of different versions agree during a rolling deploy.
type sharedResult struct {
	Result string `json:"r"`
	Detail string `json:"d,omitempty"`
}

func encodeShared(to TargetOutcome) []byte {
	r := sharedResult{Detail: to.Detail}
	if to.Result != 0 {
		r.Result = to.Result.String()
	}
	b, _ := json.Marshal(r) // strings only: cannot fail
	return b
}

// decodeShared reads a result; anything unreadable reads as "did not say
// how it ended" (a zero Result), never as gone.
func decodeShared(b []byte) TargetOutcome {
	var r sharedResult
	if json.Unmarshal(b, &r) != nil {
		return TargetOutcome{}
	}
	for res, name := range resultNames {
		if name == r.Result {
			return TargetOutcome{Result: res, Detail: r.Detail}
		}
	}
	return TargetOutcome{}
}

// maxClaimHold bounds how long a keeper extends claims whose release never
// comes (a kick that panicked outside a batch): then they lapse.
const maxClaimHold = 15 * time.Minute

// keeper extends a kick's store claims every ttl/3 until stopped. It is
// owned by the claims it keeps: release stops it.
type keeper struct {
	once sync.Once
	quit chan struct{}
	done chan struct{}
}

func (c *Claims) startKeeper(ctx context.Context, cls []*claim) *keeper {
	k := &keeper{quit: make(chan struct{}), done: make(chan struct{})}
	every := c.ttl / 3
	if every <= 0 {
		every = time.Second
	}
	ctx = context.WithoutCancel(ctx)
	go func() {
		defer close(k.done)
		defer func() { _ = recover() }() // a store's panic must not take the process down; the claims lapse
		t := time.NewTicker(every)
		defer t.Stop()
		limit := time.NewTimer(maxClaimHold)
		defer limit.Stop()
		for {
			select {
			case <-k.quit:
				return
			case <-limit.C:
				return
			case <-t.C:
			}
			for _, cl := range cls {
				// ErrLeaseLost: it lapsed (or was released); nothing to keep.
				_ = c.store.Extend(ctx, cl.st.shared, c.ttl)
			}
		}
	}()
	return k
}

// stop ends the keeper and waits for it (at most one bounded Extend).
func (k *keeper) stop() {
	if k == nil {
		return
	}
	k.once.Do(func() { close(k.quit) })
	<-k.done
}
