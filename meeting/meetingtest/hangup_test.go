package meetingtest_test

import (
	"slices"
	"testing"

	"github.com/kickbot/kickbot/meeting/meetingtest"
)

func TestHangUp(t *testing.T) {
	seed := func(s *meetingtest.Server) {
		s.AddConference("555").Passwords("111111", "x").
			Host(meetingtest.P{ID: "host", Name: "Host"}).
			CoHost(meetingtest.P{ID: "co", Name: "Co"}).
			Participant(meetingtest.P{ID: "a", Name: "A"}).
			Participant(meetingtest.P{ID: "b", Name: "B"}).
			Participant(meetingtest.P{ID: "sticky", Name: "Sticky", Sticky: true})
	}
	all := []string{"host", "co", "a", "b", "sticky"}
	tests := []struct {
		name       string
		opts       []meetingtest.Option
		body       string
		wantStatus int
		wantCode   string
		wantOnline []string
	}{
		{"lenient: known removed", nil, hangUpBody("a"), 200, "", []string{"host", "co", "b", "sticky"}},
		{"lenient: unknown ignored", nil, hangUpBody("a", "ghost", "b"), 200, "", []string{"host", "co", "sticky"}},
		{"duplicates are harmless", nil, hangUpBody("a", "a"), 200, "", []string{"host", "co", "b", "sticky"}},
		{"strict: unknown fails all", []meetingtest.Option{meetingtest.WithStrictHangUp(true)}, hangUpBody("a", "ghost"), 400, meetingtest.CodeParticipantNotExist, all},
		{"strict: all known", []meetingtest.Option{meetingtest.WithStrictHangUp(true)}, hangUpBody("a", "b"), 200, "", []string{"host", "co", "sticky"}},
		{"sticky stays online", nil, hangUpBody("sticky", "a"), 200, "", []string{"host", "co", "b", "sticky"}},
		{"host may be hung up by default", nil, hangUpBody("host"), 200, "", []string{"co", "a", "b", "sticky"}},
		{"host refused when configured", []meetingtest.Option{meetingtest.WithHostHangUp(false)}, hangUpBody("a", "host"), 403, meetingtest.CodeInsufficientPermissions, all},
		{"co-host is not the host", []meetingtest.Option{meetingtest.WithHostHangUp(false)}, hangUpBody("co"), 200, "", []string{"host", "a", "b", "sticky"}},
		{"over the test cap", []meetingtest.Option{meetingtest.WithHangUpLimit(1)}, hangUpBody("a", "b"), 400, meetingtest.CodeBadRequest, all},
		{"at the test cap", []meetingtest.Option{meetingtest.WithHangUpLimit(2)}, hangUpBody("a", "b"), 200, "", []string{"host", "co", "sticky"}},
		{"empty array", nil, `{"bulkHangUpParticipants":[]}`, 400, meetingtest.CodeBadRequest, all},
		{"null", nil, `{"bulkHangUpParticipants":null}`, 400, meetingtest.CodeBadRequest, all},
		{"missing field", nil, `{"participants":["a"]}`, 400, meetingtest.CodeBadRequest, all},
		{"not an array", nil, `{"bulkHangUpParticipants":"a"}`, 400, meetingtest.CodeBadRequest, all},
		{"numbers", nil, `{"bulkHangUpParticipants":[1,2]}`, 400, meetingtest.CodeBadRequest, all},
		{"garbage", nil, `{"bulkHang`, 400, meetingtest.CodeBadRequest, all},
		{"bare array", nil, `["a"]`, 400, meetingtest.CodeBadRequest, all},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, tt.opts...)
			seed(e.srv)
			tok := e.mustControlToken("555", "111111")
			r := e.hangUp("555", tok, tt.body)
			if r.status != tt.wantStatus || r.errorCode() != tt.wantCode {
				t.Fatalf("got %d %q (%s), want %d %q", r.status, r.errorCode(), r.raw, tt.wantStatus, tt.wantCode)
			}
			if r.status == 200 && string(r.raw) != "{}" {
				t.Fatalf("got body %q, want {}", r.raw)
			}
			if got := pids(e.realTimeInfo("555", tok)); !slices.Equal(got, tt.wantOnline) {
				t.Fatalf("realTimeInfo: got %v, want %v", got, tt.wantOnline)
			}
			if got := onlineIDs(e.srv.Online("555")); !slices.Equal(got, tt.wantOnline) {
				t.Fatalf("Online: got %v, want %v", got, tt.wantOnline)
			}
		})
	}
}

func TestHangUpRecordsEveryIDSent(t *testing.T) {
	e := newEnv(t, meetingtest.WithStrictHangUp(true))
	e.srv.AddConference("555").Passwords("111111", "x").Participant(meetingtest.P{ID: "a"}).Participant(meetingtest.P{ID: "b"})
	tok := e.mustControlToken("555", "111111")
	e.hangUp("555", tok, hangUpBody("a", "ghost")) // rejected, but sent
	e.hangUp("555", tok, hangUpBody("a"))
	e.hangUp("555", tok, hangUpBody("a", "b"))
	want := []string{"a", "ghost", "a", "a", "b"}
	if got := e.srv.HangUpIDs("555"); !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if got := e.srv.CallCount(meetingtest.EndpointHangUp); got != 3 {
		t.Fatalf("got %d hang-up calls, want 3", got)
	}
	e.srv.ResetCalls()
	if got := e.srv.HangUpIDs("555"); len(got) != 0 {
		t.Fatalf("after ResetCalls: got %v, want none", got)
	}
}

func TestJoinAndLeave(t *testing.T) {
	e := newEnv(t)
	e.srv.AddConference("555").Passwords("111111", "x").Participant(meetingtest.P{ID: "a", Name: "A"})
	tok := e.mustControlToken("555", "111111")
	// The same account on two devices is two pids.
	e.srv.Join("555", meetingtest.P{ID: "d1", Name: "Kim", Phone: "+8613700000000"})
	e.srv.Join("555", meetingtest.P{ID: "d2", Name: "Kim", Phone: "+8613700000000"})
	e.srv.Join("555", meetingtest.P{ID: "s", Name: "Sticky", Sticky: true})
	e.srv.Leave("555", "a")
	e.srv.Leave("555", "s") // leaving is not a hang-up: sticky can leave
	e.srv.Leave("555", "never-there")
	if got, want := pids(e.realTimeInfo("555", tok)), []string{"d1", "d2"}; !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	// Invited attendees stay listed after leaving.
	rt := e.realTimeInfo("555", tok)
	if att, _ := rt.body["attendees"].([]any); len(att) != 1 {
		t.Fatalf("got %d attendees, want the 1 invited", len(att))
	}
}
