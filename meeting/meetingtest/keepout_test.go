package meetingtest_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kickbot/kickbot/meeting/meetingtest"
)

// seedKeepOut is a meeting with a host, two invited guests, a sticky one,
// an uninvited joiner and an anonymous one, and an invitee who is offline.
func seedKeepOut(s *meetingtest.Server) {
	s.AddConference("555").Passwords("111111", "x").
		Host(meetingtest.P{ID: "host", Name: "Host", UserUUID: "u-host", AccountID: "host@corp"}).
		Participant(meetingtest.P{ID: "a", Name: "A", Phone: "+8613700000001", UserUUID: "u-a", AccountID: "a@corp"}).
		Participant(meetingtest.P{ID: "b", Name: "B", Phone: "+8613700000002"}).
		Participant(meetingtest.P{ID: "sticky", Name: "Sticky", Sticky: true}).
		Uninvited(meetingtest.P{ID: "crasher", Name: "Crasher", Phone: "+15550000000", UserUUID: "u-crasher"}).
		Anonymous(meetingtest.P{ID: "anon", Name: "Guest 1", UserUUID: "dropped"}).
		Invite(meetingtest.Invitee{Name: "Offline Olga", Phone: "+8613700000009", UserUUID: "u-olga", AccountID: "olga@corp"})
}

func (e *env) control(method, path, conf, auth, body string) reply {
	e.t.Helper()
	return e.do(method, path+"?conferenceID="+conf,
		map[string]string{"X-Conference-Authorization": auth, "Content-Type": "application/json"}, body)
}

func (e *env) lock(conf, auth string, on bool) reply {
	e.t.Helper()
	return e.control(http.MethodPut, meetingtest.PathLock, conf, auth, map[bool]string{true: `{"isLock":1}`, false: `{"isLock":0}`}[on])
}

func jsonBody(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func waitingIDs(ps []meetingtest.P) []string { return onlineIDs(ps) }

func TestLockRefusesGuestJoins(t *testing.T) {
	e := newEnv(t)
	seedKeepOut(e.srv)
	tok := e.mustControlToken("555", "111111")

	if r := e.lock("555", tok, true); r.status != 200 || string(r.raw) != "{}" {
		t.Fatalf("lock: got %d %s, want 200 {}", r.status, r.raw)
	}
	if !e.srv.Locked("555") {
		t.Fatal("not locked after the lock call")
	}
	if e.srv.Join("555", meetingtest.P{ID: "troll", Name: "Troll"}) {
		t.Fatal("a guest joined a locked meeting")
	}
	if slices.Contains(onlineIDs(e.srv.Online("555")), "troll") || e.srv.RefusedJoins("555") != 1 {
		t.Fatalf("troll online %v, refused %d; want not online, 1 refused", onlineIDs(e.srv.Online("555")), e.srv.RefusedJoins("555"))
	}
	if !e.srv.Join("555", meetingtest.P{ID: "cohost2", Name: "With the host password", HostLink: true}) {
		t.Fatal("a host-password join was refused while locked")
	}
	if r := e.lock("555", tok, false); r.status != 200 {
		t.Fatalf("unlock: got %d %s", r.status, r.raw)
	}
	if e.srv.Locked("555") || !e.srv.Join("555", meetingtest.P{ID: "troll", Name: "Troll"}) {
		t.Fatal("a guest could not join after the unlock")
	}
	if got := pids(e.realTimeInfo("555", tok)); !slices.Contains(got, "troll") || !slices.Contains(got, "cohost2") {
		t.Fatalf("realTimeInfo %v, want troll and cohost2 online", got)
	}
}

func TestLockRepeatAndBadRequests(t *testing.T) {
	tests := []struct {
		name       string
		opts       []meetingtest.Option
		preLocked  bool
		body       string
		wantStatus int
		wantCode   string
		wantLocked bool
	}{
		{"relock accepted", nil, true, `{"isLock":1}`, 200, "", true},
		{"re-unlock accepted", nil, false, `{"isLock":0}`, 200, "", false},
		{"relock refused", []meetingtest.Option{meetingtest.WithRepeatLock(meetingtest.RepeatLockRefused)}, true, `{"isLock":1}`, 400, meetingtest.CodeConfLocked, true},
		{"re-unlock refused", []meetingtest.Option{meetingtest.WithRepeatLock(meetingtest.RepeatLockRefused)}, false, `{"isLock":0}`, 400, meetingtest.CodeBadRequest, false},
		{"a change under the refusing mode", []meetingtest.Option{meetingtest.WithRepeatLock(meetingtest.RepeatLockRefused)}, false, `{"isLock":1}`, 200, "", true},
		{"isLock 2", nil, false, `{"isLock":2}`, 400, meetingtest.CodeBadRequest, false},
		{"isLock as a string", nil, false, `{"isLock":"1"}`, 400, meetingtest.CodeBadRequest, false},
		{"isLock as a bool", nil, false, `{"isLock":true}`, 400, meetingtest.CodeBadRequest, false},
		{"no isLock", nil, false, `{"lock":1}`, 400, meetingtest.CodeBadRequest, false},
		{"garbage", nil, false, `{"isLo`, 400, meetingtest.CodeBadRequest, false},
		{"null", nil, false, `null`, 400, meetingtest.CodeBadRequest, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, tt.opts...)
			seedKeepOut(e.srv)
			e.srv.SetLocked("555", tt.preLocked)
			tok := e.mustControlToken("555", "111111")
			r := e.control(http.MethodPut, meetingtest.PathLock, "555", tok, tt.body)
			if r.status != tt.wantStatus || r.errorCode() != tt.wantCode {
				t.Fatalf("got %d %q (%s), want %d %q", r.status, r.errorCode(), r.raw, tt.wantStatus, tt.wantCode)
			}
			if got := e.srv.Locked("555"); got != tt.wantLocked {
				t.Fatalf("locked = %v, want %v", got, tt.wantLocked)
			}
		})
	}
}

