package meeting_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/kickbot/kickbot/meeting"
	"github.com/kickbot/kickbot/meeting/meetingtest"
	"github.com/kickbot/kickbot/secret"
)

// errorCase is one failure a user could run into, and how the client must
// classify it.
type errorCase struct {
	name   string
	opts   envOpt
	setup  func(e *env)
	call   func(ctx context.Context, e *env) error // default: Roster of the sample meeting
	kind   meeting.Kind
	status int    // 0 = do not check
	code   string // "" = do not check
	msg    string // substring of Error(); "" = do not check
}

func errorCases() []errorCase {
	roster := func(conf string) func(ctx context.Context, e *env) error {
		return func(ctx context.Context, e *env) error { _, err := e.client.Roster(ctx, conf); return err }
	}
	kick := func(ids ...string) func(ctx context.Context, e *env) error {
		return func(ctx context.Context, e *env) error {
			if ids == nil {
				ids = []string{e.others(0)}
			}
			_, err := e.client.Disconnect(ctx, e.facts.ConferenceID, ids)
			return err
		}
	}
	fail := func(ep meetingtest.Endpoint, n int, f meetingtest.Fault) func(e *env) {
		return func(e *env) { e.sim.FailNext(ep, n, f) }
	}
	return []errorCase{
		{name: "unknown conference", call: roster("123456789"),
			kind: meeting.KindConferenceNotFound, status: 400, code: "MMC.111070005"},
		{name: "wrong host password on token", setup: fail(epToken, 1, meetingtest.Fault{Status: 400, Code: "MMC.111072065", Msg: "CONF_NOT_FOUND_OR_AUTH_FAILED"}),
			kind: meeting.KindConferenceNotFound, status: 400, code: "MMC.111072065"},
		{name: "meeting scheduled, not started",
			setup: func(e *env) {
				e.sim.AddConference("700000001").Subject("Later").Scheduler(e.facts.UserID).Passwords("111111", "222222").Scheduled()
			},
			call: roster("700000001"), kind: meeting.KindNotRunning},
		{name: "meeting ended",
			setup: func(e *env) {
				e.sim.AddConference("700000002").Subject("Done").Scheduler(e.facts.UserID).Passwords("111111", "222222").Ended()
			},
			call: roster("700000002"), kind: meeting.KindMeetingEnded},
		{name: "meeting not running on token", setup: fail(epToken, 1, meetingtest.Fault{Status: 400, Code: "MMC.111072005"}),
			kind: meeting.KindNotRunning, code: "MMC.111072005"},
		{name: "meeting closed on hang-up", setup: fail(epHangUp, 1, meetingtest.Fault{Status: 400, Code: "MMC.111072006"}),
			call: kick(), kind: meeting.KindMeetingEnded, code: "MMC.111072006"},
		{name: "token user is not the scheduler",
			setup: func(e *env) {
				e.sim.AddConference("700000003").Subject("Theirs").Scheduler("someone-else").Passwords("111111", "222222").Running()
			},
			call: roster("700000003"), kind: meeting.KindForbidden, msg: "scheduled the meeting"},
		{name: "wrong app key", opts: envOpt{cfg: func(c *meeting.Config) { c.AppKey = secret.New("not the key") }},
			kind: meeting.KindUnauthorized, status: 401},
		{name: "unknown app id", opts: envOpt{cfg: func(c *meeting.Config) { c.AppID = "no-such-app" }},
			kind: meeting.KindUnauthorized, status: 401},
		{name: "control token refused twice", setup: fail(epRealTime, 2, meetingtest.Fault{Status: 401, Code: "MMC.118000001", Msg: "USER_TOKEN_AUTH_FAILED"}),
			kind: meeting.KindUnauthorized, status: 401, code: "MMC.118000001"},
		{name: "forbidden twice", setup: fail(epRealTime, 2, meetingtest.Fault{Status: 403}),
			kind: meeting.KindForbidden, status: 403},
		{name: "insufficient permissions twice", setup: fail(epHangUp, 2, meetingtest.Fault{Status: 400, Code: "MMC.111070002"}),
			call: kick(), kind: meeting.KindForbidden, code: "MMC.111070002"},
		{name: "rate limited", setup: fail(epRealTime, 10, meetingtest.Fault{Status: 429, Code: "100000429"}),
			kind: meeting.KindRateLimited, status: 429, code: "100000429"},
		{name: "control login locked", setup: fail(epToken, 1, meetingtest.Fault{Status: 400, Code: "MMC.111072064"}),
			kind: meeting.KindLocked, code: "MMC.111072064"},
		{name: "server error", setup: fail(epRealTime, 10, meetingtest.Fault{Status: 500, Code: "MMC.111070003", Msg: "CONF_EXCEPTION"}),
			kind: meeting.KindServer, status: 500},
		{name: "gateway 502 without body", setup: fail(epHangUp, 10, meetingtest.Fault{Status: 502}),
			call: kick(), kind: meeting.KindServer, status: 502},
		{name: "connection dropped", setup: fail(epRealTime, 10, meetingtest.Fault{CloseConn: true}),
			kind: meeting.KindNetwork},
		{name: "other bad request", setup: fail(epHangUp, 1, meetingtest.Fault{Status: 400, Code: "MMC.111070001"}),
			call: kick(), kind: meeting.KindBadRequest, status: 400},
		{name: "invalid conference id", call: roster("9140 83136"), kind: meeting.KindBadRequest},
		{name: "empty pid", call: kick("a", ""), kind: meeting.KindBadRequest},
		{name: "no pids", call: kick([]string{}...), kind: meeting.KindBadRequest},
		{name: "canceled context",
			call: func(_ context.Context, e *env) error {
				ctx, cancel := context.WithCancel(context.Background())
				cancel()
				_, err := e.client.Roster(ctx, e.facts.ConferenceID)
				return err
			},
			kind: meeting.KindCanceled},
	}
}

