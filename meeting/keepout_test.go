package meeting_test

import (
	"slices"
	"testing"

	"github.com/kickbot/kickbot/meeting"
	"github.com/kickbot/kickbot/meeting/meetingtest"
)

// For TestSecretsNeverLeak: the keep-out endpoints, refused with an
// auth-shaped answer (renewed once, then reported).
var (
	keepOutLeakOpts  = []meetingtest.Option{meetingtest.WithBulkWaitingRoom(false)}
	keepOutEndpoints = []meetingtest.Endpoint{meetingtest.EndpointLock, meetingtest.EndpointMoveToWaitingRoom,
		meetingtest.EndpointBatchMoveToWaitingRoom, meetingtest.EndpointAllowWaiting}
	keepOutLeakFault = meetingtest.Fault{Status: 401}
)

// pathCalls counts the simulator's calls to path (also to a path it does
// not serve, which records no Endpoint).
func (e *env) pathCalls(path string) int {
	n := 0
	for _, c := range e.sim.Calls() {
		if c.Path == path {
			n++
		}
	}
	return n
}

func onlinePIDs(ps []meetingtest.P) []string {
	out := make([]string, 0, len(ps))
	for _, p := range ps {
		out = append(out, p.ID)
	}
	return out
}

// The story a moderator tells: lock, the troll cannot rejoin, the host's
// colleague with the host password can, unlock, anyone can.
func TestLockKeepsGuestsOut(t *testing.T) {
	e := newEnv(t, envOpt{})
	conf := e.facts.ConferenceID
	res, err := e.client.Lock(ctxT(t), conf, true)
	if err != nil || !res.Locked || res.Unchanged || res.RequestID == "" || res.ConferenceID != conf {
		t.Fatalf("Lock = %+v, %v; want locked with a request ID", res, err)
	}
	if !e.sim.Locked(conf) {
		t.Fatal("the simulator is not locked")
	}
	troll := meetingtest.P{ID: "70770770770770770770770770770770", Name: "Troll"}
	if e.sim.Join(conf, troll) {
		t.Fatal("a guest joined the locked meeting")
	}
	if !e.sim.Join(conf, meetingtest.P{ID: "c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0", Name: "Colleague", HostLink: true}) {
		t.Fatal("a host-password join was refused while locked")
	}
	if res, err := e.client.Lock(ctxT(t), conf, false); err != nil || res.Locked {
		t.Fatalf("unlock = %+v, %v", res, err)
	}
	if e.sim.Locked(conf) || !e.sim.Join(conf, troll) {
		t.Fatal("a guest could not join after the unlock")
	}
	r, err := e.client.Roster(ctxT(t), conf)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := r.ByID(troll.ID); !ok {
		t.Fatal("the roster does not show the guest who joined after the unlock")
	}
	if got := e.sim.CallCount(meetingtest.EndpointLock); got != 2 {
		t.Fatalf("%d lock calls, want 2", got)
	}
}

func TestLockRepeated(t *testing.T) {
	tests := []struct {
		name          string
		mode          meetingtest.RepeatLock
		wantUnchanged bool
		wantUnlockErr meeting.Kind // for an unlock of an unlocked meeting; KindUnknown = none
	}{
		{"server accepts repeats", meetingtest.RepeatLockAccepted, false, meeting.KindUnknown},
		{"server refuses repeats", meetingtest.RepeatLockRefused, true, meeting.KindBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, envOpt{sim: []meetingtest.Option{meetingtest.WithRepeatLock(tt.mode)}})
			conf := e.facts.ConferenceID
			if _, err := e.client.Lock(ctxT(t), conf, true); err != nil {
				t.Fatal(err)
			}
			res, err := e.client.Lock(ctxT(t), conf, true)
			if err != nil || !res.Locked || res.Unchanged != tt.wantUnchanged {
				t.Fatalf("second lock = %+v, %v; want success, Unchanged %v", res, err, tt.wantUnchanged)
			}
			if !e.sim.Locked(conf) {
				t.Fatal("not locked")
			}
			if _, err := e.client.Lock(ctxT(t), conf, false); err != nil {
				t.Fatal(err)
			}
			_, err = e.client.Lock(ctxT(t), conf, false)
			if got := meeting.KindOf(err); got != tt.wantUnlockErr || (err == nil) != (tt.wantUnlockErr == meeting.KindUnknown) {
				t.Fatalf("second unlock: got %v (%v), want kind %v", err, got, tt.wantUnlockErr)
			}
			if e.sim.Locked(conf) {
				t.Fatal("locked after the unlocks")
			}
		})
	}
}

