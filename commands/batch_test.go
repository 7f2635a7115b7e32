package commands_test

import (
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/kickbot/kickbot/commands"
	"github.com/kickbot/kickbot/meeting"
	"github.com/kickbot/kickbot/meeting/meetingtest"
)

// Kicks for one meeting that wait together are carried out together
// (issue 17). These tests line the kicks up with the simulator's Hold: the
// first kick's hang-up is held until the rest are queued behind it, so the
// rest form one batch whatever the timing.

const batchConf = "914300001"

type kickResult struct {
	roster *meeting.Roster
	res    commands.Resolution
	out    commands.Outcome
	err    error
}

// batchEnv is a meeting of n generated participants plus a host and two
// participants who share a name.
func batchEnv(t *testing.T, n int, opts ...meetingtest.Option) (*realEnv, []meetingtest.P) {
	t.Helper()
	e := newRealEnv(t, opts...)
	e.sim.AddConference(batchConf).Subject("Batch").Running().
		Host(meetingtest.P{Name: "Batch Host"}).
		Participant(meetingtest.P{Name: "Sam Lee"}).Participant(meetingtest.P{Name: "Sam Lee"}).
		Participants(n)
	var ps []meetingtest.P
	for _, p := range e.sim.Online(batchConf) {
		if p.Name != "Batch Host" && p.Name != "Sam Lee" {
			ps = append(ps, p)
		}
	}
	if len(ps) != n {
		t.Fatalf("seeded %d participants, found %d", n, len(ps))
	}
	e.svc.Claims = commands.NewClaims()
	// A held call never lets the next batch start beside it: the kicks
	// queued behind it form one batch, however slow the machine.
	e.svc.BatchStall = time.Hour
	return e, ps
}

