package meetingtest_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kickbot/kickbot/meeting/meetingtest"
)

func seedStrict(s *meetingtest.Server) {
	s.AddConference("555").Passwords("111111", "x").
		Host(meetingtest.P{ID: "host", Name: "Host", Phone: "+8613800000001"}).
		CoHost(meetingtest.P{ID: "co", Name: "Co", Phone: "+991112345815"}).
		Participant(meetingtest.P{ID: "a", Name: "A", Phone: "+8613800000002"}).
		Participant(meetingtest.P{ID: "b", Name: "B", Phone: "12345"})
}

// TestAppliedThenLost: the hang-up takes effect and only then is its reply
// lost or spoiled — the case where a client that believes the error reports a
// kick that happened as failed.
func TestAppliedThenLost(t *testing.T) {
	tests := []struct {
		name     string
		fault    meetingtest.Fault
		wantErr  bool // the caller sees no HTTP reply at all
		wantCode int
	}{
		{"connection closed after applying", meetingtest.Fault{Applied: true, CloseConn: true}, true, 0},
		{"500 after applying", meetingtest.Fault{Applied: true, Status: 500}, false, 500},
		{"502 after applying", meetingtest.Fault{Applied: true, Status: 502}, false, 502},
		{"not applied: connection closed before", meetingtest.Fault{CloseConn: true}, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			seedStrict(e.srv)
			tok := e.mustControlToken("555", "111111")
			e.srv.FailNext(meetingtest.EndpointHangUp, 1, tt.fault)
			req, _ := http.NewRequest(http.MethodPost, e.srv.URL()+meetingtest.PathHangUp+"?conferenceID=555",
				strings.NewReader(hangUpBody("a")))
			req.Header.Set("X-Conference-Authorization", tok)
			resp, err := e.hc.Do(req)
			if tt.wantErr {
				if err == nil {
					resp.Body.Close()
					t.Fatalf("got HTTP %d, want the connection closed without a reply", resp.StatusCode)
				}
			} else {
				if err != nil {
					t.Fatalf("got %v, want HTTP %d", err, tt.wantCode)
				}
				resp.Body.Close()
				if resp.StatusCode != tt.wantCode {
					t.Fatalf("got HTTP %d, want %d", resp.StatusCode, tt.wantCode)
				}
			}
			online := onlineIDs(e.srv.Online("555"))
			if applied := !slices.Contains(online, "a"); applied != tt.fault.Applied {
				t.Errorf("online after the call: %v; applied = %v, want %v", online, applied, tt.fault.Applied)
			}
		})
	}
}

func TestRosterFaults(t *testing.T) {
	tests := []struct {
		fault meetingtest.RosterFault
		check func(body map[string]any) bool // true when the roster is spoiled as promised
	}{
		{meetingtest.RosterNoConfInfo, func(b map[string]any) bool { _, ok := b["confInfo"]; return !ok }},
		{meetingtest.RosterChairIDNumber, func(b map[string]any) bool { _, ok := confInfo(b)["chairID"].(float64); return ok }},
		{meetingtest.RosterChairIDObject, func(b map[string]any) bool { _, ok := confInfo(b)["chairID"].(map[string]any); return ok }},
		{meetingtest.RosterCoHostsString, func(b map[string]any) bool { return confInfo(b)["coHosts"] == "co" }},
		{meetingtest.RosterCoHostsNumbers, func(b map[string]any) bool {
			l, _ := confInfo(b)["coHosts"].([]any)
			if len(l) == 0 {
				return false
			}
			_, num := l[0].(float64)
			return num
		}},
		{meetingtest.RosterParticipantsObject, func(b map[string]any) bool {
			m, ok := b["participants"].(map[string]any)
			return ok && len(m) == 4
		}},
		{meetingtest.RosterParticipantsString, func(b map[string]any) bool { return b["participants"] == "host,co,a,b" }},
		{meetingtest.RosterEntryWithoutPID, func(b map[string]any) bool {
			ps, _ := b["participants"].([]any)
			_, has := ps[len(ps)-1].(map[string]any)["pid"]
			return len(ps) == 4 && !has
		}},
		{meetingtest.RosterEntryNumericPID, func(b map[string]any) bool {
			ps, _ := b["participants"].([]any)
			_, num := ps[len(ps)-1].(map[string]any)["pid"].(float64)
			return len(ps) == 4 && num
		}},
	}
	for _, tt := range tests {
		e := newEnv(t)
		seedStrict(e.srv)
		tok := e.mustControlToken("555", "111111")
		e.srv.FailNext(meetingtest.EndpointRealTimeInfo, 1, meetingtest.Fault{Roster: tt.fault})
		r := e.realTimeInfo("555", tok)
		if r.status != http.StatusOK || !tt.check(r.body) {
			t.Errorf("roster fault %d: got %d %s", tt.fault, r.status, r.raw)
		}
		// One call only: the next roster is intact again.
		if r := e.realTimeInfo("555", tok); !slices.Equal(pids(r), []string{"host", "co", "a", "b"}) || confInfo(r.body)["chairID"] != "host" {
			t.Errorf("roster fault %d outlived its FailNext: %s", tt.fault, r.raw)
		}
	}
}