// A lock applied whose reply is lost is retried; a server that refuses a
// repeated lock answers the retry with "meeting locked", which is success.
func TestLockLostReplyIsRetried(t *testing.T) {
	e := newEnv(t, envOpt{sim: []meetingtest.Option{meetingtest.WithRepeatLock(meetingtest.RepeatLockRefused)}})
	conf := e.facts.ConferenceID
	e.sim.FailNext(meetingtest.EndpointLock, 1, meetingtest.Fault{Applied: true, Status: 502})
	res, err := e.client.Lock(ctxT(t), conf, true)
	if err != nil || !res.Locked || !res.Unchanged {
		t.Fatalf("Lock = %+v, %v; want success found already locked", res, err)
	}
	if n := e.sim.CallCount(meetingtest.EndpointLock); n != 2 || !e.sim.Locked(conf) {
		t.Fatalf("%d lock calls, locked %v; want 2 and locked", n, e.sim.Locked(conf))
	}
}

// Every new call renews an auth-shaped refusal once, through the shared
// control-token chain, and classifies what it cannot fix.
func TestKeepOutAuthAndClassification(t *testing.T) {
	type op struct {
		name string
		ep   meetingtest.Endpoint
		call func(e *env) error
	}
	ops := []op{
		{"lock", meetingtest.EndpointLock, func(e *env) error {
			_, err := e.client.Lock(ctxT(t), e.facts.ConferenceID, true)
			return err
		}},
		{"batch move", meetingtest.EndpointBatchMoveToWaitingRoom, func(e *env) error {
			_, err := e.client.MoveToWaitingRoom(ctxT(t), e.facts.ConferenceID, []string{e.others(0)})
			return err
		}},
		{"admit", meetingtest.EndpointAllowWaiting, func(e *env) error {
			_, err := e.client.AdmitAll(ctxT(t), e.facts.ConferenceID)
			return err
		}},
	}
	for _, o := range ops {
		t.Run(o.name, func(t *testing.T) {
			e := newEnv(t, envOpt{})
			if _, err := e.client.Roster(ctxT(t), e.facts.ConferenceID); err != nil { // caches a token
				t.Fatal(err)
			}
			tokens := e.sim.CallCount(meetingtest.EndpointControlToken)
			e.sim.ExpireControlTokens()
			if err := o.call(e); err != nil {
				t.Fatalf("with a token the server dropped: %v", err)
			}
			if got := e.sim.CallCount(meetingtest.EndpointControlToken); got <= tokens {
				t.Fatal("no new control token was fetched")
			}

			// Auth-shaped twice: renewed once, then reported.
			e.sim.FailNext(o.ep, 2, meetingtest.Fault{Status: 401})
			before := e.sim.CallCount(o.ep)
			if err := o.call(e); meeting.KindOf(err) != meeting.KindUnauthorized {
				t.Fatalf("got %v, want unauthorized", err)
			}
			if n := e.sim.CallCount(o.ep) - before; n != 2 {
				t.Fatalf("%d calls, want 2 (one renewal)", n)
			}

			// 5xx is retried.
			e.sim.FailNext(o.ep, 1, meetingtest.Fault{Status: 503})
			if err := o.call(e); err != nil {
				t.Fatalf("after one 503: %v", err)
			}

			// Meeting locked is classified.
			if o.ep != meetingtest.EndpointLock {
				e.sim.FailNext(o.ep, 1, meetingtest.Fault{Status: 400, Code: meetingtest.CodeConfLocked, Msg: "CONF_LOCKED"})
				if err := o.call(e); meeting.KindOf(err) != meeting.KindMeetingLocked {
					t.Fatalf("got %v, want meeting_locked", err)
				}
			}

			// The meeting ended.
			e.sim.End(e.facts.ConferenceID)
			if err := o.call(e); meeting.KindOf(err) != meeting.KindMeetingEnded && meeting.KindOf(err) != meeting.KindNotRunning {
				t.Fatalf("after the end: got %v, want meeting ended", err)
			}
		})
	}
}