func TestKeepOutEndpointsCheckTheControlToken(t *testing.T) {
	calls := []struct{ path, body string }{
		{meetingtest.PathLock, `{"isLock":1}`},
		{meetingtest.PathMoveToWaitingRoom, `{"participantID":"a"}`},
		{meetingtest.PathBatchMoveToWaitingRoom, `{"batchParticipants":["a"]}`},
		{meetingtest.PathAllowWaiting, `{"allowAll":true}`},
	}
	for _, c := range calls {
		t.Run(c.path, func(t *testing.T) {
			e := newEnv(t)
			seedKeepOut(e.srv)
			e.srv.AddConference("666").Passwords("222222", "y")
			other := e.mustControlToken("666", "222222")
			tok := e.mustControlToken("555", "111111")
			for name, auth := range map[string]string{"none": "", "unknown": "nope", "other meeting": other} {
				if r := e.control(http.MethodPut, c.path, "555", auth, c.body); r.status != 401 || r.errorCode() != meetingtest.CodeUserTokenAuthFailed {
					t.Errorf("%s token: got %d %s, want 401 %s", name, r.status, r.raw, meetingtest.CodeUserTokenAuthFailed)
				}
			}
			if r := e.control(http.MethodPost, c.path, "555", tok, c.body); r.status != 404 || r.errorCode() != meetingtest.CodeAPINotFound {
				t.Errorf("POST: got %d %s, want 404 (PUT only)", r.status, r.raw)
			}
			if e.srv.Locked("555") || len(e.srv.Waiting("555")) != 0 {
				t.Fatal("a refused call changed the meeting")
			}
			if r := e.control(http.MethodPut, c.path, "555", basic(tok), c.body); r.status != 200 {
				t.Errorf("Basic token: got %d %s, want 200", r.status, r.raw)
			}
			e.srv.End("555")
			if r := e.control(http.MethodPut, c.path, "555", tok, c.body); r.status != 400 || r.errorCode() != meetingtest.CodeConfClosed {
				t.Errorf("after the end: got %d %s, want 400 %s", r.status, r.raw, meetingtest.CodeConfClosed)
			}
		})
	}
}

