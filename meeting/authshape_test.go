package meeting_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/kickbot/kickbot/meeting"
	"github.com/kickbot/kickbot/meeting/meetingtest"
)

// TestAuthShapedFailuresRenewOnce: Huawei does not document how it refuses an
// expired or dropped control token, so the simulator answers with each
// plausible reply in turn. Every one must cost one renewal and then work —
// never reach the moderator as a failure.
func TestAuthShapedFailuresRenewOnce(t *testing.T) {
	replies := []struct {
		status       int
		code, msg    string
		rereadDetail bool // a password-shaped code: the host password is looked up again too
	}{
		{401, meetingtest.CodeUserTokenAuthFailed, "USER_TOKEN_AUTH_FAILED", false},
		{401, "", "", false},
		{403, "", "", false},
		{403, meetingtest.CodeInsufficientPermissions, "INSUFFICIENT_PERMISSIONS", false},
		{400, meetingtest.CodeConfAuthFail, "CONF_AUTH_FAIL", false},
		{400, meetingtest.CodeRequestTokenNull, "REQUEST_TOKEN_IS_NULL", false},
		{400, meetingtest.CodeConfPwdAuthFailed, "CONF_PWD_AUTH_FAILED", true},
		{400, meetingtest.CodeConfNotFoundOrAuthFailed, "CONF_NOT_FOUND_OR_AUTH_FAILED", true},
	}
	for _, rp := range replies {
		for _, ep := range []meetingtest.Endpoint{epRealTime, epHangUp} {
			t.Run(rp.code+" "+http.StatusText(rp.status)+" on "+string(ep), func(t *testing.T) {
				e := newEnv(t, envOpt{sim: []meetingtest.Option{meetingtest.WithControlAuthFailure(rp.status, rp.code, rp.msg)}})
				if _, err := e.client.Roster(ctxT(t), e.facts.ConferenceID); err != nil {
					t.Fatal(err)
				}
				e.sim.ExpireControlTokens()
				e.sim.ResetCalls()
				var err error
				if ep == epHangUp {
					var res *meeting.DisconnectResult
					res, err = e.client.Disconnect(ctxT(t), e.facts.ConferenceID, []string{e.others(0)})
					if err == nil && (len(res.Gone) != 1 || res.Gone[0] != e.others(0)) {
						t.Errorf("Gone = %v, want [%s]", res.Gone, e.others(0))
					}
				} else {
					_, err = e.client.Roster(ctxT(t), e.facts.ConferenceID)
				}
				if err != nil {
					t.Fatalf("after the token was refused with %d %s: %v, want success after one renewal", rp.status, rp.code, err)
				}
				got := e.counts()
				wantDetail := 0
				if rp.rereadDetail {
					wantDetail = 1
				}
				if got[epToken] != 1 || got[epDetail] != wantDetail || got[ep] != 2 {
					t.Errorf("calls %v, want 1 token, %d confDetail, %s twice (refused, retried)", got, wantDetail, ep)
				}
			})
		}
	}
}

// TestAuthShapedRenewsOnlyOnce: a refusal that survives a fresh token is
// reported, not retried in a loop.
func TestAuthShapedRenewsOnlyOnce(t *testing.T) {
	e := newEnv(t, envOpt{})
	e.sim.FailNext(epHangUp, 5, meetingtest.Fault{Status: 400, Code: meetingtest.CodeConfAuthFail, Msg: "CONF_AUTH_FAIL"})
	res, err := e.client.Disconnect(ctxT(t), e.facts.ConferenceID, []string{e.others(0)})
	if meeting.KindOf(err) != meeting.KindUnauthorized {
		t.Fatalf("err = %v, want unauthorized", err)
	}
	if res != nil && len(res.Gone) > 0 {
		t.Errorf("Gone = %v after a refused hang-up", res.Gone)
	}
	if n := e.sim.CallCount(epHangUp); n != 2 {
		t.Errorf("hang-up calls = %d, want 2 (one renewal)", n)
	}
	if online := e.sim.Online(e.facts.ConferenceID); len(online) != 2+len(e.facts.Others) {
		t.Errorf("%d online, want everyone still there", len(online))
	}
}