func TestMoveToWaitingRoomBulk(t *testing.T) {
	e := newEnv(t, envOpt{})
	conf := e.facts.ConferenceID
	ids := []string{e.others(0), e.others(1), e.others(0)}
	res, err := e.client.MoveToWaitingRoom(ctxT(t), conf, ids)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Bulk || len(res.RequestIDs) != 1 || res.After == nil {
		t.Fatalf("result %+v; want one bulk call, confirmed", res)
	}
	if got, want := res.Moved(), []string{e.others(0), e.others(1)}; !slices.Equal(got, want) {
		t.Fatalf("Moved = %v, want %v (duplicates collapse)", got, want)
	}
	if got, want := onlinePIDs(e.sim.Waiting(conf)), []string{e.others(0), e.others(1)}; !slices.Equal(got, want) {
		t.Fatalf("waiting room %v, want %v", got, want)
	}
	if n := e.sim.CallCount(meetingtest.EndpointBatchMoveToWaitingRoom); n != 1 || e.sim.CallCount(meetingtest.EndpointMoveToWaitingRoom) != 0 {
		t.Fatalf("%d bulk calls, %d single; want 1 and 0", n, e.sim.CallCount(meetingtest.EndpointMoveToWaitingRoom))
	}
	for _, bad := range [][]string{nil, {""}, {"a\nb"}} {
		if _, err := e.client.MoveToWaitingRoom(ctxT(t), conf, bad); meeting.KindOf(err) != meeting.KindBadRequest {
			t.Errorf("MoveToWaitingRoom(%q) = %v, want bad_request", bad, err)
		}
	}
}