func TestMoveToWaitingRoomAndAdmit(t *testing.T) {
	e := newEnv(t)
	seedKeepOut(e.srv)
	tok := e.mustControlToken("555", "111111")

	if r := e.control(http.MethodPut, meetingtest.PathMoveToWaitingRoom, "555", tok, jsonBody(map[string]string{"participantID": "a"})); r.status != 200 {
		t.Fatalf("move a: got %d %s", r.status, r.raw)
	}
	if r := e.control(http.MethodPut, meetingtest.PathBatchMoveToWaitingRoom, "555", tok, jsonBody(map[string][]string{"batchParticipants": {"b", "crasher", "sticky", "ghost"}})); r.status != 200 {
		t.Fatalf("batch move: got %d %s", r.status, r.raw)
	}
	if got, want := pids(e.realTimeInfo("555", tok)), []string{"host", "sticky", "anon"}; !slices.Equal(got, want) {
		t.Fatalf("online after the moves: got %v, want %v (sticky ignores moves, ghost is ignored)", got, want)
	}
	if got, want := waitingIDs(e.srv.Waiting("555")), []string{"a", "b", "crasher"}; !slices.Equal(got, want) {
		t.Fatalf("waiting: got %v, want %v", got, want)
	}
	if r := e.control(http.MethodPut, meetingtest.PathAllowWaiting, "555", tok, `{"participantID":"b"}`); r.status != 200 {
		t.Fatalf("admit b: got %d %s", r.status, r.raw)
	}
	if got := pids(e.realTimeInfo("555", tok)); !slices.Contains(got, "b") {
		t.Fatalf("b not back online: %v", got)
	}
	if r := e.control(http.MethodPut, meetingtest.PathAllowWaiting, "555", tok, `{"participantID":"b"}`); r.status != 400 || r.errorCode() != meetingtest.CodeParticipantNotExist {
		t.Fatalf("admit b twice: got %d %s, want 400 %s", r.status, r.raw, meetingtest.CodeParticipantNotExist)
	}
	if r := e.control(http.MethodPut, meetingtest.PathAllowWaiting, "555", tok, `{"allowAll":true}`); r.status != 200 {
		t.Fatalf("admit all: got %d %s", r.status, r.raw)
	}
	if got, want := pids(e.realTimeInfo("555", tok)), []string{"host", "sticky", "anon", "b", "a", "crasher"}; !slices.Equal(got, want) || len(e.srv.Waiting("555")) != 0 {
		t.Fatalf("after admit all: online %v waiting %v, want %v and nobody waiting", got, e.srv.Waiting("555"), want)
	}
	if r := e.control(http.MethodPut, meetingtest.PathAllowWaiting, "555", tok, `{"allowAll":true}`); r.status != 200 {
		t.Fatalf("admit all of nobody: got %d %s, want 200", r.status, r.raw)
	}
}

