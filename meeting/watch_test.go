package meeting_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kickbot/kickbot/meeting"
	"github.com/kickbot/kickbot/meeting/meetingtest"
)

// fast are watch options for tests: short heartbeats and backoff, and no
// background host refresh unless a test asks for one.
var fast = []meeting.WatchOption{
	meeting.WithHeartbeat(50 * time.Millisecond),
	meeting.WithReadTimeout(5 * time.Second),
	meeting.WithReconnectBackoff(time.Millisecond, 5*time.Millisecond),
	meeting.WithHostRefresh(time.Hour),
}

// startWatch watches the sample meeting and subscribes before anything can
// happen that a test waits for; Stop runs at cleanup.
func startWatch(t testing.TB, e *env, opts ...meeting.WatchOption) (*meeting.Watcher, *meeting.Subscription) {
	t.Helper()
	w, err := e.client.Watch(ctxT(t), e.facts.ConferenceID, append(slices.Clone(fast), opts...)...)
	if err != nil {
		t.Fatalf("Watch: %v", err)
	}
	t.Cleanup(w.Stop)
	lastWatch = w
	return w, w.Subscribe(4096)
}

// lastWatch is the watch startWatch made last, for failure messages.
var lastWatch *meeting.Watcher

// waitEvent returns the first event on sub that matches, failing the test
// if none comes within 10 s or the subscription ends first.
func waitEvent(t testing.TB, sub *meeting.Subscription, what string, match func(meeting.Event) bool) meeting.Event {
	t.Helper()
	deadline := time.NewTimer(10 * time.Second)
	defer deadline.Stop()
	for {
		select {
		case ev, ok := <-sub.C:
			if !ok {
				t.Fatalf("subscription closed while waiting for %s (watch error: %v)", what, lastWatch.Err())
			}
			if match(ev) {
				return ev
			}
		case <-deadline.C:
			t.Fatalf("no %s within 10 s", what)
		}
	}
}

func kind(k meeting.EventKind) func(meeting.Event) bool {
	return func(ev meeting.Event) bool { return ev.Kind == k }
}

func about(k meeting.EventKind, pid string) func(meeting.Event) bool {
	return func(ev meeting.Event) bool { return ev.Kind == k && ev.Participant.ID == pid }
}

// awaitLive waits until the watch is live (subscribed before checking, so
// the EventLive cannot slip between the two).
func awaitLive(t testing.TB, w *meeting.Watcher, sub *meeting.Subscription) {
	t.Helper()
	if !w.Live() {
		waitEvent(t, sub, "EventLive", kind(meeting.EventLive))
	}
}

// sameRoster compares the live roster with the simulator's, in order.
func sameRoster(t *testing.T, got *meeting.Roster, want []meetingtest.P) {
	t.Helper()
	var g, w []string
	for _, p := range got.Participants {
		g = append(g, p.ID+" "+p.Name+" "+p.Phone+" "+p.State.String())
	}
	for _, p := range want {
		w = append(w, p.ID+" "+p.Name+" "+p.Phone+" "+meeting.State(p.State).String())
	}
	if !slices.Equal(g, w) {
		t.Errorf("live roster\n got %q\nwant %q", g, w)
	}
}

// frameModes are the shapes §15 leaves open; every behaviour test runs
// against each.
var frameModes = []struct {
	name string
	sim  []meetingtest.Option
	opts []meeting.WatchOption
}{
	{"incremental", nil, nil},
	{"full", []meetingtest.Option{meetingtest.WithFrameMode(meetingtest.FramesFull)}, nil},
	{"unlabelled deltas", []meetingtest.Option{meetingtest.WithFrameMode(meetingtest.FramesUnlabelled)},
		[]meeting.WatchOption{meeting.WithOnlyFirstFrameFull()}},
	{"string data, numeric pinfo", []meetingtest.Option{
		meetingtest.WithStringFrameData(true), meetingtest.WithNumericPinfo(true)}, nil},
	{"wsURL is the full URL", []meetingtest.Option{meetingtest.WithWebSocketURL(meetingtest.WSURLFull)}, nil},
	{"no wsURL", []meetingtest.Option{meetingtest.WithWebSocketURL(meetingtest.WSURLNone)}, nil},
}