// Where batchMoveToWaitingRoom is missing (404 APIGW.0101) the client moves
// one by one, and remembers: the next request goes straight to single moves.
func TestMoveToWaitingRoomFallsBackWhenBulkIsMissing(t *testing.T) {
	e := newEnv(t, envOpt{sim: []meetingtest.Option{meetingtest.WithBulkWaitingRoom(false)}})
	conf := e.facts.ConferenceID
	res, err := e.client.MoveToWaitingRoom(ctxT(t), conf, []string{e.others(0), e.others(1)})
	if err != nil {
		t.Fatal(err)
	}
	if res.Bulk || len(res.RequestIDs) != 2 || !slices.Equal(res.Moved(), []string{e.others(0), e.others(1)}) {
		t.Fatalf("first move %+v; want two single moves, both moved", res)
	}
	if n := e.pathCalls(meetingtest.PathBatchMoveToWaitingRoom); n != 1 {
		t.Fatalf("%d bulk attempts, want 1", n)
	}
	res, err = e.client.MoveToWaitingRoom(ctxT(t), conf, []string{e.others(3), e.others(4)})
	if err != nil || !slices.Equal(res.Moved(), []string{e.others(3), e.others(4)}) {
		t.Fatalf("second move %+v, %v", res, err)
	}
	if n := e.pathCalls(meetingtest.PathBatchMoveToWaitingRoom); n != 1 {
		t.Fatalf("%d bulk attempts after the second move, want still 1 (remembered)", n)
	}
	if n := e.sim.CallCount(meetingtest.EndpointMoveToWaitingRoom); n != 4 {
		t.Fatalf("%d single moves, want 4", n)
	}
	if got := len(e.sim.Waiting(conf)); got != 4 {
		t.Fatalf("%d waiting, want 4", got)
	}
	// Another client has not learnt it.
	other, err := meeting.New(e.cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.MoveToWaitingRoom(ctxT(t), conf, []string{e.others(5)}); err != nil {
		t.Fatal(err)
	}
	if n := e.pathCalls(meetingtest.PathBatchMoveToWaitingRoom); n != 2 {
		t.Fatalf("%d bulk attempts, want 2 (the memory is per client)", n)
	}
}

func TestMoveToWaitingRoomPerPidOutcomes(t *testing.T) {
	const ghost = "00000000000000000000000000000000"
	tests := []struct {
		name  string
		opts  []meetingtest.Option
		setup func(e *env)
		want  map[int]meeting.MoveStatus // index into the request → status
		kinds map[int]meeting.Kind
	}{
		{"strict server: the others are moved singly", []meetingtest.Option{meetingtest.WithStrictMove(true)}, nil,
			map[int]meeting.MoveStatus{0: meeting.MoveDone, 1: meeting.MoveNotOnline, 2: meeting.MoveDone},
			map[int]meeting.Kind{1: meeting.KindParticipantNotFound}},
		{"strict server without bulk", []meetingtest.Option{meetingtest.WithStrictMove(true), meetingtest.WithBulkWaitingRoom(false)}, nil,
			map[int]meeting.MoveStatus{0: meeting.MoveDone, 1: meeting.MoveNotOnline, 2: meeting.MoveDone},
			map[int]meeting.Kind{1: meeting.KindParticipantNotFound}},
		{"sticky participant stays", nil, func(e *env) {
			e.sim.Join(e.facts.ConferenceID, meetingtest.P{ID: e.others(2), Name: "Sticky", Sticky: true})
		}, map[int]meeting.MoveStatus{0: meeting.MoveDone, 2: meeting.MoveStillPresent}, nil},
		{"roster unreadable afterwards", nil, func(e *env) {
			e.sim.FailNext(meetingtest.EndpointRealTimeInfo, 10, meetingtest.Fault{Status: 500})
		}, map[int]meeting.MoveStatus{0: meeting.MoveUnconfirmed, 2: meeting.MoveUnconfirmed}, nil},
		{"reply lost after the move", nil, func(e *env) {
			e.sim.FailNext(meetingtest.EndpointBatchMoveToWaitingRoom, 1, meetingtest.Fault{Applied: true, Status: 502})
		}, map[int]meeting.MoveStatus{0: meeting.MoveDone, 2: meeting.MoveDone}, nil},
		{"refused, reply spoilt, strict server", []meetingtest.Option{meetingtest.WithStrictMove(true)}, func(e *env) {
			e.sim.FailNext(meetingtest.EndpointBatchMoveToWaitingRoom, 1, meetingtest.Fault{Applied: true, Status: 502})
		}, map[int]meeting.MoveStatus{0: meeting.MoveDone, 1: meeting.MoveNotOnline, 2: meeting.MoveDone}, nil},
		{"a single move refused, the next still tried",
			[]meetingtest.Option{meetingtest.WithBulkWaitingRoom(false), meetingtest.WithStrictMove(true)}, func(e *env) {
				e.sim.FailNext(meetingtest.EndpointMoveToWaitingRoom, 1, meetingtest.Fault{Status: 400})
			}, map[int]meeting.MoveStatus{0: meeting.MoveFailed, 1: meeting.MoveNotOnline, 2: meeting.MoveDone},
			map[int]meeting.Kind{0: meeting.KindBadRequest}},
		{"singles stop at a refusal of the meeting", []meetingtest.Option{meetingtest.WithBulkWaitingRoom(false)}, func(e *env) {
			e.sim.FailNext(meetingtest.EndpointMoveToWaitingRoom, 1, meetingtest.Fault{}) // the first passes
			e.sim.FailNext(meetingtest.EndpointMoveToWaitingRoom, 1, meetingtest.Fault{Status: 400, Code: meetingtest.CodeConfLocked})
		}, map[int]meeting.MoveStatus{0: meeting.MoveDone, 1: meeting.MoveFailed, 2: meeting.MoveFailed},
			map[int]meeting.Kind{1: meeting.KindMeetingLocked, 2: meeting.KindMeetingLocked}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, envOpt{sim: tt.opts})
			conf := e.facts.ConferenceID
			ids := []string{e.others(0), ghost, e.others(2)}
			if tt.setup != nil {
				tt.setup(e)
			}
			res, err := e.client.MoveToWaitingRoom(ctxT(t), conf, ids)
			if err != nil {
				t.Fatalf("MoveToWaitingRoom: %v", err)
			}
			if len(res.Outcomes) != 3 {
				t.Fatalf("%d outcomes, want 3", len(res.Outcomes))
			}
			for i, want := range tt.want {
				o := res.Outcomes[i]
				if o.ID != ids[i] || o.Status != want {
					t.Errorf("outcome %d = %s %v (%v), want %v", i, o.ID, o.Status, o.Err, want)
				}
				if k, ok := tt.kinds[i]; ok && meeting.KindOf(o.Err) != k {
					t.Errorf("outcome %d error %v, want kind %v", i, o.Err, k)
				}
				if want == meeting.MoveDone && o.Err != nil {
					t.Errorf("outcome %d moved but carries %v", i, o.Err)
				}
			}
			// What the outcomes say matches the simulator.
			online := onlinePIDs(e.sim.Online(conf))
			for _, o := range res.Outcomes {
				if o.Status == meeting.MoveDone && slices.Contains(online, o.ID) {
					t.Errorf("%s reported moved but is online", o.ID)
				}
			}
		})
	}
}