func TestMoveBodiesAndStrictness(t *testing.T) {
	strict := []meetingtest.Option{meetingtest.WithStrictMove(true)}
	all := []string{"host", "a", "b", "sticky", "crasher", "anon"}
	tests := []struct {
		name       string
		opts       []meetingtest.Option
		path, body string
		wantStatus int
		wantCode   string
		wantOnline []string
	}{
		{"single unknown, lenient", nil, meetingtest.PathMoveToWaitingRoom, `{"participantID":"ghost"}`, 200, "", all},
		{"single unknown, strict", strict, meetingtest.PathMoveToWaitingRoom, `{"participantID":"ghost"}`, 400, meetingtest.CodeParticipantNotExist, all},
		{"batch with unknown, strict: nobody moves", strict, meetingtest.PathBatchMoveToWaitingRoom, `{"batchParticipants":["a","ghost"]}`, 400, meetingtest.CodeParticipantNotExist, all},
		{"batch all known, strict", strict, meetingtest.PathBatchMoveToWaitingRoom, `{"batchParticipants":["a","b"]}`, 200, "", []string{"host", "sticky", "crasher", "anon"}},
		{"single empty", nil, meetingtest.PathMoveToWaitingRoom, `{"participantID":""}`, 400, meetingtest.CodeBadRequest, all},
		{"single as a number", nil, meetingtest.PathMoveToWaitingRoom, `{"participantID":1}`, 400, meetingtest.CodeBadRequest, all},
		{"single with the batch field", nil, meetingtest.PathMoveToWaitingRoom, `{"batchParticipants":["a"]}`, 400, meetingtest.CodeBadRequest, all},
		{"batch empty", nil, meetingtest.PathBatchMoveToWaitingRoom, `{"batchParticipants":[]}`, 400, meetingtest.CodeBadRequest, all},
		{"batch not an array", nil, meetingtest.PathBatchMoveToWaitingRoom, `{"batchParticipants":"a"}`, 400, meetingtest.CodeBadRequest, all},
		{"batch with the single field", nil, meetingtest.PathBatchMoveToWaitingRoom, `{"participantID":"a"}`, 400, meetingtest.CodeBadRequest, all},
		{"batch with an empty pid", nil, meetingtest.PathBatchMoveToWaitingRoom, `{"batchParticipants":["a",""]}`, 400, meetingtest.CodeBadRequest, all},
		{"bulk endpoint missing", []meetingtest.Option{meetingtest.WithBulkWaitingRoom(false)}, meetingtest.PathBatchMoveToWaitingRoom, `{"batchParticipants":["a"]}`, 404, meetingtest.CodeAPINotFound, all},
		{"single still there without bulk", []meetingtest.Option{meetingtest.WithBulkWaitingRoom(false)}, meetingtest.PathMoveToWaitingRoom, `{"participantID":"a"}`, 200, "", []string{"host", "b", "sticky", "crasher", "anon"}},
		{"admit: both fields", nil, meetingtest.PathAllowWaiting, `{"participantID":"a","allowAll":true}`, 400, meetingtest.CodeBadRequest, all},
		{"admit: neither", nil, meetingtest.PathAllowWaiting, `{}`, 400, meetingtest.CodeBadRequest, all},
		{"admit: allowAll false", nil, meetingtest.PathAllowWaiting, `{"allowAll":false}`, 400, meetingtest.CodeBadRequest, all},
		{"admit: unknown", nil, meetingtest.PathAllowWaiting, `{"participantID":"ghost"}`, 400, meetingtest.CodeParticipantNotExist, all},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, tt.opts...)
			seedKeepOut(e.srv)
			tok := e.mustControlToken("555", "111111")
			r := e.control(http.MethodPut, tt.path, "555", tok, tt.body)
			if r.status != tt.wantStatus || r.errorCode() != tt.wantCode {
				t.Fatalf("got %d %q (%s), want %d %q", r.status, r.errorCode(), r.raw, tt.wantStatus, tt.wantCode)
			}
			if got := pids(e.realTimeInfo("555", tok)); !slices.Equal(got, tt.wantOnline) {
				t.Fatalf("online: got %v, want %v", got, tt.wantOnline)
			}
		})
	}
}