func TestWatchJoinerAppearsWithoutPolling(t *testing.T) {
	for _, m := range frameModes {
		t.Run(m.name, func(t *testing.T) {
			e := newEnv(t, envOpt{sim: m.sim})
			conf := e.facts.ConferenceID
			w, sub := startWatch(t, e, m.opts...)
			awaitLive(t, w, sub)
			r, live := w.Snapshot()
			if !live {
				t.Fatal("Snapshot says not live after EventLive")
			}
			sameRoster(t, r, e.sim.Online(conf))
			if h, ok, _ := w.Participant(e.facts.Host.ID); !ok || !h.Host || !h.Protected() {
				t.Errorf("host in live roster = %+v, %v; want Host", h, ok)
			}
			if co, ok, _ := w.Participant(e.facts.CoHost.ID); !ok || !co.CoHost {
				t.Errorf("co-host in live roster = %+v, %v; want CoHost (from confInfo)", co, ok)
			}

			// realTimeInfo is held: the joiner can only arrive by frame.
			release := e.sim.Hold(meetingtest.EndpointRealTimeInfo)
			defer release()
			reads := e.sim.CallCount(meetingtest.EndpointRealTimeInfo)
			raider := meetingtest.P{ID: "aaaabbbbccccddddeeeeffff00001111", Name: "Raider", Phone: "+15550001",
				Device: "Mobile", Anonymous: true}
			e.sim.Join(conf, raider)

			ev := waitEvent(t, sub, "EventJoined", about(meeting.EventJoined, raider.ID))
			p := ev.Participant
			if p.Name != "Raider" || p.Device != "Mobile" || !p.Anonymous || !p.JoinedAt.Equal(t0) || p.Protected() {
				t.Errorf("joined %+v; want Raider, Mobile, anonymous, joined at %v, unprotected", p, t0)
			}
			if ev.Resync {
				t.Error("a join pushed while live is marked Resync")
			}
			if got, ok, live := w.Participant(raider.ID); !ok || !live || got.Name != "Raider" {
				t.Errorf("Participant(raider) = %+v, %v, %v", got, ok, live)
			}
			r, _ = w.Snapshot()
			sameRoster(t, r, e.sim.Online(conf))
			if n := e.sim.CallCount(meetingtest.EndpointRealTimeInfo); n != reads {
				t.Errorf("realTimeInfo called %d times while watching, want 0", n-reads)
			}
		})
	}
}

func TestWatchHangUpShowsAsLeave(t *testing.T) {
	for _, m := range frameModes {
		t.Run(m.name, func(t *testing.T) {
			e := newEnv(t, envOpt{sim: m.sim})
			conf := e.facts.ConferenceID
			w, sub := startWatch(t, e, m.opts...)
			awaitLive(t, w, sub)

			targets := []string{e.others(0), e.others(3)}
			res, err := e.client.Disconnect(ctxT(t), conf, targets)
			if err != nil || len(res.Gone) != 2 {
				t.Fatalf("Disconnect = %+v, %v", res, err)
			}
			for _, id := range targets {
				ev := waitEvent(t, sub, "EventLeft "+id, about(meeting.EventLeft, id))
				if ev.Participant.Name == "" {
					t.Errorf("leave event for %s has no name: %+v", id, ev.Participant)
				}
			}
			r, _ := w.Snapshot()
			sameRoster(t, r, e.sim.Online(conf))
		})
	}
}