// A strict server that applied a bulk move whose reply was lost answers the
// retry with "participant does not exist": nobody is online any more, and
// the client says so rather than "moved" (they may have left instead).
func TestMoveToWaitingRoomAppliedReplyLostStrict(t *testing.T) {
	e := newEnv(t, envOpt{sim: []meetingtest.Option{meetingtest.WithStrictMove(true)}})
	conf := e.facts.ConferenceID
	e.sim.FailNext(meetingtest.EndpointBatchMoveToWaitingRoom, 1, meetingtest.Fault{Applied: true, Status: 502})
	res, err := e.client.MoveToWaitingRoom(ctxT(t), conf, []string{e.others(0), e.others(1)})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range res.Outcomes {
		if o.Status != meeting.MoveNotOnline || meeting.KindOf(o.Err) != meeting.KindParticipantNotFound {
			t.Errorf("%s: %v (%v), want not_online", o.ID, o.Status, o.Err)
		}
	}
	if got := len(e.sim.Waiting(conf)); got != 2 {
		t.Fatalf("%d waiting, want 2", got)
	}
	if n := e.sim.CallCount(meetingtest.EndpointMoveToWaitingRoom); n != 0 {
		t.Fatalf("%d single moves of people no longer online", n)
	}
}

// A refusal of the whole request before anything could happen is the
// error, with no result.
func TestMoveToWaitingRoomWholeRefusal(t *testing.T) {
	e := newEnv(t, envOpt{})
	conf := e.facts.ConferenceID
	e.sim.FailNext(meetingtest.EndpointBatchMoveToWaitingRoom, 1, meetingtest.Fault{Status: 400, Code: meetingtest.CodeConfLocked})
	res, err := e.client.MoveToWaitingRoom(ctxT(t), conf, []string{e.others(0), e.others(1)})
	if res != nil || meeting.KindOf(err) != meeting.KindMeetingLocked {
		t.Fatalf("got %+v, %v; want no result and meeting_locked", res, err)
	}
	if len(e.sim.Waiting(conf)) != 0 {
		t.Fatal("someone was moved")
	}
}

func TestAdmit(t *testing.T) {
	e := newEnv(t, envOpt{})
	conf := e.facts.ConferenceID
	if _, err := e.client.MoveToWaitingRoom(ctxT(t), conf, []string{e.others(0), e.others(1), e.others(3)}); err != nil {
		t.Fatal(err)
	}
	res, err := e.client.Admit(ctxT(t), conf, e.others(0))
	if err != nil || res.ID != e.others(0) || res.AlreadyIn || res.RequestID == "" {
		t.Fatalf("Admit = %+v, %v", res, err)
	}
	r, err := e.client.Roster(ctxT(t), conf)
	if err != nil {
		t.Fatal(err)
	}
	if _, back := r.ByID(e.others(0)); !back {
		t.Fatal("the admitted participant is not back in the roster")
	}
	// Admitting them again: the server no longer has them waiting, the
	// roster shows them in.
	if res, err := e.client.Admit(ctxT(t), conf, e.others(0)); err != nil || !res.AlreadyIn {
		t.Fatalf("second Admit = %+v, %v; want AlreadyIn", res, err)
	}
	// Someone neither waiting nor online.
	if _, err := e.client.Admit(ctxT(t), conf, "00000000000000000000000000000000"); meeting.KindOf(err) != meeting.KindParticipantNotFound {
		t.Fatalf("Admit(unknown) = %v, want participant_not_found", err)
	}
	if _, err := e.client.Admit(ctxT(t), conf, ""); meeting.KindOf(err) != meeting.KindBadRequest {
		t.Fatalf("Admit(\"\") = %v, want bad_request", err)
	}
	if _, err := e.client.AdmitAll(ctxT(t), conf); err != nil {
		t.Fatal(err)
	}
	if len(e.sim.Waiting(conf)) != 0 || !slices.Contains(onlinePIDs(e.sim.Online(conf)), e.others(3)) {
		t.Fatalf("after AdmitAll: waiting %v", e.sim.Waiting(conf))
	}
}