func TestWaitingRoomIDs(t *testing.T) {
	tests := []struct {
		mode          meetingtest.WaitingIDs
		sameID        bool
		admitByOldPID bool
	}{
		{meetingtest.WaitingIDIsPID, true, true},
		{meetingtest.WaitingIDNewAdmitByPID, false, true},
		{meetingtest.WaitingIDNewStrict, false, false},
	}
	for _, tt := range tests {
		t.Run(strconvMode(tt.mode), func(t *testing.T) {
			e := newEnv(t, meetingtest.WithWaitingRoomIDs(tt.mode))
			seedKeepOut(e.srv)
			tok := e.mustControlToken("555", "111111")
			if r := e.control(http.MethodPut, meetingtest.PathMoveToWaitingRoom, "555", tok, `{"participantID":"a"}`); r.status != 200 {
				t.Fatalf("move: got %d %s", r.status, r.raw)
			}
			wid, ok := e.srv.WaitingID("555", "a")
			if !ok || (wid == "a") != tt.sameID {
				t.Fatalf("WaitingID = %q, %v; want same as the pid: %v", wid, ok, tt.sameID)
			}
			r := e.control(http.MethodPut, meetingtest.PathAllowWaiting, "555", tok, `{"participantID":"a"}`)
			if tt.admitByOldPID != (r.status == 200) {
				t.Fatalf("admit by the old pid: got %d %s, want accepted: %v", r.status, r.raw, tt.admitByOldPID)
			}
			if !tt.admitByOldPID {
				if r.status != 400 || r.errorCode() != meetingtest.CodeParticipantNotExist {
					t.Fatalf("refusal: got %d %s, want 400 %s", r.status, r.raw, meetingtest.CodeParticipantNotExist)
				}
				if r := e.control(http.MethodPut, meetingtest.PathAllowWaiting, "555", tok, jsonBody(map[string]string{"participantID": wid})); r.status != 200 {
					t.Fatalf("admit by the waiting-room ID: got %d %s", r.status, r.raw)
				}
			}
			// Whichever ID let them in, they come back with the pid they had.
			if got := pids(e.realTimeInfo("555", tok)); !slices.Contains(got, "a") || len(e.srv.Waiting("555")) != 0 {
				t.Fatalf("online %v, waiting %v; want a back", got, e.srv.Waiting("555"))
			}
		})
	}
}

func strconvMode(m meetingtest.WaitingIDs) string {
	return [...]string{"same id", "new id, admit by pid", "new id, strict"}[m]
}

func TestInviteList(t *testing.T) {
	for _, ids := range []bool{false, true} {
		t.Run(map[bool]string{false: "documented roster", true: "roster with user ids"}[ids], func(t *testing.T) {
			e := newEnv(t, meetingtest.WithRosterUserIDs(ids))
			seedKeepOut(e.srv)
			tok := e.mustControlToken("555", "111111")
			var rt struct {
				Attendees []struct {
					AccountID string `json:"accountID"`
					UserUUID  string `json:"userUUID"`
					Name      string `json:"name"`
					Phone     string `json:"phone"`
				} `json:"attendees"`
				Participants []map[string]any `json:"participants"`
			}
			if err := json.Unmarshal(e.realTimeInfo("555", tok).raw, &rt); err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, a := range rt.Attendees {
				names = append(names, a.Name+"/"+a.UserUUID+"/"+a.AccountID+"/"+a.Phone)
			}
			want := []string{"Host/u-host/host@corp/", "A/u-a/a@corp/+8613700000001", "B///+8613700000002", "Sticky///",
				"Offline Olga/u-olga/olga@corp/+8613700000009"}
			if !slices.Equal(names, want) {
				t.Fatalf("attendees: got %v, want %v (no crasher, no anonymous)", names, want)
			}
			byPID := map[string]map[string]any{}
			for _, p := range rt.Participants {
				byPID[p["pid"].(string)] = p
			}
			if len(byPID) != 6 {
				t.Fatalf("got %d online, want 6", len(byPID))
			}
			for pid, want := range map[string]string{"a": "u-a", "crasher": "u-crasher", "anon": "", "b": ""} {
				got, present := byPID[pid]["userUUID"]
				if present != ids || (ids && got != want) {
					t.Errorf("%s userUUID = %v (present %v), want %q present %v", pid, got, present, want, ids)
				}
			}
		})
	}
}

