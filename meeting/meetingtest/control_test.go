package meetingtest_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/kickbot/kickbot/meeting/meetingtest"
)

func TestControlTokenIssue(t *testing.T) {
	e := newEnv(t)
	e.srv.AddConference("555").Passwords("111111", "222222")
	e.srv.AddConference("666").Scheduled().Passwords("111111", "222222")
	e.srv.AddConference("777").Ended().Passwords("111111", "222222")
	tests := []struct {
		name, conf, password, loginType string
		wantStatus                      int
		wantCode                        string
	}{
		{"host password", "555", "111111", "1", 200, ""},
		{"wrong password", "555", "000000", "1", 400, meetingtest.CodeConfNotFoundOrAuthFailed},
		{"guest password is not enough", "555", "222222", "1", 400, meetingtest.CodeConfNotFoundOrAuthFailed},
		{"no password", "555", "", "1", 400, meetingtest.CodeConfNotFoundOrAuthFailed},
		{"unknown meeting", "999", "111111", "1", 400, meetingtest.CodeConfNotFoundOrAuthFailed},
		{"not started", "666", "111111", "1", 400, meetingtest.CodeConfNotStarted},
		{"ended", "777", "111111", "1", 400, meetingtest.CodeConfNotStarted},
		{"missing X-Login-Type", "555", "111111", "", 400, meetingtest.CodeBadRequest},
		{"other X-Login-Type", "555", "111111", "2", 400, meetingtest.CodeBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := map[string]string{"X-Password": tt.password}
			if tt.loginType != "" {
				h["X-Login-Type"] = tt.loginType
			}
			r := e.do(http.MethodGet, meetingtest.PathControlToken+"?conferenceID="+tt.conf, h, "")
			if r.status != tt.wantStatus || r.errorCode() != tt.wantCode {
				t.Fatalf("got %d %q (%s), want %d %q", r.status, r.errorCode(), r.raw, tt.wantStatus, tt.wantCode)
			}
			if tt.wantStatus != 200 {
				return
			}
			d := r.body["data"].(map[string]any)
			if d["token"] == "" || d["expireTime"] != float64(t0.Add(30*time.Minute).UnixMilli()) ||
				d["confTokenExpireTime"] != 1800.0 || d["role"] != 1.0 {
				t.Fatalf("got data %v, want a token, expireTime %d ms, confTokenExpireTime 1800, role 1", d, t0.Add(30*time.Minute).UnixMilli())
			}
		})
	}
}

func TestControlTokenKeepAlive(t *testing.T) {
	for _, fresh := range []bool{true, false} {
		name := "same token"
		if fresh {
			name = "fresh token"
		}
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, meetingtest.WithKeepAliveNewToken(fresh))
			e.srv.AddConference("555").Passwords("111111", "222222")
			old := e.mustControlToken("555", "111111")
			e.clock.Advance(25 * time.Minute)

			// Keep-alive: no password (a wrong one would not matter either).
			r := e.controlToken("555", "wrong", old)
			cur := tokenOf(r)
			if r.status != 200 || cur == "" {
				t.Fatalf("keep-alive: got %d %s, want 200 with a token", r.status, r.raw)
			}
			if d := r.body["data"].(map[string]any); d["expireTime"] != float64(t0.Add(55*time.Minute).UnixMilli()) {
				t.Fatalf("keep-alive: got expireTime %v, want %d", d["expireTime"], t0.Add(55*time.Minute).UnixMilli())
			}
			if (cur != old) != fresh {
				t.Fatalf("keep-alive: got new token = %v, want %v", cur != old, fresh)
			}
			if fresh {
				if rt := e.realTimeInfo("555", old); rt.status != 401 {
					t.Fatalf("old token after fresh keep-alive: got %d, want 401", rt.status)
				}
			}
			// Past the original 30 minutes, the extended token still works.
			e.clock.Advance(10 * time.Minute)
			if rt := e.realTimeInfo("555", cur); rt.status != 200 {
				t.Fatalf("extended token at +35m: got %d %s, want 200", rt.status, rt.raw)
			}
			// Expired token: without the password it fails, with it a new token comes.
			e.clock.Advance(30 * time.Minute)
			if r := e.controlToken("555", "", cur); r.status != 400 || r.errorCode() != meetingtest.CodeConfNotFoundOrAuthFailed {
				t.Fatalf("expired token, no password: got %d %q, want 400 %q", r.status, r.errorCode(), meetingtest.CodeConfNotFoundOrAuthFailed)
			}
			if r := e.controlToken("555", "000000", cur); r.status != 400 {
				t.Fatalf("expired token, wrong password: got %d, want 400", r.status)
			}
			r = e.controlToken("555", "111111", cur)
			if next := tokenOf(r); r.status != 200 || next == "" || next == cur {
				t.Fatalf("expired token, right password: got %d %s, want 200 with a new token", r.status, r.raw)
			}
		})
	}
}

func TestControlTokenKeepAliveRejectsOtherMeetingsToken(t *testing.T) {
	e := newEnv(t)
	e.srv.AddConference("555").Passwords("111111", "x")
	e.srv.AddConference("666").Passwords("222222", "y")
	tok555 := e.mustControlToken("555", "111111")
	if r := e.controlToken("666", "", tok555); r.status != 400 || r.errorCode() != meetingtest.CodeConfNotFoundOrAuthFailed {
		t.Fatalf("got %d %q, want 400 %q: a token for 555 must not keep 666 alive", r.status, r.errorCode(), meetingtest.CodeConfNotFoundOrAuthFailed)
	}
}