// An admit applied whose reply is lost is retried; the retry finds nobody
// waiting and the roster shows the person in.
func TestAdmitLostReply(t *testing.T) {
	e := newEnv(t, envOpt{})
	conf := e.facts.ConferenceID
	e.sim.MoveToWaitingRoom(conf, e.others(0))
	e.sim.FailNext(meetingtest.EndpointAllowWaiting, 1, meetingtest.Fault{Applied: true, Status: 502})
	res, err := e.client.Admit(ctxT(t), conf, e.others(0))
	if err != nil || !res.AlreadyIn {
		t.Fatalf("Admit = %+v, %v; want success (already in)", res, err)
	}
}

// Whether the pid a person had is accepted for admitting them is
// UNCONFIRMED: both answers, and the waiting-room ID that always works.
func TestAdmitByOldParticipantID(t *testing.T) {
	tests := []struct {
		mode   meetingtest.WaitingIDs
		refuse bool
	}{
		{meetingtest.WaitingIDIsPID, false},
		{meetingtest.WaitingIDNewAdmitByPID, false},
		{meetingtest.WaitingIDNewStrict, true},
	}
	for _, tt := range tests {
		t.Run(map[bool]string{false: "accepted", true: "refused"}[tt.refuse], func(t *testing.T) {
			e := newEnv(t, envOpt{sim: []meetingtest.Option{meetingtest.WithWaitingRoomIDs(tt.mode)}})
			conf := e.facts.ConferenceID
			pid := e.others(0)
			if res, err := e.client.MoveToWaitingRoom(ctxT(t), conf, []string{pid}); err != nil || len(res.Moved()) != 1 {
				t.Fatalf("move = %+v, %v", res, err)
			}
			_, err := e.client.Admit(ctxT(t), conf, pid)
			if tt.refuse {
				if me := asError(t, err); me.Kind != meeting.KindParticipantNotFound || me.Code != meetingtest.CodeParticipantNotExist {
					t.Fatalf("Admit(old pid) = %v, want participant_not_found %s", err, meetingtest.CodeParticipantNotExist)
				}
				wid, ok := e.sim.WaitingID(conf, pid)
				if !ok {
					t.Fatal("not waiting after the refused admit")
				}
				if _, err := e.client.Admit(ctxT(t), conf, wid); err != nil {
					t.Fatalf("Admit(waiting-room ID): %v", err)
				}
			} else if err != nil {
				t.Fatalf("Admit(old pid): %v", err)
			}
			if !slices.Contains(onlinePIDs(e.sim.Online(conf)), pid) {
				t.Fatal("not back with the pid they had")
			}
		})
	}
}