func TestKeepOutFaults(t *testing.T) {
	calls := []struct {
		e          meetingtest.Endpoint
		path, body string
	}{
		{meetingtest.EndpointLock, meetingtest.PathLock, `{"isLock":1}`},
		{meetingtest.EndpointMoveToWaitingRoom, meetingtest.PathMoveToWaitingRoom, `{"participantID":"a"}`},
		{meetingtest.EndpointBatchMoveToWaitingRoom, meetingtest.PathBatchMoveToWaitingRoom, `{"batchParticipants":["a"]}`},
		{meetingtest.EndpointAllowWaiting, meetingtest.PathAllowWaiting, `{"participantID":"w"}`},
	}
	for _, c := range calls {
		t.Run(string(c.e), func(t *testing.T) {
			e := newEnv(t)
			seedKeepOut(e.srv)
			e.srv.ArriveInWaitingRoom("555", meetingtest.P{ID: "w", Name: "Waiting"})
			tok := e.mustControlToken("555", "111111")
			state := func() string {
				return jsonBody([]any{e.srv.Locked("555"), onlineIDs(e.srv.Online("555")), waitingIDs(e.srv.Waiting("555"))})
			}
			before := state()

			e.srv.FailNext(c.e, 1, meetingtest.Fault{Status: 503})
			if r := e.control(http.MethodPut, c.path, "555", tok, c.body); r.status != 503 || r.errorCode() != meetingtest.CodeServerError {
				t.Fatalf("FailNext 503: got %d %s", r.status, r.raw)
			}
			e.srv.FailNext(c.e, 1, meetingtest.Fault{Status: 401})
			if r := e.control(http.MethodPut, c.path, "555", tok, c.body); r.status != 401 || r.errorCode() != meetingtest.CodeUserTokenAuthFailed {
				t.Fatalf("FailNext 401: got %d %s, want the control-token failure", r.status, r.raw)
			}
			if got := state(); got != before {
				t.Fatalf("a failed call changed the meeting: %s → %s", before, got)
			}

			// Hold: the call waits at the gate until released.
			release := e.srv.Hold(c.e)
			defer release()
			done := make(chan int, 1)
			go func() {
				defer func() {
					if recover() != nil {
						done <- -1
					}
				}()
				req, _ := http.NewRequest(http.MethodPut, e.srv.URL()+c.path+"?conferenceID=555", strings.NewReader(c.body))
				req.Header.Set("X-Conference-Authorization", tok)
				resp, err := e.hc.Do(req)
				if err != nil {
					done <- 0
					return
				}
				resp.Body.Close()
				done <- resp.StatusCode
			}()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			tick := time.NewTicker(time.Millisecond)
			defer tick.Stop()
			for e.srv.Held(c.e) != 1 { // the event: the call is at the gate
				select {
				case <-ctx.Done():
					t.Fatal("the call never reached the gate")
				case <-tick.C:
				}
			}
			if got := state(); got != before {
				t.Fatal("a held call changed the meeting")
			}
			release()
			if status := <-done; status != 200 {
				t.Fatalf("released call: got %d", status)
			}
			if got := state(); got == before {
				t.Fatal("the released call changed nothing")
			}

			// Latency: the call waits, and gives up with its caller.
			before = state()
			e.srv.SetLatency(c.e, time.Hour)
			lctx, lcancel := context.WithCancel(context.Background())
			failed := make(chan error, 1)
			go func() {
				req, _ := http.NewRequestWithContext(lctx, http.MethodPut, e.srv.URL()+c.path+"?conferenceID=555", strings.NewReader(c.body))
				req.Header.Set("X-Conference-Authorization", tok)
				resp, err := e.hc.Do(req)
				if err == nil {
					resp.Body.Close()
				}
				failed <- err
			}()
			for e.srv.Active() != 1 { // the event: the call is inside the simulator
				select {
				case <-ctx.Done():
					t.Fatal("the call never arrived")
				case <-tick.C:
				}
			}
			lcancel()
			if err := <-failed; err == nil {
				t.Fatal("a call cancelled during the latency got a reply")
			}
			for e.srv.Active() != 0 { // the event: the simulator let go of it
				select {
				case <-ctx.Done():
					t.Fatal("the abandoned call never ended")
				case <-tick.C:
				}
			}
			e.srv.SetLatency(c.e, 0)
			if got := state(); got != before {
				t.Fatal("a call abandoned during the latency changed the meeting")
			}

			// Applied: the change happens, the reply is lost.
			e.srv.FailNext(c.e, 1, meetingtest.Fault{Applied: true, Status: 502})
			r := e.control(http.MethodPut, c.path, "555", tok, c.body)
			if r.status != 502 {
				t.Fatalf("applied fault: got %d %s", r.status, r.raw)
			}
			if n := e.srv.CallCount(c.e); n != 5 {
				t.Fatalf("recorded %d calls, want 5", n)
			}
		})
	}
}