func TestErrorClasses(t *testing.T) {
	for _, tc := range errorCases() {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.opts)
			if tc.setup != nil {
				tc.setup(e)
			}
			call := tc.call
			if call == nil {
				call = func(ctx context.Context, e *env) error {
					_, err := e.client.Roster(ctx, e.facts.ConferenceID)
					return err
				}
			}
			err := call(ctxT(t), e)
			if err == nil {
				t.Fatalf("got no error, want %v", tc.kind)
			}
			me := asError(t, err)
			if me.Kind != tc.kind {
				t.Errorf("kind = %v (%v), want %v", me.Kind, err, tc.kind)
			}
			if tc.status != 0 && me.Status != tc.status {
				t.Errorf("status = %d, want %d", me.Status, tc.status)
			}
			if tc.code != "" && me.Code != tc.code {
				t.Errorf("code = %q, want %q", me.Code, tc.code)
			}
			if tc.msg != "" && !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not say %q", err, tc.msg)
			}
			if me.Status != 0 && me.RequestID == "" {
				t.Errorf("error with HTTP %d has no RequestID", me.Status)
			}
			if me.Op == "" {
				t.Error("error has no Op")
			}
		})
	}
}

// TestNotRunningSkipsToken: a scheduled meeting is recognised from confDetail;
// no control token is requested for it.
func TestNotRunningSkipsToken(t *testing.T) {
	e := newEnv(t, envOpt{})
	e.sim.AddConference("700000001").Subject("Later").Scheduler(e.facts.UserID).Passwords("111111", "222222").Scheduled()
	_, err := e.client.Roster(ctxT(t), "700000001")
	if meeting.KindOf(err) != meeting.KindNotRunning {
		t.Fatalf("err = %v, want not_running", err)
	}
	if n := e.sim.CallCount(epToken); n != 0 {
		t.Errorf("token calls = %d, want 0", n)
	}
}

// TestStrictMode: a strict server refuses the whole hang-up when one pid is
// not online (someone left between the roster read and the click). The
// client hangs up, once more, whoever is still online, and reports the one
// who left as gone: they are.
func TestStrictMode(t *testing.T) {
	e := newEnv(t, envOpt{sim: []meetingtest.Option{meetingtest.WithStrictHangUp(true)}})
	known, left := e.others(0), "0123456789abcdef0123456789abcdef"
	res, err := e.client.Disconnect(ctxT(t), e.facts.ConferenceID, []string{known, left})
	if err != nil {
		t.Fatalf("Disconnect: %v", err)
	}
	if !slices.Equal(res.Gone, []string{known, left}) || len(res.StillPresent) != 0 || online(e, known) {
		t.Errorf("Gone %v StillPresent %v, want both gone", res.Gone, res.StillPresent)
	}
	if got := e.sim.HangUpIDs(e.facts.ConferenceID); !slices.Equal(got, []string{known, left, known}) {
		t.Errorf("hang-up ids sent %v, want [known left] refused, then [known] alone", got)
	}
}

func TestLenientUnknownID(t *testing.T) {
	e := newEnv(t, envOpt{})
	known, unknown := e.others(0), "0123456789abcdef0123456789abcdef"
	res, err := e.client.Disconnect(ctxT(t), e.facts.ConferenceID, []string{known, unknown})
	if err != nil {
		t.Fatal(err)
	}
	// An unknown pid is not in the roster afterwards either: gone, as far
	// as anyone can tell.
	if len(res.Gone) != 2 || len(res.StillPresent) != 0 || online(e, known) {
		t.Errorf("Gone %v StillPresent %v, want both gone", res.Gone, res.StillPresent)
	}
}