func TestWatchReconnectLosesNoChange(t *testing.T) {
	for _, m := range frameModes {
		t.Run(m.name, func(t *testing.T) {
			e := newEnv(t, envOpt{sim: m.sim})
			conf := e.facts.ConferenceID
			w, sub := startWatch(t, e, m.opts...)
			awaitLive(t, w, sub)

			// No new token until the changes are made: the client cannot
			// reconnect in between, so every change below is lost on the
			// wire and must come back from the first full frame.
			release := e.sim.Hold(meetingtest.EndpointWSToken)
			if n := e.sim.DropWebSockets(conf); n != 1 {
				t.Fatalf("dropped %d sockets, want 1", n)
			}
			waitEvent(t, sub, "EventStale", kind(meeting.EventStale))
			if _, live := w.Snapshot(); live {
				t.Error("still live after the socket dropped")
			}

			joiner := meetingtest.P{ID: "0123456789abcdef0123456789abcdef", Name: "Joined while down"}
			e.sim.Join(conf, joiner)
			e.sim.Leave(conf, e.others(1))
			if res, err := e.client.Disconnect(ctxT(t), conf, []string{e.others(2)}); err != nil || len(res.Gone) != 1 {
				t.Fatalf("Disconnect = %+v, %v", res, err)
			}
			e.sim.MoveToWaitingRoom(conf, e.others(4))
			release()

			// The changes arrive as Resync events before EventLive; the
			// waiting list has its own frame.
			seen := map[string]meeting.EventKind{}
			live, waited := false, false
			for !live || !waited {
				ev := waitEvent(t, sub, "EventLive and the waiting list", func(meeting.Event) bool { return true })
				switch ev.Kind {
				case meeting.EventLive:
					live = true
				case meeting.EventWaitingJoined:
					waited = waited || ev.Participant.ID == e.others(4)
				case meeting.EventJoined, meeting.EventLeft:
					if live {
						t.Errorf("%v %s arrived after EventLive", ev.Kind, ev.Participant.ID)
					}
					if !ev.Resync {
						t.Errorf("%v %s after a reconnect is not marked Resync", ev.Kind, ev.Participant.ID)
					}
					seen[ev.Participant.ID] = ev.Kind
				}
			}
			want := map[string]meeting.EventKind{
				joiner.ID:   meeting.EventJoined,
				e.others(1): meeting.EventLeft,
				e.others(2): meeting.EventLeft,
				e.others(4): meeting.EventLeft,
			}
			for id, k := range want {
				if seen[id] != k {
					t.Errorf("after reconnect, %s: got %v, want %v", id, seen[id], k)
				}
			}
			r, live := w.Snapshot()
			if !live {
				t.Error("not live after EventLive")
			}
			sameRoster(t, r, e.sim.Online(conf))
			var waiting []string
			for _, p := range w.Status().Waiting {
				waiting = append(waiting, p.ID)
			}
			if !slices.Equal(waiting, []string{e.others(4)}) {
				t.Errorf("waiting room = %v, want [%s]", waiting, e.others(4))
			}
			if n := w.Status().Reconnects; n != 1 {
				t.Errorf("Reconnects = %d, want 1", n)
			}
		})
	}
}