// The REST calls and the simulator's WebSocket share one state: a watcher
// sees a lock, a move and an admit made through the client.
func TestKeepOutSeenByTheWatcher(t *testing.T) {
	for _, mode := range []meetingtest.WaitingIDs{meetingtest.WaitingIDIsPID, meetingtest.WaitingIDNewStrict} {
		t.Run(map[meetingtest.WaitingIDs]string{0: "same ids", 2: "waiting-room ids"}[mode], func(t *testing.T) {
			e := newEnv(t, envOpt{sim: []meetingtest.Option{meetingtest.WithWaitingRoomIDs(mode)}})
			conf := e.facts.ConferenceID
			w, sub := startWatch(t, e)
			awaitLive(t, w, sub)

			if _, err := e.client.Lock(ctxT(t), conf, true); err != nil {
				t.Fatal(err)
			}
			if ev := waitEvent(t, sub, "EventLock", kind(meeting.EventLock)); !ev.Locked {
				t.Fatal("lock event says unlocked")
			}
			pid := e.others(1)
			if _, err := e.client.MoveToWaitingRoom(ctxT(t), conf, []string{pid}); err != nil {
				t.Fatal(err)
			}
			waitEvent(t, sub, "EventLeft", about(meeting.EventLeft, pid))
			ev := waitEvent(t, sub, "EventWaitingJoined", kind(meeting.EventWaitingJoined))
			if (ev.Participant.ID == pid) != (mode == meetingtest.WaitingIDIsPID) {
				t.Fatalf("waiting-room ID %q for pid %q in mode %v", ev.Participant.ID, pid, mode)
			}
			// Admit with the ID the watcher saw: what the bot does when watched.
			if _, err := e.client.Admit(ctxT(t), conf, ev.Participant.ID); err != nil {
				t.Fatal(err)
			}
			waitEvent(t, sub, "EventWaitingLeft", about(meeting.EventWaitingLeft, ev.Participant.ID))
			waitEvent(t, sub, "EventJoined", about(meeting.EventJoined, pid))
			if _, err := e.client.Lock(ctxT(t), conf, false); err != nil {
				t.Fatal(err)
			}
			if ev := waitEvent(t, sub, "EventLock", kind(meeting.EventLock)); ev.Locked {
				t.Fatal("unlock event says locked")
			}
		})
	}
}

func TestRosterInviteList(t *testing.T) {
	for _, ids := range []bool{false, true} {
		t.Run(map[bool]string{false: "documented fields", true: "roster with user ids"}[ids], func(t *testing.T) {
			e := newEnv(t, envOpt{sim: []meetingtest.Option{meetingtest.WithRosterUserIDs(ids)}})
			e.sim.AddConference("777").Passwords("123456", "654321").
				Host(meetingtest.P{ID: "h0", Name: "Host", Phone: "+8613700000000", UserUUID: "u-host", AccountID: "host@corp"}).
				Participant(meetingtest.P{ID: "p1", Name: "Invited", Phone: "+8613700000001", UserUUID: "u-1", AccountID: "one@corp"}).
				Uninvited(meetingtest.P{ID: "x1", Name: "Crasher", Phone: "+15550000000", UserUUID: "u-x"}).
				Anonymous(meetingtest.P{ID: "y1", Name: "Guest"}).
				Invite(meetingtest.Invitee{Name: "Offline", Phone: "+8613700000009", UserUUID: "u-off", AccountID: "off@corp"})
			r, err := e.client.Roster(ctxT(t), "777")
			if err != nil {
				t.Fatal(err)
			}
			if !r.AttendeesKnown {
				t.Fatal("AttendeesKnown false")
			}
			var got []string
			for _, a := range r.Attendees {
				got = append(got, a.Name+"|"+a.UserUUID+"|"+a.AccountID+"|"+a.Phone)
			}
			want := []string{"Host|u-host|host@corp|+8613700000000", "Invited|u-1|one@corp|+8613700000001", "Offline|u-off|off@corp|+8613700000009"}
			if !slices.Equal(got, want) {
				t.Fatalf("attendees\n got %q\nwant %q", got, want)
			}
			if len(r.Participants) != 4 {
				t.Fatalf("%d online, want 4", len(r.Participants))
			}
			for pid, uuid := range map[string]string{"h0": "u-host", "p1": "u-1", "x1": "u-x", "y1": ""} {
				p, _ := r.ByID(pid)
				wantUUID := ""
				if ids {
					wantUUID = uuid
				}
				if p.UserUUID != wantUUID {
					t.Errorf("%s UserUUID = %q, want %q", pid, p.UserUUID, wantUUID)
				}
			}
			if p, _ := r.ByID("p1"); ids && p.AccountID != "one@corp" {
				t.Errorf("p1 AccountID = %q", p.AccountID)
			}
		})
	}
}