func TestStickyParticipant(t *testing.T) {
	e := newEnv(t, envOpt{})
	sticky := meetingtest.P{ID: "5717c4d9a0b1c2d3e4f5a6b7c8d9e0f1", Name: "Sticky Steve", Sticky: true}
	e.sim.Join(e.facts.ConferenceID, sticky)
	other := e.others(0)
	res, err := e.client.Disconnect(ctxT(t), e.facts.ConferenceID, []string{sticky.ID, other})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{sticky.ID}; len(res.StillPresent) != 1 || res.StillPresent[0] != want[0] {
		t.Errorf("StillPresent = %v, want %v", res.StillPresent, want)
	}
	if len(res.Gone) != 1 || res.Gone[0] != other {
		t.Errorf("Gone = %v, want [%s]", res.Gone, other)
	}
}

func TestChunking(t *testing.T) {
	tests := []struct {
		name      string
		maxPer    int
		simLimit  int
		wantCalls int
		wantKind  meeting.Kind // KindUnknown = success
	}{
		{"one bulk call", 0, 0, 1, meeting.KindUnknown},
		{"chunks of 2", 2, 2, 3, meeting.KindUnknown},
		{"chunk size above the count", 10, 0, 1, meeting.KindUnknown},
		{"server cap without chunking", 0, 2, 1, meeting.KindBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, envOpt{
				sim: []meetingtest.Option{meetingtest.WithHangUpLimit(tt.simLimit)},
				cfg: func(c *meeting.Config) { c.MaxPerHangUp = tt.maxPer },
			})
			e.sim.AddConference("800000001").Subject("Big").Scheduler(e.facts.UserID).Passwords("111111", "222222").
				Host(meetingtest.P{ID: "00000000000000000000000000000001", Name: "Host"}).Participants(5)
			var ids []string
			for _, p := range e.sim.Online("800000001") {
				if p.ID != "00000000000000000000000000000001" {
					ids = append(ids, p.ID)
				}
			}
			if len(ids) != 5 {
				t.Fatalf("simulator has %d generated participants, want 5", len(ids))
			}
			res, err := e.client.Disconnect(ctxT(t), "800000001", ids)
			if got := e.sim.CallCount(epHangUp); got != tt.wantCalls {
				t.Errorf("hang-up calls = %d, want %d", got, tt.wantCalls)
			}
			if tt.wantKind != meeting.KindUnknown {
				if meeting.KindOf(err) != tt.wantKind {
					t.Fatalf("err = %v, want %v", err, tt.wantKind)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Gone) != 5 || len(res.RequestIDs) != tt.wantCalls {
				t.Errorf("Gone %d RequestIDs %d, want 5 and %d", len(res.Gone), len(res.RequestIDs), tt.wantCalls)
			}
			for _, c := range e.sim.Calls() {
				if c.Endpoint == epHangUp && tt.maxPer > 0 && len(c.HangUpIDs) > tt.maxPer {
					t.Errorf("a hang-up call carried %d ids, want ≤ %d", len(c.HangUpIDs), tt.maxPer)
				}
			}
		})
	}
}

// TestChunkFailureReportsProgress: when a later chunk is refused, the
// caller still learns who is already gone.
func TestChunkFailureReportsProgress(t *testing.T) {
	e := newEnv(t, envOpt{cfg: func(c *meeting.Config) { c.MaxPerHangUp = 1 }})
	a, b, c := e.others(0), e.others(1), e.others(2)
	// Chunk 1 (a) goes through; chunk 2 (b) is refused; c in chunk 3 is
	// never sent.
	e.sim.FailNext(epHangUp, 1, meetingtest.Fault{})
	e.sim.FailNext(epHangUp, 1, meetingtest.Fault{Status: 400, Code: "MMC.111070001"})
	res, err := e.client.Disconnect(ctxT(t), e.facts.ConferenceID, []string{a, b, c})
	if meeting.KindOf(err) != meeting.KindBadRequest {
		t.Fatalf("err = %v, want bad_request", err)
	}
	if res == nil || len(res.RequestIDs) != 1 || res.After == nil || !slices.Equal(res.Gone, []string{a}) ||
		!slices.Equal(res.StillPresent, []string{b, c}) {
		t.Errorf("partial result = %+v, want a gone, b and c still present, one request id", res)
	}
	if got := e.sim.CallCount(epHangUp); got != 2 {
		t.Errorf("hang-up calls = %d, want 2 (stop at the failed chunk)", got)
	}
}

func online(e *env, id string) bool {
	for _, p := range e.sim.Online(e.facts.ConferenceID) {
		if p.ID == id {
			return true
		}
	}
	return false
}