func TestWatchRefusedTokens(t *testing.T) {
	t.Run("wsToken refused", func(t *testing.T) {
		e := newEnv(t, envOpt{})
		// Two 401s: the control-token renewal retries once, so one session fails.
		e.sim.FailNext(meetingtest.EndpointWSToken, 2, meetingtest.Fault{Status: 401})
		w, sub := startWatch(t, e)
		awaitLive(t, w, sub)
		if n := w.Status().Reconnects; n != 1 {
			t.Errorf("Reconnects = %d, want 1", n)
		}
		if n := e.sim.WebSocketStats(e.facts.ConferenceID).Opened; n != 1 {
			t.Errorf("sockets opened = %d, want 1", n)
		}
	})
	for _, mode := range []struct {
		name string
		opt  meetingtest.WSAuthRefusal
	}{{"socket closed after upgrade", meetingtest.RefuseAfterUpgrade}, {"upgrade refused", meetingtest.RefuseAtUpgrade}} {
		t.Run(mode.name, func(t *testing.T) {
			e := newEnv(t, envOpt{sim: []meetingtest.Option{meetingtest.WithWebSocketAuthRefusal(mode.opt)}})
			e.sim.RefuseWebSockets(2)
			w, sub := startWatch(t, e)
			awaitLive(t, w, sub)
			st := e.sim.WebSocketStats(e.facts.ConferenceID)
			if st.Refused != 2 || st.Tokens != 3 || st.Subscribed != 1 {
				t.Errorf("server saw %+v; want 2 refused, 3 tokens (a fresh one each time), 1 subscribed", st)
			}
		})
	}
	t.Run("a used token is refused", func(t *testing.T) {
		// The client never reuses a token: every connection costs one.
		e := newEnv(t, envOpt{})
		w, sub := startWatch(t, e)
		awaitLive(t, w, sub)
		e.sim.DropWebSockets(e.facts.ConferenceID)
		waitEvent(t, sub, "EventLive", kind(meeting.EventLive))
		if st := e.sim.WebSocketStats(e.facts.ConferenceID); st.Tokens != 2 || st.Refused != 0 {
			t.Errorf("server saw %+v; want 2 tokens, none refused", st)
		}
	})
	t.Run("socket never opens: fallback", func(t *testing.T) {
		e := newEnv(t, envOpt{})
		conf := e.facts.ConferenceID
		e.sim.RefuseWebSockets(1 << 30)
		w, _ := startWatch(t, e)
		if err := e.sim.WaitWebSockets(ctxT(t), conf, func(s meetingtest.WebSocketStats) bool { return s.Refused >= 3 }); err != nil {
			t.Fatal(err)
		}
		if w.Live() {
			t.Fatal("live although every socket is refused")
		}
		reads := e.sim.CallCount(meetingtest.EndpointRealTimeInfo)
		r, err := w.Roster(ctxT(t))
		if err != nil {
			t.Fatalf("Roster fallback: %v", err)
		}
		sameRoster(t, r, e.sim.Online(conf))
		if n := e.sim.CallCount(meetingtest.EndpointRealTimeInfo) - reads; n != 1 {
			t.Errorf("fallback made %d realTimeInfo reads, want 1", n)
		}
		if w.Err() != nil {
			t.Errorf("Err = %v while still trying", w.Err())
		}
		// The socket URL carries the WebSocket token: never logged.
		if logs := e.logs.String(); strings.Contains(logs, "tmpToken") || strings.Contains(logs, "Basic ") {
			t.Errorf("a token reached the log:\n%s", logs)
		}
	})
}

func TestWatchMeetingEnd(t *testing.T) {
	t.Run("Destroyed frame", func(t *testing.T) {
		e := newEnv(t, envOpt{})
		w, sub := startWatch(t, e)
		awaitLive(t, w, sub)
		e.sim.End(e.facts.ConferenceID)
		waitEvent(t, sub, "EventEnded", kind(meeting.EventEnded))
		<-w.Done()
		if k := meeting.KindOf(w.Err()); k != meeting.KindMeetingEnded {
			t.Errorf("Err = %v (kind %v), want meeting_ended", w.Err(), k)
		}
		if _, open := <-sub.C; open {
			t.Error("subscription still open after the watch ended")
		}
		if w.Live() {
			t.Error("live after the end")
		}
	})
	t.Run("ended while the socket was down", func(t *testing.T) {
		e := newEnv(t, envOpt{})
		w, sub := startWatch(t, e)
		awaitLive(t, w, sub)
		release := e.sim.Hold(meetingtest.EndpointWSToken)
		e.sim.DropWebSockets(e.facts.ConferenceID)
		waitEvent(t, sub, "EventStale", kind(meeting.EventStale))
		e.sim.End(e.facts.ConferenceID)
		release()
		waitEvent(t, sub, "EventEnded", kind(meeting.EventEnded))
		<-w.Done()
		if k := meeting.KindOf(w.Err()); k != meeting.KindMeetingEnded && k != meeting.KindNotRunning {
			t.Errorf("Err = %v, want the meeting gone", w.Err())
		}
	})
	t.Run("not running at the start", func(t *testing.T) {
		e := newEnv(t, envOpt{})
		e.sim.End(e.facts.ConferenceID)
		if _, err := e.client.Watch(ctxT(t), e.facts.ConferenceID, fast...); err == nil {
			t.Fatal("Watch of an ended meeting succeeded")
		}
	})
}

