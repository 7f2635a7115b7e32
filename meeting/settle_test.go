package meeting_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/kickbot/kickbot/meeting"
	"github.com/kickbot/kickbot/meeting/meetingtest"
)

// TestAmbiguousHangUpSettledByRoster: when the hang-up's answer is lost or
// is a 5xx, or a retry finds the pids already gone, the roster decides what
// the moderator is told. Every case runs against a strict and a lenient
// server, since Huawei does not document which one it is.
func TestAmbiguousHangUpSettledByRoster(t *testing.T) {
	type want struct {
		kind         meeting.Kind // KindUnknown: no error
		gone, still  bool         // everyone requested in Gone / in StillPresent
		noAfter      bool         // the re-read failed: After nil
		maybeApplied bool
		nilResult    bool
	}
	tests := []struct {
		name    string
		setup   func(e *env)
		timeout time.Duration // caller's deadline; 0 = the test's
		want    want
	}{
		{"applied, reply lost once", func(e *env) {
			e.sim.FailNext(epHangUp, 1, meetingtest.Fault{Applied: true, CloseConn: true})
		}, 0, want{gone: true, maybeApplied: true}},
		{"applied, then 5xx until retries run out", func(e *env) {
			e.sim.FailNext(epHangUp, 1, meetingtest.Fault{Applied: true, Status: 500})
			e.sim.FailNext(epHangUp, 10, meetingtest.Fault{Status: 503})
		}, 0, want{gone: true, maybeApplied: true}},
		{"applied, then every reply lost", func(e *env) {
			e.sim.FailNext(epHangUp, 1, meetingtest.Fault{Applied: true, CloseConn: true})
			e.sim.FailNext(epHangUp, 10, meetingtest.Fault{CloseConn: true})
		}, 0, want{gone: true, maybeApplied: true}},
		{"applied, caller times out waiting", func(e *env) {
			e.sim.FailNext(epHangUp, 1, meetingtest.Fault{Applied: true, Delay: 30 * time.Second})
		}, 300 * time.Millisecond, want{gone: true, maybeApplied: true}},
		{"not applied, 5xx until retries run out", func(e *env) {
			e.sim.FailNext(epHangUp, 10, meetingtest.Fault{Status: 503})
		}, 0, want{kind: meeting.KindServer, still: true, maybeApplied: true}},
		{"not applied, every reply lost", func(e *env) {
			e.sim.FailNext(epHangUp, 10, meetingtest.Fault{CloseConn: true})
		}, 0, want{kind: meeting.KindNetwork, still: true, maybeApplied: true}},
		{"applied, reply lost, re-read unreadable", func(e *env) {
			e.sim.FailNext(epHangUp, 1, meetingtest.Fault{Applied: true, CloseConn: true})
			e.sim.FailNext(epHangUp, 10, meetingtest.Fault{CloseConn: true})
			e.sim.FailNext(epRealTime, 10, meetingtest.Fault{Roster: meetingtest.RosterParticipantsObject})
		}, 0, want{kind: meeting.KindNetwork, noAfter: true, maybeApplied: true}},
		{"accepted, re-read has an entry without pid", func(e *env) {
			e.sim.FailNext(epRealTime, 10, meetingtest.Fault{Roster: meetingtest.RosterEntryWithoutPID})
		}, 0, want{kind: meeting.KindMalformed, noAfter: true, maybeApplied: true}},
		{"accepted, re-read without confInfo", func(e *env) {
			e.sim.FailNext(epRealTime, 10, meetingtest.Fault{Roster: meetingtest.RosterNoConfInfo})
		}, 0, want{kind: meeting.KindMalformed, noAfter: true, maybeApplied: true}},
		{"refused outright: nothing to settle", func(e *env) {
			e.sim.FailNext(epHangUp, 1, meetingtest.Fault{Status: 400, Code: "MMC.111070001"})
		}, 0, want{kind: meeting.KindBadRequest, nilResult: true}},
	}
	for _, strict := range []bool{false, true} {
		mode := "lenient"
		if strict {
			mode = "strict"
		}
		for _, tt := range tests {
			t.Run(mode+"/"+tt.name, func(t *testing.T) {
				e := newEnv(t, envOpt{sim: []meetingtest.Option{meetingtest.WithStrictHangUp(strict)}})
				ids := []string{e.others(0), e.others(1)}
				tt.setup(e)
				ctx := ctxT(t)
				if tt.timeout > 0 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, tt.timeout)
					defer cancel()
				}
				res, err := e.client.Disconnect(ctx, e.facts.ConferenceID, ids)
				if got := meeting.KindOf(err); got != tt.want.kind || (tt.want.kind == meeting.KindUnknown) != (err == nil) {
					t.Fatalf("err = %v (kind %v), want kind %v", err, got, tt.want.kind)
				}
				if tt.want.nilResult {
					if res != nil {
						t.Errorf("result %+v, want none", res)
					}
					if n := e.sim.CallCount(epRealTime); n != 0 {
						t.Errorf("%d roster reads after a refusal, want 0", n)
					}
					return
				}
				if res == nil {
					t.Fatal("no result")
				}
				if res.MaybeApplied != tt.want.maybeApplied {
					t.Errorf("MaybeApplied = %v, want %v", res.MaybeApplied, tt.want.maybeApplied)
				}
				switch {
				case tt.want.noAfter:
					if res.After != nil || len(res.Gone) != 0 || len(res.StillPresent) != 0 {
						t.Errorf("After %v Gone %v StillPresent %v; an unreadable re-read must report nobody gone or present",
							res.After, res.Gone, res.StillPresent)
					}
				case tt.want.gone:
					if !slices.Equal(res.Gone, ids) || len(res.StillPresent) != 0 || res.After == nil {
						t.Errorf("Gone %v StillPresent %v, want all gone", res.Gone, res.StillPresent)
					}
				case tt.want.still:
					if !slices.Equal(res.StillPresent, ids) || len(res.Gone) != 0 {
						t.Errorf("Gone %v StillPresent %v, want all still present", res.Gone, res.StillPresent)
					}
				}
				// What the roster said is the truth: check it against the
				// meeting itself.
				for _, id := range res.Gone {
					if online(e, id) {
						t.Errorf("%s reported gone but still online", id)
					}
				}
				for _, id := range res.StillPresent {
					if !online(e, id) {
						t.Errorf("%s reported present but offline", id)
					}
				}
			})
		}
	}
}

// TestRetryRefusedAfterAppliedStrict pins the strict-server sequence of
// issue 11: the first try is applied and its reply lost, the automatic
// retry is refused with MMC.111072008, and the result is "disconnected".
func TestRetryRefusedAfterAppliedStrict(t *testing.T) {
	e := newEnv(t, envOpt{sim: []meetingtest.Option{meetingtest.WithStrictHangUp(true)}})
	id := e.others(0)
	e.sim.FailNext(epHangUp, 1, meetingtest.Fault{Applied: true, CloseConn: true})
	res, err := e.client.Disconnect(ctxT(t), e.facts.ConferenceID, []string{id})
	if err != nil || !slices.Equal(res.Gone, []string{id}) {
		t.Fatalf("Disconnect = %+v, %v; want %s gone, no error", res, err, id)
	}
	var statuses []int
	for _, c := range e.sim.Calls() {
		if c.Endpoint == epHangUp {
			statuses = append(statuses, c.Status)
		}
	}
	if !slices.Equal(statuses, []int{0, 400}) {
		t.Errorf("hang-up replies %v, want [0 400]: applied with the reply lost, then the retry refused", statuses)
	}
}