func TestControlTokenLockout(t *testing.T) {
	e := newEnv(t, meetingtest.WithControlLockout(3, 10*time.Minute))
	e.srv.AddConference("555").Passwords("111111", "x")
	valid := e.mustControlToken("555", "111111")
	for i := range 3 {
		if r := e.controlToken("555", "000000", ""); r.errorCode() != meetingtest.CodeConfNotFoundOrAuthFailed {
			t.Fatalf("wrong password #%d: got %q, want %q", i+1, r.errorCode(), meetingtest.CodeConfNotFoundOrAuthFailed)
		}
	}
	if r := e.controlToken("555", "111111", ""); r.status != 400 || r.errorCode() != meetingtest.CodeControlLoginLocked {
		t.Fatalf("right password while locked: got %d %q, want 400 %q", r.status, r.errorCode(), meetingtest.CodeControlLoginLocked)
	}
	if r := e.controlToken("555", "", valid); r.status != 200 {
		t.Fatalf("keep-alive while locked: got %d %s, want 200", r.status, r.raw)
	}
	e.clock.Advance(10 * time.Minute)
	if r := e.controlToken("555", "111111", ""); r.status != 200 {
		t.Fatalf("after the lockout: got %d %s, want 200", r.status, r.raw)
	}
}

func TestControlTokenForms(t *testing.T) {
	e := newEnv(t)
	e.srv.AddConference("555").Passwords("111111", "x").Participant(meetingtest.P{Name: "A"})
	e.srv.AddConference("666").Passwords("222222", "y")
	tok := e.mustControlToken("555", "111111")
	other := e.mustControlToken("666", "222222")
	tests := []struct {
		name, auth string
		wantStatus int
		wantCode   string
	}{
		{"raw", tok, 200, ""},
		{"Basic base64", basic(tok), 200, ""},
		{"missing", "", 401, meetingtest.CodeUserTokenAuthFailed},
		{"unknown", "made-up-token", 401, meetingtest.CodeUserTokenAuthFailed},
		{"Basic of unknown", basic("made-up-token"), 401, meetingtest.CodeUserTokenAuthFailed},
		{"Basic garbage", "Basic !!!", 401, meetingtest.CodeUserTokenAuthFailed},
		{"another meeting's token", other, 401, meetingtest.CodeUserTokenAuthFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, r := range []reply{e.realTimeInfo("555", tt.auth), e.hangUp("555", tt.auth, hangUpBody("nobody"))} {
				if r.status != tt.wantStatus || r.errorCode() != tt.wantCode {
					t.Fatalf("got %d %q (%s), want %d %q", r.status, r.errorCode(), r.raw, tt.wantStatus, tt.wantCode)
				}
			}
		})
	}
	e.clock.Advance(30 * time.Minute)
	if r := e.realTimeInfo("555", tok); r.status != 401 || r.errorCode() != meetingtest.CodeUserTokenAuthFailed {
		t.Fatalf("expired by the clock: got %d %q, want 401 %q", r.status, r.errorCode(), meetingtest.CodeUserTokenAuthFailed)
	}
}

func TestControlAuthFailureIsConfigurable(t *testing.T) {
	e := newEnv(t, meetingtest.WithControlAuthFailure(403, "MMC.111070004", "CONF_AUTH_FAIL"))
	e.srv.AddConference("555").Passwords("111111", "x")
	tok := e.mustControlToken("555", "111111")
	e.srv.ExpireControlTokens()
	if r := e.realTimeInfo("555", tok); r.status != 403 || r.errorCode() != "MMC.111070004" || r.body["error_msg"] != "CONF_AUTH_FAIL" {
		t.Fatalf("got %d %s, want 403 MMC.111070004 CONF_AUTH_FAIL", r.status, r.raw)
	}
}

func TestEndedMeeting(t *testing.T) {
	e := newEnv(t)
	e.srv.AddApp("app1", "key1", "")
	e.srv.AddConference("555").Passwords("111111", "x").Participant(meetingtest.P{ID: "p1", Name: "A"})
	tok := e.mustControlToken("555", "111111")
	e.srv.End("555")

	if r := e.realTimeInfo("555", tok); r.status != 400 || r.errorCode() != meetingtest.CodeConfClosed {
		t.Fatalf("realTimeInfo after End: got %d %q, want 400 %q", r.status, r.errorCode(), meetingtest.CodeConfClosed)
	}
	if r := e.hangUp("555", tok, hangUpBody("p1")); r.status != 400 || r.errorCode() != meetingtest.CodeConfClosed {
		t.Fatalf("hang-up after End: got %d %q, want 400 %q", r.status, r.errorCode(), meetingtest.CodeConfClosed)
	}
	if r := e.controlToken("555", "111111", ""); r.status != 400 || r.errorCode() != meetingtest.CodeConfNotStarted {
		t.Fatalf("control token after End: got %d %q, want 400 %q", r.status, r.errorCode(), meetingtest.CodeConfNotStarted)
	}
	at := e.accessToken("app1", "key1", "")
	d := e.do(http.MethodGet, meetingtest.PathConfDetail+"?conferenceID=555", map[string]string{"X-Access-Token": at}, "")
	if cd := d.body["conferenceData"].(map[string]any); cd["conferenceState"] != "Destroyed" {
		t.Fatalf("confDetail after End: got state %v, want Destroyed", cd["conferenceState"])
	}
	if got := e.srv.Online("555"); len(got) != 0 {
		t.Fatalf("Online after End: got %v, want nobody", got)
	}

	// Restarted: the old token belongs to the previous run.
	e.srv.Start("555")
	if r := e.realTimeInfo("555", tok); r.status != 401 {
		t.Fatalf("old token after restart: got %d, want 401", r.status)
	}
	if r := e.realTimeInfo("555", e.mustControlToken("555", "111111")); r.status != 200 {
		t.Fatalf("new token after restart: got %d %s, want 200", r.status, r.raw)
	}
}
