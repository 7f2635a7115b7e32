package meeting_test

import (
	"testing"

	"github.com/kickbot/kickbot/meeting"
	"github.com/kickbot/kickbot/meeting/meetingtest"
)

func TestWatcherDisconnectIsOneCallConfirmedByTheRemoveEvent(t *testing.T) {
	e := newEnv(t, envOpt{})
	conf := e.facts.ConferenceID
	w, sub := startWatch(t, e)
	awaitLive(t, w, sub)

	e.sim.ResetCalls()
	target := e.others(1)
	res, err := w.Disconnect(ctxT(t), []string{target})
	if err != nil || len(res.Gone) != 1 || res.Gone[0] != target || len(res.StillPresent) != 0 {
		t.Fatalf("Disconnect = %+v, %v; want %s gone", res, err, target)
	}
	var eps []meetingtest.Endpoint
	for _, c := range e.sim.Calls() {
		eps = append(eps, c.Endpoint)
	}
	if len(eps) != 1 || eps[0] != meetingtest.EndpointHangUp {
		t.Errorf("meeting calls %v; want exactly one hang-up", eps)
	}
	if res.After == nil || res.After.ConferenceID != conf || len(res.After.Participants) != 0 {
		t.Errorf("After = %+v; want the live roster's header", res.After)
	}
	if _, ok, _ := w.Participant(target); ok {
		t.Errorf("live roster still lists %s", target)
	}
	r, _ := w.Snapshot()
	sameRoster(t, r, e.sim.Online(conf))
}

func TestWatcherDisconnectFallsBackToTheRosterWhenNotLive(t *testing.T) {
	e := newEnv(t, envOpt{})
	e.sim.RefuseWebSockets(1 << 20)
	w, _ := startWatch(t, e)
	if w.Live() {
		t.Fatal("live although every socket is refused")
	}
	e.sim.ResetCalls()
	target := e.others(2)
	res, err := w.Disconnect(ctxT(t), []string{target})
	if err != nil || len(res.Gone) != 1 {
		t.Fatalf("Disconnect = %+v, %v; want %s gone", res, err, target)
	}
	if n := e.sim.CallCount(meetingtest.EndpointRealTimeInfo); n != 1 {
		t.Errorf("realTimeInfo read %d times, want 1 (the confirming read)", n)
	}
}

func TestWatcherReadRosterLendsTheLiveRoster(t *testing.T) {
	e := newEnv(t, envOpt{})
	conf := e.facts.ConferenceID
	w, sub := startWatch(t, e)
	awaitLive(t, w, sub)

	target := e.others(0)
	var kept *meeting.Roster
	lent := w.ReadRoster(func(r *meeting.Roster) {
		sameRoster(t, r, e.sim.Online(conf))
		if p, ok := r.ByID(target); !ok || p.ID != target {
			t.Errorf("ByID(%s) = %+v, %v", target, p, ok)
		}
		if _, ok := r.ByID("no-such-pid"); ok {
			t.Error("ByID found a pid that is not there")
		}
		kept = r
	})
	if !lent {
		t.Fatal("ReadRoster lent nothing while live")
	}
	// A roster kept past fn holds nothing of the watch's any more.
	if len(kept.Participants) != 0 || kept.ConferenceID != conf {
		t.Errorf("kept roster = %d participants, conference %q; want none, %q", len(kept.Participants), kept.ConferenceID, conf)
	}
	if _, ok := kept.ByID(target); ok {
		t.Error("a kept roster still looks pids up in the live one")
	}
	// The kick that follows removes its target from the live roster.
	if _, err := w.Disconnect(ctxT(t), []string{target}); err != nil {
		t.Fatal(err)
	}
	w.ReadRoster(func(r *meeting.Roster) { sameRoster(t, r, e.sim.Online(conf)) })
}

func TestWatcherReadRosterLendsNothingWhenNotLive(t *testing.T) {
	e := newEnv(t, envOpt{})
	e.sim.RefuseWebSockets(1 << 20)
	w, _ := startWatch(t, e)
	called := false
	if w.ReadRoster(func(*meeting.Roster) { called = true }) || called {
		t.Error("ReadRoster lent a roster that is not live")
	}
}