func TestWatchHeartbeats(t *testing.T) {
	const timeout = 150 * time.Millisecond
	t.Run("keep the socket open past the server's timeout", func(t *testing.T) {
		e := newEnv(t, envOpt{sim: []meetingtest.Option{meetingtest.WithWebSocketHeartbeatTimeout(timeout)}})
		conf := e.facts.ConferenceID
		w, sub := startWatch(t, e, meeting.WithHeartbeat(timeout/6))
		awaitLive(t, w, sub)
		// 18 heartbeats 25 ms apart span three server timeouts.
		if err := e.sim.WaitWebSockets(ctxT(t), conf, func(s meetingtest.WebSocketStats) bool { return s.Heartbeats >= 18 }); err != nil {
			t.Fatal(err)
		}
		st := e.sim.WebSocketStats(conf)
		if st.Opened != 1 || st.TimedOut != 0 || st.Open != 1 {
			t.Errorf("server saw %+v; want one socket, open, never timed out", st)
		}
		if !w.Live() || w.Status().Reconnects != 0 {
			t.Errorf("live %v, reconnects %d; want live, none", w.Live(), w.Status().Reconnects)
		}
	})
	t.Run("without them the server closes the socket", func(t *testing.T) {
		e := newEnv(t, envOpt{sim: []meetingtest.Option{meetingtest.WithWebSocketHeartbeatTimeout(timeout)}})
		w, sub := startWatch(t, e, meeting.WithHeartbeat(time.Hour))
		awaitLive(t, w, sub)
		waitEvent(t, sub, "EventStale", kind(meeting.EventStale))
		waitEvent(t, sub, "EventLive", kind(meeting.EventLive))
		if st := e.sim.WebSocketStats(e.facts.ConferenceID); st.TimedOut < 1 || st.Opened < 2 {
			t.Errorf("server saw %+v; want a timeout and a reconnect", st)
		}
	})
}

func TestWatchWaitingRoomAndLock(t *testing.T) {
	for _, m := range frameModes[:3] {
		t.Run(m.name, func(t *testing.T) {
			e := newEnv(t, envOpt{sim: m.sim})
			conf := e.facts.ConferenceID
			w, sub := startWatch(t, e, m.opts...)
			awaitLive(t, w, sub)

			e.sim.SetLocked(conf, true)
			if ev := waitEvent(t, sub, "EventLock", kind(meeting.EventLock)); !ev.Locked {
				t.Error("lock event says unlocked")
			}
			e.sim.SetWaitingRoom(conf, true)
			waitEvent(t, sub, "EventWaitingRoom", kind(meeting.EventWaitingRoom))

			pid := e.others(5)
			e.sim.MoveToWaitingRoom(conf, pid)
			waitEvent(t, sub, "EventLeft", about(meeting.EventLeft, pid))
			waitEvent(t, sub, "EventWaitingJoined", about(meeting.EventWaitingJoined, pid))
			newcomer := e.sim.ArriveInWaitingRoom(conf, meetingtest.P{Name: "Knocking"})
			waitEvent(t, sub, "EventWaitingJoined", about(meeting.EventWaitingJoined, newcomer))
			st := w.Status()
			if !st.Locked || !st.WaitingRoom || len(st.Waiting) != 2 {
				t.Errorf("Status = locked %v, waiting room %v, waiting %+v", st.Locked, st.WaitingRoom, st.Waiting)
			}

			e.sim.Admit(conf, pid)
			waitEvent(t, sub, "EventWaitingLeft", about(meeting.EventWaitingLeft, pid))
			waitEvent(t, sub, "EventJoined", about(meeting.EventJoined, pid))
			e.sim.SetLocked(conf, false)
			if ev := waitEvent(t, sub, "EventLock", kind(meeting.EventLock)); ev.Locked {
				t.Error("unlock event says locked")
			}
			r, _ := w.Snapshot()
			sameRoster(t, r, e.sim.Online(conf))
			if n := len(w.Status().Attendees); n != 10 {
				t.Errorf("%d attendees from AttendeesNotify, want the sample's 10", n)
			}
		})
	}
}

