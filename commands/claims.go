package commands

import (
	"context"
	"sync"
)

// Claims makes the disconnect of one participant happen once while it
// runs: the first kick that names them claims them, and a kick that names
// them meanwhile (a /kick and a Disconnect click at the same moment, two
// moderators in a raid) makes no call of its own but waits for that one
// and reports its result, saying who disconnected them.
type Claims struct {
	mu       sync.Mutex
	inflight map[string]*claim
	waiting  int // kicks waiting for another's result
}

// Waiting is how many targets of kicks are waiting for another kick's
// disconnect of the same participant right now.
func (c *Claims) Waiting() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.waiting
}

// NewClaims returns an empty claim registry; one per process (or a shared
// one across replicas) is what makes "exactly once" hold.
func NewClaims() *Claims { return &Claims{inflight: make(map[string]*claim)} }

type claim struct {
	actor  string
	done   chan struct{}
	result TargetOutcome // set before done is closed
}

// partition claims each match for actor, returning the matches this kick
// must disconnect itself and, for the others, the claims it must wait for.
func (c *Claims) partition(conference, actor string, ms []Match) (own []Match, theirs []Match, waits []*claim) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, m := range ms {
		key := conference + "/" + m.Participant.ID
		if cl, ok := c.inflight[key]; ok {
			theirs, waits = append(theirs, m), append(waits, cl)
			continue
		}
		c.inflight[key] = &claim{actor: actor, done: make(chan struct{})}
		own = append(own, m)
	}
	return own, theirs, waits
}

// release publishes this kick's results to whoever waits and drops its
// claims.
func (c *Claims) release(conference string, own []Match, outs []TargetOutcome) {
	c.mu.Lock()
	defer c.mu.Unlock()
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
	}
}

// sharedOutcome waits for another kick's result for m and reports it as
// this kick's, naming who asked for it.
func (c *Claims) sharedOutcome(ctx context.Context, m Match, cl *claim) TargetOutcome {
	c.mu.Lock()
	c.waiting++
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.waiting--
		c.mu.Unlock()
	}()
	select {
	case <-cl.done:
		to := cl.result
		to.Target = m.Target
		if to.Participant == nil {
			to.Participant = participant(m.Participant)
		}
		if to.Result == 0 {
			to.Result, to.Detail = ResultUnconfirmed, "another request was disconnecting them and did not say how it ended; check the meeting"
		}
		to.By = cl.actor
		return to
	case <-ctx.Done():
		return TargetOutcome{Target: m.Target, Participant: participant(m.Participant), Result: ResultUnconfirmed, By: cl.actor,
			Detail: "another request was disconnecting them when this one was cancelled; check the meeting"}
	}
}
