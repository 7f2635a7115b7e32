package meeting_test

import (
	"testing"

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
	if _, ok := res.After.ByID(target); ok || res.After == nil {
		t.Errorf("After still lists %s", target)
	}
	if _, ok, _ := w.Participant(target); ok {
		t.Errorf("live roster still lists %s", target)
	}
	sameRoster(t, res.After, e.sim.Online(conf))
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