// A reader never sees half a frame: a bulk hang-up of 60 is one frame, so
// every snapshot holds all 60 or none of them.
func TestWatchSnapshotsAreWholeFrames(t *testing.T) {
	e := newEnv(t, envOpt{})
	conf := e.facts.ConferenceID
	var pids []string
	for i := range 60 {
		p := meetingtest.P{ID: fmt.Sprintf("%032x", 0xf000+i), Name: "Bulk"}
		e.sim.Join(conf, p)
		pids = append(pids, p.ID)
	}
	w, sub := startWatch(t, e)
	awaitLive(t, w, sub)

	ctx, cancel := context.WithCancel(ctxT(t))
	defer cancel()
	torn := make(chan int, 1)
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		for ctx.Err() == nil {
			r, _ := w.Snapshot()
			n := 0
			for _, p := range r.Participants {
				if p.Name == "Bulk" {
					n++
				}
			}
			if n != 0 && n != 60 {
				torn <- n
				return
			}
			if n == 0 {
				return
			}
		}
	}()
	if res, err := e.client.Disconnect(ctxT(t), conf, pids); err != nil || len(res.Gone) != 60 {
		t.Fatalf("Disconnect = %+v, %v", res, err)
	}
	<-readerDone
	select {
	case n := <-torn:
		t.Fatalf("a snapshot held %d of the 60 hung-up participants", n)
	default:
	}
}

func TestWatchStopEndsEverything(t *testing.T) {
	e := newEnv(t, envOpt{})
	w, sub := startWatch(t, e)
	awaitLive(t, w, sub)
	w.Stop()
	w.Stop() // twice is fine
	if w.Err() != nil {
		t.Errorf("Err after Stop = %v, want nil", w.Err())
	}
	if err := e.sim.WaitWebSockets(ctxT(t), e.facts.ConferenceID, func(s meetingtest.WebSocketStats) bool { return s.Open == 0 }); err != nil {
		t.Fatal(err)
	}
	if _, open := <-sub.C; open {
		t.Error("subscription open after Stop")
	}
	late := w.Subscribe(1)
	if _, open := <-late.C; open {
		t.Error("a subscription made after Stop is open")
	}
}

// Delayed frames arrive late but in order, and the roster ends where the
// simulator is.
func TestWatchDelayedFramesKeepOrder(t *testing.T) {
	e := newEnv(t, envOpt{})
	conf := e.facts.ConferenceID
	w, sub := startWatch(t, e)
	awaitLive(t, w, sub)
	e.sim.DelayFrames(20 * time.Millisecond)
	a := meetingtest.P{ID: "a0000000000000000000000000000001", Name: "A"}
	b := meetingtest.P{ID: "b0000000000000000000000000000002", Name: "B"}
	e.sim.Join(conf, a)
	e.sim.Leave(conf, a.ID)
	e.sim.Join(conf, b)
	var got []string
	for len(got) < 3 {
		ev := waitEvent(t, sub, "three events", func(ev meeting.Event) bool {
			return ev.Kind == meeting.EventJoined || ev.Kind == meeting.EventLeft
		})
		got = append(got, ev.Kind.String()+" "+ev.Participant.Name)
	}
	if want := []string{"joined A", "left A", "joined B"}; !slices.Equal(got, want) {
		t.Errorf("events %q, want %q", got, want)
	}
	r, _ := w.Snapshot()
	sameRoster(t, r, e.sim.Online(conf))
}