// TestMeetingEndedAndLocked: these get their own kinds, are not retried, and
// an ended meeting is forgotten (its token is useless).
func TestMeetingEndedAndLocked(t *testing.T) {
	tests := []struct {
		name     string
		opts     []meetingtest.Option
		setup    func(e *env)
		wantKind meeting.Kind
		wantCode string
	}{
		{"ended: CONF_IS_CLOSED", nil, func(e *env) { e.sim.End(e.facts.ConferenceID) },
			meeting.KindMeetingEnded, meetingtest.CodeConfClosed},
		{"ended: CONF_CLOSED_RECENTLY", []meetingtest.Option{meetingtest.WithEndedFailure(400, meetingtest.CodeConfClosedRecently, "CONF_CLOSED_RECENTLY")},
			func(e *env) { e.sim.End(e.facts.ConferenceID) }, meeting.KindMeetingEnded, meetingtest.CodeConfClosedRecently},
		{"ended: CONF_IS_CLOSING", []meetingtest.Option{meetingtest.WithEndedFailure(400, meetingtest.CodeConfIsClosing, "CONF_IS_CLOSING")},
			func(e *env) { e.sim.End(e.facts.ConferenceID) }, meeting.KindMeetingEnded, meetingtest.CodeConfIsClosing},
		{"locked", nil, func(e *env) {
			e.sim.FailNext(epHangUp, 1, meetingtest.Fault{Status: 400, Code: meetingtest.CodeConfLocked, Msg: "CONF_LOCKED"})
		}, meeting.KindMeetingLocked, meetingtest.CodeConfLocked},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, envOpt{sim: tt.opts})
			if _, err := e.client.Roster(ctxT(t), e.facts.ConferenceID); err != nil {
				t.Fatal(err)
			}
			tt.setup(e)
			e.sim.ResetCalls()
			_, err := e.client.Disconnect(ctxT(t), e.facts.ConferenceID, []string{e.others(0)})
			me := asError(t, err)
			if me.Kind != tt.wantKind || me.Code != tt.wantCode {
				t.Fatalf("err = %v, want %v with %s", err, tt.wantKind, tt.wantCode)
			}
			if n := e.sim.CallCount(epHangUp); n != 1 {
				t.Errorf("hang-up calls = %d, want 1 (not retried)", n)
			}
			if tt.wantKind != meeting.KindMeetingEnded {
				return
			}
			// The next call does not reuse the dead token: it asks again
			// and learns from confDetail that the meeting is over.
			e.sim.ResetCalls()
			_, err = e.client.Roster(ctxT(t), e.facts.ConferenceID)
			if meeting.KindOf(err) != meeting.KindMeetingEnded {
				t.Errorf("next Roster: %v, want meeting_ended", err)
			}
			if got := e.counts(); got[epRealTime] != 0 || got[epDetail] != 1 {
				t.Errorf("next Roster calls %v, want confDetail and no realTimeInfo with the old token", got)
			}
		})
	}
}

// TestGatewayThrottlingBacksOff: throttling without Retry-After waits long
// enough for the gateway's one-second window, with jitter, and a bounded
// number of times.
func TestGatewayThrottlingBacksOff(t *testing.T) {
	slow := func(c *meeting.Config) {
		c.RetryBaseDelay, c.RetryMaxDelay, c.MaxRetries = 100*time.Millisecond, 2*time.Second, 3
	}
	t.Run("injected codes", func(t *testing.T) {
		for _, f := range []meetingtest.Fault{
			{Status: 429, Code: meetingtest.CodeGatewayThrottled, Msg: "throttled"},
			{Status: 429, Code: meetingtest.CodeRateLimited},
			{Status: 400, Code: meetingtest.CodeRateLimited},
			{Status: 429},
		} {
			e := newEnv(t, envOpt{cfg: slow})
			e.sim.FailNext(epRealTime, 2, f)
			if _, err := e.client.Roster(ctxT(t), e.facts.ConferenceID); err != nil {
				t.Fatalf("%+v: Roster: %v", f, err)
			}
			w := e.sleeps.get()
			if len(w) != 2 {
				t.Fatalf("%+v: waits %v, want 2", f, w)
			}
			for _, d := range w {
				if d < 500*time.Millisecond || d > 2*time.Second {
					t.Errorf("%+v: wait %v, want 500ms–2s (a quarter of RetryMaxDelay at least, never above it)", f, d)
				}
			}
		}
	})
	t.Run("bounded", func(t *testing.T) {
		e := newEnv(t, envOpt{cfg: slow})
		e.sim.FailNext(epRealTime, 100, meetingtest.Fault{Status: 429, Code: meetingtest.CodeGatewayThrottled})
		_, err := e.client.Roster(ctxT(t), e.facts.ConferenceID)
		if me := asError(t, err); me.Kind != meeting.KindRateLimited || me.RetryAfter != 0 {
			t.Errorf("err = %v, want rate_limited without RetryAfter", err)
		}
		if n := e.sim.CallCount(epRealTime); n != 4 {
			t.Errorf("realTimeInfo calls = %d, want 4 (MaxRetries 3)", n)
		}
	})
	t.Run("simulated gateway window", func(t *testing.T) {
		e := newEnv(t, envOpt{cfg: slow})
		// The client's waits move the simulator's clock, so the gateway's
		// per-second window really reopens.
		var waits []time.Duration
		meeting.SetSleep(e.client, func(ctx context.Context, d time.Duration) error {
			waits = append(waits, d)
			e.clock.Advance(d)
			return ctx.Err()
		})
		if _, err := e.client.Roster(ctxT(t), e.facts.ConferenceID); err != nil {
			t.Fatal(err)
		}
		e.sim.Throttle(epRealTime, 1)
		for i := range 3 {
			if _, err := e.client.Roster(ctxT(t), e.facts.ConferenceID); err != nil {
				t.Fatalf("Roster %d under a 1/s throttle: %v", i+1, err)
			}
		}
		if len(waits) == 0 {
			t.Fatal("no waits: the throttle never bit")
		}
		for _, d := range waits {
			if d < 500*time.Millisecond {
				t.Errorf("wait %v, want at least 500ms", d)
			}
		}
	})
}