// queueBehindHeldKick starts first, holds its hang-up, then starts the
// others and waits until they are all queued behind it; the returned
// function releases the hang-up and returns every kick's result in the
// order given (first, then others).
func queueBehindHeldKick(t *testing.T, e *realEnv, first commands.Kick, others []commands.Kick) func() []kickResult {
	t.Helper()
	release := e.sim.Hold(meetingtest.EndpointHangUp)
	t.Cleanup(release)
	results := make([]kickResult, 1+len(others))
	var wg sync.WaitGroup
	run := func(i int, k commands.Kick) {
		wg.Go(func() {
			r := &results[i]
			r.roster, r.res, r.out, r.err = e.svc.Kick(testCtx(t), k, nil)
		})
	}
	run(0, first)
	waitFor(t, "the first kick's hang-up held", func() bool { return e.sim.Held(meetingtest.EndpointHangUp) == 1 })
	for i, k := range others {
		run(i+1, k)
	}
	waitFor(t, "the burst queued", func() bool { return e.svc.Queued(batchConf) == len(others) })
	return func() []kickResult {
		release()
		wg.Wait()
		return results
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func kickOf(actor string, targets ...commands.Target) commands.Kick {
	return commands.Kick{Actor: actor, Channel: "C1", Conference: batchConf, Targets: targets}
}

func hangUpCalls(e *realEnv) [][]string {
	var out [][]string
	for _, c := range e.sim.Calls() {
		if c.Endpoint == meetingtest.EndpointHangUp && c.ConferenceID == batchConf {
			out = append(out, c.HangUpIDs)
		}
	}
	return out
}

func TestKickBurstMakesOneDisconnectCall(t *testing.T) {
	const n = 30
	e, ps := batchEnv(t, n+1)
	var others []commands.Kick
	for i, p := range ps[1:] {
		target := byID(p.ID)
		if i%2 == 1 {
			target = commands.Target{Kind: commands.TargetName, Value: p.Name}
		}
		others = append(others, kickOf(fmt.Sprintf("U%02d", i), target))
	}
	results := queueBehindHeldKick(t, e, kickOf("U00", byID(ps[0].ID)), others)()

	calls := hangUpCalls(e)
	var want []string
	for _, p := range ps[1:] {
		want = append(want, p.ID)
	}
	if len(calls) != 2 || !slices.Equal(calls[0], []string{ps[0].ID}) || !sameSet(calls[1], want) {
		t.Fatalf("hang-up calls = %v, want the first kick's alone, then one with the %d others", calls, n)
	}
	// One roster read and one confirming read per batch.
	if got := e.sim.CallCount(meetingtest.EndpointRealTimeInfo); got != 4 {
		t.Errorf("%d roster reads for two batches, want 4", got)
	}
	for i, r := range results {
		if r.err != nil || r.out.Status != commands.StatusDone || len(r.out.Targets) != 1 ||
			r.out.Targets[0].Result != commands.ResultGone || r.out.Targets[0].Participant.ID != ps[i].ID {
			t.Errorf("kick %d: err %v, outcome %s %+v; want done, %s gone", i, r.err, r.out.Status, r.out.Targets, ps[i].Name)
		}
	}
	for _, p := range ps {
		if slices.ContainsFunc(e.sim.Online(batchConf), func(o meetingtest.P) bool { return o.ID == p.ID }) {
			t.Errorf("%s is still in the meeting", p.Name)
		}
	}
}

func TestKickSamePersonInTwoKicksOfABatchIsDisconnectedOnce(t *testing.T) {
	e, ps := batchEnv(t, 3)
	results := queueBehindHeldKick(t, e, kickOf("UA", byID(ps[0].ID)), []commands.Kick{
		kickOf("UB", byID(ps[1].ID)),
		kickOf("UC", commands.Target{Kind: commands.TargetName, Value: ps[1].Name}, byID(ps[2].ID)),
	})()

	calls := hangUpCalls(e)
	if len(calls) != 2 || !sameSet(calls[1], []string{ps[1].ID, ps[2].ID}) {
		t.Fatalf("hang-up calls = %v, want %s once in the batch's call", calls, ps[1].Name)
	}
	// Whichever of the two the batch took first disconnected them; the
	// other is told who did.
	b, c := results[1].out, results[2].out
	for _, o := range []commands.Outcome{b, c} {
		if o.Status != commands.StatusDone || o.Targets[0].Result != commands.ResultGone {
			t.Errorf("kick by %s: %s %+v, want done with %s gone", o.Kick.Actor, o.Status, o.Targets, ps[1].Name)
		}
	}
	byB, byC := b.Targets[0].By, c.Targets[0].By
	if !(byB == "" && byC == "UB") && !(byB == "UC" && byC == "") {
		t.Errorf("%s disconnected by %q (for UB) and %q (for UC); want one kick to have done it and the other to name it", ps[1].Name, byB, byC)
	}
	if len(c.Targets) != 2 || c.Targets[1].Result != commands.ResultGone || c.Targets[1].By != "" {
		t.Errorf("UC's other target: %+v, want gone, by UC's own call", c.Targets)
	}
}

func TestKickRulesHoldPerKickInABatch(t *testing.T) {
	e, ps := batchEnv(t, 3)
	sam := commands.Target{Kind: commands.TargetName, Value: "Sam Lee"}
	host := commands.Target{Kind: commands.TargetName, Value: "Batch Host"}
	nobody := commands.Target{Kind: commands.TargetName, Value: "Nobody Here"}
	results := queueBehindHeldKick(t, e, kickOf("UA", byID(ps[0].ID)), []commands.Kick{
		kickOf("UB", sam, byID(ps[1].ID)), // ambiguous: nothing of it happens
		kickOf("UC", host),                // protected: nothing to do
		kickOf("UD", nobody, byID(ps[2].ID)),
	})()

	if calls := hangUpCalls(e); len(calls) != 2 || !slices.Equal(calls[1], []string{ps[2].ID}) {
		t.Fatalf("hang-up calls = %v, want the batch's to carry only %s", calls, ps[2].Name)
	}
	if r := results[1]; r.err != nil || len(r.res.Ambiguous) != 1 || r.out.Status != 0 {
		t.Errorf("ambiguous kick: err %v, %d ambiguous, status %s; want the candidates and no outcome", r.err, len(r.res.Ambiguous), r.out.Status)
	}
	if r := results[2]; r.out.Status != commands.StatusNothingToDo || r.out.Targets[0].Result != commands.ResultRefused {
		t.Errorf("host kick: %s %+v, want nothing to do, the host refused", r.out.Status, r.out.Targets)
	}
	if r := results[3]; r.out.Status != commands.StatusPartial || r.out.Targets[0].Result != commands.ResultNotFound ||
		r.out.Targets[1].Result != commands.ResultGone {
		t.Errorf("kick with an unknown name: %s %+v, want partial: not found, then gone", r.out.Status, r.out.Targets)
	}
}

// holdBatch lets the held first kick through and holds the next batch's
// hang-up in turn: hook runs while it waits there (its roster was read).
func holdBatch(t *testing.T, e *realEnv, release func() []kickResult, hook func()) []kickResult {
	t.Helper()
	second := e.sim.Hold(meetingtest.EndpointHangUp)
	t.Cleanup(second)
	var results []kickResult
	done := make(chan struct{})
	go func() { defer close(done); results = release() }()
	waitFor(t, "the batch's hang-up held", func() bool { return e.sim.Held(meetingtest.EndpointHangUp) == 1 })
	hook()
	second()
	<-done
	return results
}

func TestKickFailedSharedCallFailsEveryKickInIt(t *testing.T) {
	e, ps := batchEnv(t, 4)
	release := queueBehindHeldKick(t, e, kickOf("UA", byID(ps[0].ID)), []commands.Kick{
		kickOf("UB", byID(ps[1].ID)), kickOf("UC", byID(ps[2].ID), byID(ps[3].ID)),
	})
	results := holdBatch(t, e, release, func() {
		// Refused, and refused again after kickbot renews its token.
		e.sim.FailNext(meetingtest.EndpointHangUp, 2, meetingtest.Fault{Status: http.StatusForbidden, Code: "MMC.111070005", Msg: "NO_PERMISSION"})
	})
	calls := hangUpCalls(e)
	for _, c := range calls[1:] {
		if !sameSet(c, []string{ps[1].ID, ps[2].ID, ps[3].ID}) {
			t.Errorf("hang-up call %v, want every call after the first to carry the batch's three targets", c)
		}
	}
	for i, r := range results[1:] {
		if r.err != nil || r.out.Status != commands.StatusFailed || r.out.UserMessage == "" || r.out.Err == nil {
			t.Errorf("kick %d: err %v, status %s, message %q; want failed with a reason", i+1, r.err, r.out.Status, r.out.UserMessage)
		}
		for _, to := range r.out.Targets {
			if to.Result != commands.ResultFailed || to.Detail == "" {
				t.Errorf("kick %d: %s is %s (%q), want failed with the reason", i+1, to.Participant.Name, to.Result, to.Detail)
			}
		}
	}
	if results[0].out.Status != commands.StatusDone {
		t.Errorf("the first kick, in its own batch, is %s, want done", results[0].out.Status)
	}
}

// TestKickBatchRefusedWholeForOneLeaverIsRetried: a strict meeting refuses
// the whole hang-up because one of the batch's targets has just left; the
// others are disconnected all the same, and the leaver reads as gone.
func TestKickBatchRefusedWholeForOneLeaverIsRetried(t *testing.T) {
	e, ps := batchEnv(t, 4, meetingtest.WithStrictHangUp(true))
	release := queueBehindHeldKick(t, e, kickOf("UA", byID(ps[0].ID)), []commands.Kick{
		kickOf("UB", byID(ps[1].ID)), kickOf("UC", byID(ps[2].ID)), kickOf("UD", byID(ps[3].ID)),
	})
	results := holdBatch(t, e, release, func() { e.sim.Leave(batchConf, ps[2].ID) })

	calls := hangUpCalls(e)
	if len(calls) != 3 || !sameSet(calls[2], []string{ps[1].ID, ps[3].ID}) {
		t.Fatalf("hang-up calls = %v, want the batch's refused, then retried without %s", calls, ps[2].Name)
	}
	for i, r := range results {
		if r.err != nil || r.out.Status != commands.StatusDone {
			t.Errorf("kick %d: err %v, status %s (%q), want done", i, r.err, r.out.Status, r.out.UserMessage)
		}
	}
}

func sameSet(a, b []string) bool {
	return len(a) == len(b) && !slices.ContainsFunc(a, func(s string) bool { return !slices.Contains(b, s) })
}