// A co-host named mid-meeting is protected after the next confInfo re-read,
// with no frame saying so; the refresh also keeps the control token alive.
func TestWatchHostRefresh(t *testing.T) {
	e := newEnv(t, envOpt{})
	conf := e.facts.ConferenceID
	w, sub := startWatch(t, e, meeting.WithHostRefresh(10*time.Millisecond))
	awaitLive(t, w, sub)
	pid := e.others(0)
	if p, _, _ := w.Participant(pid); p.Protected() {
		t.Fatalf("%s protected before being named co-host", pid)
	}
	e.sim.SetCoHost(conf, pid, true)
	waitEvent(t, sub, "EventHosts", kind(meeting.EventHosts))
	if p, ok, _ := w.Participant(pid); !ok || !p.CoHost || !p.Protected() {
		t.Errorf("after the re-read: %+v, want a protected co-host", p)
	}
	r, _ := w.Snapshot()
	if p, _ := r.ByID(pid); !p.CoHost {
		t.Error("Snapshot does not mark the new co-host")
	}
	e.sim.SetCoHost(conf, pid, false)
	waitEvent(t, sub, "EventHosts", kind(meeting.EventHosts))
	if p, _, _ := w.Participant(pid); p.CoHost {
		t.Error("still a co-host after being demoted")
	}
}

// TestWatchSubscriptionHoldsABurstInOrder: a subscriber that is busy while
// a raid joins gets every join, in order, up to its buffer; past it the
// rest are counted as dropped, and closing it mid-delivery ends cleanly.
func TestWatchSubscriptionHoldsABurstInOrder(t *testing.T) {
	const joiners = 100
	e := newEnv(t, envOpt{})
	conf := e.facts.ConferenceID
	w, sub := startWatch(t, e)
	awaitLive(t, w, sub)

	roomy, tight, closed := w.Subscribe(joiners+10), w.Subscribe(40), w.Subscribe(joiners)
	defer roomy.Close()
	defer tight.Close()
	var pids []string
	for i := range joiners {
		p := meetingtest.P{ID: fmt.Sprintf("%032x", 0xb0000+i), Name: fmt.Sprintf("Raider %03d", i), Phone: fmt.Sprintf("+1555%06d", i)}
		pids = append(pids, p.ID)
		e.sim.Join(conf, p)
	}
	// Every join applied (the default subscriber has seen the last), and
	// nobody has read the three subscriptions yet.
	waitEvent(t, sub, "the last join", about(meeting.EventJoined, pids[joiners-1]))
	closed.Close()
	if _, open := <-closed.C; open {
		// What was on C may still be read; C must close after it.
		for range closed.C {
		}
	}

	read := func(s *meeting.Subscription, n int) []string {
		var got []string
		for len(got) < n {
			ev := waitEvent(t, s, "a join", kind(meeting.EventJoined))
			got = append(got, ev.Participant.ID)
		}
		return got
	}
	if got := read(roomy, joiners); !slices.Equal(got, pids) {
		t.Errorf("a buffer of %d delivered %v, want every join in order", joiners+10, got)
	}
	if roomy.Dropped() != 0 {
		t.Errorf("a buffer with room dropped %d events", roomy.Dropped())
	}
	if got := read(tight, 40); !slices.Equal(got, pids[:40]) {
		t.Errorf("a buffer of 40 delivered %v, want the first 40 joins in order", got)
	}
	if n := tight.Dropped(); n != joiners-40 {
		t.Errorf("a buffer of 40 dropped %d events, want %d", n, joiners-40)
	}
}
