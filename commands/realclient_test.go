package commands_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"go.uber.org/goleak"

	"github.com/kickbot/kickbot/commands"
	"github.com/kickbot/kickbot/meeting"
	"github.com/kickbot/kickbot/meeting/meetingtest"
	"github.com/kickbot/kickbot/secret"
	"github.com/kickbot/kickbot/textui"
)

// realEnv is commands.Service over the real meeting client, talking to the
// simulator over loopback HTTP: what the bot runs, minus Slack.
type realEnv struct {
	sim   *meetingtest.Server
	facts meetingtest.SampleFacts
	svc   *commands.Service
}

func newRealEnv(t *testing.T, opts ...meetingtest.Option) *realEnv {
	t.Helper()
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
	sim := meetingtest.NewServer(opts...)
	t.Cleanup(sim.Close)
	f := sim.Sample()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(tr.CloseIdleConnections)
	mc, err := meeting.New(meeting.Config{BaseURL: sim.URL(), AppID: f.AppID, AppKey: secret.New(f.AppKey),
		UserID: f.UserID, Logger: zerolog.Nop(), HTTPClient: &http.Client{Transport: tr, Timeout: 10 * time.Second},
		RetryBaseDelay: time.Millisecond, RetryMaxDelay: 4 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return &realEnv{sim: sim, facts: f, svc: &commands.Service{Meeting: mc}}
}

func (e *realEnv) kick(targets ...commands.Target) commands.Kick {
	return commands.Kick{Actor: "U1", Channel: "C1", Conference: e.facts.ConferenceID, Targets: targets}
}

func byID(id string) commands.Target { return commands.Target{Kind: commands.TargetID, Value: id} }

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// TestKickSettledByRoster: what the moderator reads when the hang-up's
// answer is ambiguous, against a strict and a lenient meeting service.
func TestKickSettledByRoster(t *testing.T) {
	tests := []struct {
		name       string
		fault      func(e *realEnv)
		wantStatus commands.Status
		wantResult commands.Result
		wantLine   string // in the rendered outcome
		notInLine  string
	}{
		{"applied, reply lost", func(e *realEnv) {
			e.sim.FailNext(meetingtest.EndpointHangUp, 1, meetingtest.Fault{Applied: true, CloseConn: true})
		}, commands.StatusDone, commands.ResultGone, "disconnected", "could not"},
		{"applied, then 5xx", func(e *realEnv) {
			e.sim.FailNext(meetingtest.EndpointHangUp, 1, meetingtest.Fault{Applied: true, Status: 500})
			e.sim.FailNext(meetingtest.EndpointHangUp, 10, meetingtest.Fault{Status: 502})
		}, commands.StatusDone, commands.ResultGone, "disconnected", "internal error"},
		{"applied, reply lost, re-read unreadable", func(e *realEnv) {
			e.sim.FailNext(meetingtest.EndpointHangUp, 1, meetingtest.Fault{Applied: true, CloseConn: true})
			e.sim.FailNext(meetingtest.EndpointHangUp, 10, meetingtest.Fault{CloseConn: true})
			e.sim.FailNext(meetingtest.EndpointRealTimeInfo, 10, meetingtest.Fault{Roster: meetingtest.RosterEntryWithoutPID})
		}, commands.StatusPartial, commands.ResultUnconfirmed, "not confirmed", "— disconnected"},
		{"accepted, re-read without confInfo", func(e *realEnv) {
			e.sim.FailNext(meetingtest.EndpointRealTimeInfo, 10, meetingtest.Fault{Roster: meetingtest.RosterNoConfInfo})
		}, commands.StatusPartial, commands.ResultUnconfirmed, "not confirmed", "— disconnected"},
		{"not applied, 5xx every time", func(e *realEnv) {
			e.sim.FailNext(meetingtest.EndpointHangUp, 10, meetingtest.Fault{Status: 503})
		}, commands.StatusFailed, commands.ResultFailed, "internal error", "— disconnected"},
		{"meeting ended meanwhile", func(e *realEnv) {
			e.sim.End(e.facts.ConferenceID)
		}, commands.StatusFailed, commands.ResultFailed, "has ended", "— disconnected"},
		{"meeting locked", func(e *realEnv) {
			e.sim.FailNext(meetingtest.EndpointHangUp, 1, meetingtest.Fault{Status: 400, Code: meetingtest.CodeConfLocked, Msg: "CONF_LOCKED"})
		}, commands.StatusFailed, commands.ResultFailed, "is locked", "— disconnected"},
	}
	for _, strict := range []bool{false, true} {
		for _, tt := range tests {
			mode := map[bool]string{false: "lenient", true: "strict"}[strict]
			t.Run(mode+"/"+tt.name, func(t *testing.T) {
				e := newRealEnv(t, meetingtest.WithStrictHangUp(strict))
				target := e.facts.Others[0]
				k := e.kick(byID(target.ID))
				roster, res, err := e.svc.Plan(testCtx(t), k)
				if err != nil {
					t.Fatal(err)
				}
				tt.fault(e)
				o := e.svc.Execute(testCtx(t), k, roster, res)
				if o.Status != tt.wantStatus || len(o.Targets) != 1 || o.Targets[0].Result != tt.wantResult {
					t.Fatalf("status %v targets %+v (%s), want %v with %v", o.Status, o.Targets, o.UserMessage, tt.wantStatus, tt.wantResult)
				}
				text := textui.Outcome(o)
				if !strings.Contains(text, tt.wantLine) || strings.Contains(text, tt.notInLine) {
					t.Errorf("outcome reads\n%s\nwant it to say %q and not %q", text, tt.wantLine, tt.notInLine)
				}
				online := false
				for _, p := range e.sim.Online(e.facts.ConferenceID) {
					online = online || p.ID == target.ID
				}
				if online && o.Targets[0].Result == commands.ResultGone {
					t.Error("reported disconnected, but still in the meeting")
				}
			})
		}
	}
}

// TestMalformedRosterDisconnectsNobody: a roster that cannot prove who the
// host is stops the kick before any hang-up, with words that say why.
func TestMalformedRosterDisconnectsNobody(t *testing.T) {
	for _, rf := range []meetingtest.RosterFault{
		meetingtest.RosterNoConfInfo, meetingtest.RosterChairIDNumber, meetingtest.RosterCoHostsString,
		meetingtest.RosterParticipantsObject, meetingtest.RosterEntryNumericPID,
	} {
		e := newRealEnv(t)
		e.sim.FailNext(meetingtest.EndpointRealTimeInfo, 1, meetingtest.Fault{Roster: rf})
		k := e.kick(byID(e.facts.Others[0].ID), byID(e.facts.CoHost.ID))
		_, _, err := e.svc.Plan(testCtx(t), k)
		if err == nil {
			t.Fatalf("roster fault %d: Plan succeeded", rf)
		}
		msg := textui.Failure(k, err)
		if !strings.Contains(msg, "Nothing was done") || !strings.Contains(msg, "could not read safely") {
			t.Errorf("roster fault %d: moderator reads %q", rf, msg)
		}
		if n := e.sim.CallCount(meetingtest.EndpointHangUp); n != 0 {
			t.Errorf("roster fault %d: %d hang-up calls, want 0", rf, n)
		}
	}
}

// TestMaskedPhoneTarget: in a meeting that hides phone numbers, a phone
// target is told so, not "not found"; names and IDs still work.
func TestMaskedPhoneTarget(t *testing.T) {
	for _, masked := range []bool{false, true} {
		e := newRealEnv(t, meetingtest.WithMaskedPhones(masked))
		phone := commands.Target{Kind: commands.TargetPhone, Value: "+8613800000000"} // Wang Wei's
		k := e.kick(phone, byID(e.facts.Others[0].ID))
		roster, res, err := e.svc.Plan(testCtx(t), k)
		if err != nil {
			t.Fatal(err)
		}
		o := e.svc.Execute(testCtx(t), k, roster, res)
		text := textui.Outcome(o)
		if o.Targets[1].Result != commands.ResultGone {
			t.Errorf("masked=%v: the ID target got %v, want gone", masked, o.Targets[1].Result)
		}
		if !masked {
			if o.Targets[0].Result != commands.ResultGone {
				t.Errorf("unmasked: phone target %v, want gone\n%s", o.Targets[0].Result, text)
			}
			continue
		}
		if o.Targets[0].Result != commands.ResultPhoneHidden ||
			!strings.Contains(text, "this meeting hides phone numbers; use the name or the Disconnect button") ||
			strings.Contains(text, "not found") {
			t.Errorf("masked: phone target %v; outcome reads\n%s", o.Targets[0].Result, text)
		}
		if n := len(e.sim.HangUpIDs(e.facts.ConferenceID)); n != 1 {
			t.Errorf("masked: %d pids hung up, want 1 (only the ID target)", n)
		}
	}
}