func confInfo(b map[string]any) map[string]any { m, _ := b["confInfo"].(map[string]any); return m }

func TestMaskedPhones(t *testing.T) {
	for _, masked := range []bool{false, true} {
		e := newEnv(t, meetingtest.WithMaskedPhones(masked))
		seedStrict(e.srv)
		tok := e.mustControlToken("555", "111111")
		r := e.realTimeInfo("555", tok)
		var phones []string
		for _, p := range r.body["participants"].([]any) {
			phones = append(phones, p.(map[string]any)["phone"].(string))
		}
		want := []string{"+8613800000001", "+991112345815", "+8613800000002", "12345"}
		if masked {
			want = []string{"+86138****001", "+99111****815", "+86138****002", "***45"}
		}
		if !slices.Equal(phones, want) {
			t.Errorf("masked=%v: phones %q, want %q", masked, phones, want)
		}
		// Masking is what realTimeInfo shows; the meeting itself is unchanged.
		if got := e.srv.Online("555")[1].Phone; got != "+991112345815" {
			t.Errorf("Online phone %q, want the real number", got)
		}
	}
}

func TestGatewayThrottle(t *testing.T) {
	e := newEnv(t)
	seedStrict(e.srv)
	tok := e.mustControlToken("555", "111111")
	e.srv.Throttle(meetingtest.EndpointRealTimeInfo, 2)
	for i := range 2 {
		if r := e.realTimeInfo("555", tok); r.status != http.StatusOK {
			t.Fatalf("call %d: %d %s, want 200", i+1, r.status, r.raw)
		}
	}
	r := e.realTimeInfo("555", tok)
	if r.status != http.StatusTooManyRequests || r.errorCode() != meetingtest.CodeGatewayThrottled {
		t.Fatalf("third call: %d %s, want 429 %s", r.status, r.raw, meetingtest.CodeGatewayThrottled)
	}
	if ra := r.header.Get("Retry-After"); ra != "" {
		t.Errorf("Retry-After %q, want none (the gateway documents none)", ra)
	}
	e.clock.Advance(time.Second)
	if r := e.realTimeInfo("555", tok); r.status != http.StatusOK {
		t.Errorf("next second: %d %s, want 200", r.status, r.raw)
	}
	e.srv.Throttle(meetingtest.EndpointRealTimeInfo, 0)
	for range 5 {
		if r := e.realTimeInfo("555", tok); r.status != http.StatusOK {
			t.Fatalf("throttle removed: %d %s, want 200", r.status, r.raw)
		}
	}
}

func TestEndedFailure(t *testing.T) {
	tests := []struct {
		opts     []meetingtest.Option
		wantCode string
	}{
		{nil, meetingtest.CodeConfClosed},
		{[]meetingtest.Option{meetingtest.WithEndedFailure(400, meetingtest.CodeConfClosedRecently, "CONF_CLOSED_RECENTLY")}, meetingtest.CodeConfClosedRecently},
		{[]meetingtest.Option{meetingtest.WithEndedFailure(409, meetingtest.CodeConfIsClosing, "CONF_IS_CLOSING")}, meetingtest.CodeConfIsClosing},
	}
	for _, tt := range tests {
		e := newEnv(t, tt.opts...)
		seedStrict(e.srv)
		tok := e.mustControlToken("555", "111111")
		e.srv.End("555")
		for _, r := range []reply{e.realTimeInfo("555", tok), e.hangUp("555", tok, hangUpBody("a"))} {
			if r.status < 400 || r.status > 499 || r.errorCode() != tt.wantCode {
				t.Errorf("after End: %d %s, want 4xx %s", r.status, r.raw, tt.wantCode)
			}
		}
	}
}
