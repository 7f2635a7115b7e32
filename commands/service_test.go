package commands

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kickbot/kickbot/meeting"
)

// fakeMeeting is a tiny in-memory meeting: Disconnect removes the pids it is
// given (except sticky ones) and re-reads the roster, like the real client.
type fakeMeeting struct {
	roster     *meeting.Roster
	rosterErr  error
	discErr    error
	sticky     map[string]bool // ignore hang-up
	noResult   bool            // Disconnect returns a nil result
	calls      [][]string      // ids of every Disconnect call
	rosterCall int
}

func (f *fakeMeeting) Roster(_ context.Context, conf string) (*meeting.Roster, error) {
	f.rosterCall++
	if f.rosterErr != nil {
		return nil, f.rosterErr
	}
	r := *f.roster
	r.ConferenceID = conf
	r.Participants = slices.Clone(f.roster.Participants)
	return &r, nil
}

func (f *fakeMeeting) Disconnect(_ context.Context, conf string, ids []string) (*meeting.DisconnectResult, error) {
	f.calls = append(f.calls, slices.Clone(ids))
	if f.discErr != nil {
		if f.noResult {
			return nil, f.discErr
		}
		return &meeting.DisconnectResult{ConferenceID: conf, Requested: ids}, f.discErr
	}
	f.roster.Participants = slices.DeleteFunc(f.roster.Participants, func(p meeting.Participant) bool {
		return slices.Contains(ids, p.ID) && !f.sticky[p.ID]
	})
	res := &meeting.DisconnectResult{ConferenceID: conf, Requested: ids, RequestIDs: []string{"req-hangup-1"}}
	after, _ := f.Roster(context.Background(), conf)
	res.After = after
	for _, id := range ids {
		if _, ok := after.ByID(id); ok {
			res.StillPresent = append(res.StillPresent, id)
		} else {
			res.Gone = append(res.Gone, id)
		}
	}
	if f.noResult {
		return nil, nil
	}
	return res, nil
}

var t0 = time.Date(2025, 11, 25, 10, 0, 0, 0, time.UTC)

func newService(f *fakeMeeting) *Service {
	now := t0
	return &Service{Meeting: f, Now: func() time.Time { now = now.Add(time.Second); return now }}
}

func results(o Outcome) []string {
	var out []string
	for _, t := range o.Targets {
		out = append(out, t.Target.String()+"="+t.Result.String())
	}
	return out
}

func TestServiceKick(t *testing.T) {
	tests := []struct {
		name       string
		targets    []Target
		sticky     map[string]bool
		wantCalls  [][]string
		wantStatus Status
		wantRes    []string
	}{
		{"all gone", []Target{id(carl.ID), name("<!channel>")}, nil,
			[][]string{{carl.ID, evil.ID}}, StatusDone,
			[]string{carl.ID + "=gone", `"<!channel>"=gone`}},
		{"partial: not found and protected", []Target{name("Nobody"), id(carl.ID), name("Alice Chen")}, nil,
			[][]string{{carl.ID}}, StatusPartial,
			[]string{`"Nobody"=not_found`, carl.ID + "=gone", `"Alice Chen"=refused`}},
		{"still present", []Target{id(carl.ID), id(evil.ID)}, map[string]bool{evil.ID: true},
			[][]string{{carl.ID, evil.ID}}, StatusPartial,
			[]string{carl.ID + "=gone", evil.ID + "=still_present"}},
		{"nobody left", []Target{id(evil.ID)}, map[string]bool{evil.ID: true},
			[][]string{{evil.ID}}, StatusFailed,
			[]string{evil.ID + "=still_present"}},
		{"nothing kickable makes no call", []Target{name("Jane Doe"), id(alice.ID), phone("+1234567")}, nil,
			nil, StatusNothingToDo,
			[]string{`"Jane Doe"=ambiguous`, alice.ID + "=refused", "+1234567=not_found"}},
		{"duplicates of one participant: one id sent", []Target{id(carl.ID), name("carl berg")}, nil,
			[][]string{{carl.ID}}, StatusDone,
			[]string{carl.ID + "=gone"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeMeeting{roster: sampleRoster(), sticky: tt.sticky}
			svc := newService(f)
			k := Kick{Actor: "U123", Channel: "C1", Conference: "914083136", Reason: "spam", Targets: tt.targets}
			roster, res, err := svc.Plan(context.Background(), k)
			if err != nil {
				t.Fatalf("Plan: %v", err)
			}
			o := svc.Execute(context.Background(), k, roster, res)
			if !reflect.DeepEqual(f.calls, tt.wantCalls) {
				t.Errorf("Disconnect calls = %v, want %v", f.calls, tt.wantCalls)
			}
			if o.Status != tt.wantStatus {
				t.Errorf("Status = %v, want %v", o.Status, tt.wantStatus)
			}
			if got := results(o); !reflect.DeepEqual(got, tt.wantRes) {
				t.Errorf("results\n got  %v\n want %v", got, tt.wantRes)
			}
			if o.Subject != "Weekly all-hands" || !o.Finished.After(o.Started) || o.Kick.Reason != "spam" {
				t.Errorf("outcome metadata: subject %q, started %v, finished %v, kick %+v", o.Subject, o.Started, o.Finished, o.Kick)
			}
			if len(tt.wantCalls) > 0 && !slices.Equal(o.RequestIDs, []string{"req-hangup-1"}) {
				t.Errorf("RequestIDs = %v, want the hang-up's", o.RequestIDs)
			}
			if o.Status == StatusFailed && o.UserMessage == "" {
				t.Errorf("failed outcome without a message for the user")
			}
		})
	}
}

func TestServiceDisconnectFails(t *testing.T) {
	f := &fakeMeeting{roster: sampleRoster(),
		discErr: &meeting.Error{Kind: meeting.KindNotRunning, Op: "hangup", Status: 400, Code: "MMC.111070005", RequestID: "req-failed-9"}}
	svc := newService(f)
	k := Kick{Actor: "U123", Channel: "C1", Conference: "914083136", Targets: []Target{id(carl.ID), id(alice.ID)}}
	roster, res, err := svc.Plan(context.Background(), k)
	if err != nil {
		t.Fatal(err)
	}
	o := svc.Execute(context.Background(), k, roster, res)
	want := "Meeting 914083136 is not running: it has not started yet or has already ended."
	if o.Status != StatusFailed || o.UserMessage != want {
		t.Fatalf("outcome = %v %q, want failed %q", o.Status, o.UserMessage, want)
	}
	if got := results(o); !slices.Equal(got, []string{carl.ID + "=failed", alice.ID + "=refused"}) {
		t.Errorf("results = %v", got)
	}
	if o.Targets[0].Detail != want {
		t.Errorf("failed target detail = %q, want %q", o.Targets[0].Detail, want)
	}
	if meeting.KindOf(o.Err) != meeting.KindNotRunning {
		t.Errorf("Err = %v, want a not_running meeting error", o.Err)
	}
	if !slices.Equal(o.RequestIDs, []string{"req-failed-9"}) {
		t.Errorf("RequestIDs = %v, want the failed call's", o.RequestIDs)
	}
}

func TestServiceUnconfirmed(t *testing.T) {
	f := &fakeMeeting{roster: sampleRoster(), noResult: true}
	svc := newService(f)
	k := Kick{Conference: "914083136", Targets: []Target{id(carl.ID)}}
	roster, res, err := svc.Plan(context.Background(), k)
	if err != nil {
		t.Fatal(err)
	}
	o := svc.Execute(context.Background(), k, roster, res)
	if o.Status != StatusFailed || o.Targets[0].Result != ResultFailed || !strings.Contains(o.Targets[0].Detail, "could not confirm") {
		t.Errorf("nil result without error: %v %+v; want failed, not confirmed", o.Status, o.Targets)
	}
}

func TestServicePlanFails(t *testing.T) {
	f := &fakeMeeting{rosterErr: &meeting.Error{Kind: meeting.KindConferenceNotFound, Op: "control_token"}}
	svc := newService(f)
	k := Kick{Actor: "U1", Conference: "914083136", Targets: []Target{id(carl.ID)}}
	_, _, err := svc.Plan(context.Background(), k)
	if err == nil {
		t.Fatal("Plan succeeded, want the roster error")
	}
	want := "Meeting 914083136 was not found — check the meeting ID."
	if got := UserMessage(err); got != want {
		t.Errorf("UserMessage(Plan error) = %q, want %q", got, want)
	}
	if len(f.calls) != 0 {
		t.Errorf("Disconnect was called %d times after a failed plan", len(f.calls))
	}
}

func TestUserMessage(t *testing.T) {
	conf := func(err error) error { return &conferenceError{conference: "914083136", err: err} }
	kind := func(k meeting.Kind) error { return &meeting.Error{Kind: k, Op: "x"} }
	tests := []struct {
		err  error
		want string
	}{
		{nil, ""},
		// The host password is named only where it is used: the control token.
		{conf(kind(meeting.KindConferenceNotFound)), "Meeting 914083136 was not found — check the meeting ID."},
		{kind(meeting.KindConferenceNotFound), "The meeting was not found — check the meeting ID."},
		{conf(&meeting.Error{Kind: meeting.KindConferenceNotFound, Op: "token"}), "Meeting 914083136 was not found, or the meeting service refused the host password kickbot looked up — check the meeting ID, then ask an admin to check MEETING_USER_ID."},
		{conf(kind(meeting.KindNotRunning)), "Meeting 914083136 is not running: it has not started yet or has already ended."},
		{conf(kind(meeting.KindUnauthorized)), "The meeting service refused kickbot's credentials — ask an admin to check the MEETING_* settings."},
		{conf(kind(meeting.KindForbidden)), "The meeting service does not let kickbot's account control meeting 914083136 — ask an admin to check its permissions."},
		{conf(&meeting.Error{Kind: meeting.KindRateLimited, RetryAfter: 1500 * time.Millisecond}), "The meeting service is rate-limiting kickbot — try again in 2 s."},
		{kind(meeting.KindRateLimited), "The meeting service is rate-limiting kickbot — try again in a minute."},
		{kind(meeting.KindServer), "The meeting service had an internal error — try again in a moment."},
		{kind(meeting.KindNetwork), "kickbot could not reach the meeting service (network error or timeout) — try again in a moment."},
		{kind(meeting.KindBadRequest), "The meeting service rejected the request as invalid — check the meeting ID and participant IDs."},
		{conf(kind(meeting.KindLocked)), "Control of meeting 914083136 is temporarily locked after failed logins — try again in a few minutes."},
		{conf(kind(meeting.KindParticipantNotFound)), "The meeting service did not recognise a participant of meeting 914083136 (they may have just left) — run the command again."},
		{conf(context.Canceled), "The request was cancelled before it finished (kickbot may be restarting) — check meeting 914083136 before trying again."},
		{&meeting.Error{Kind: meeting.KindCanceled, Err: context.DeadlineExceeded}, "The meeting service took too long to answer — check the meeting before trying again."},
		{conf(kind(meeting.KindMeetingEnded)), "Meeting 914083136 is not running: it has ended."},
		{conf(kind(meeting.KindMeetingLocked)), "Meeting 914083136 is locked, and the meeting service refused the change while it is — unlock it in the meeting and try again."},
		{conf(&meeting.Error{Kind: meeting.KindMalformed, Op: "realTimeInfo"}), "The meeting service sent a participant list of meeting 914083136 that kickbot could not read safely (it cannot tell who the host is or who is still there) — check the meeting before trying again."},
		{conf(&meeting.Error{Kind: meeting.KindMalformed, Op: "token"}), "The meeting service sent a reply kickbot could not read — try again in a moment, and ask an admin to check kickbot's log if it keeps happening."},
		{conf(&meeting.Error{Kind: meeting.KindStateUnavailable, Op: "control_token_cache"}), "kickbot's state store is unavailable, so nothing that depends on it was done — try again in a moment, and ask an admin to check Redis (REDIS_URL) if it keeps happening."},
		{errors.New("boom"), "Something went wrong talking to the meeting service — try again, and ask an admin to check kickbot's log if it keeps happening."},
	}
	for _, tt := range tests {
		if got := UserMessage(tt.err); got != tt.want {
			t.Errorf("UserMessage(%v)\n got  %q\n want %q", tt.err, got, tt.want)
		}
	}
}

// TestUserMessageNeverLeaks: whatever the server said or the error wraps,
// the user's sentence is built from the kind alone.
func TestUserMessageNeverLeaks(t *testing.T) {
	secretish := "xoxb-SECRET-TOKEN hostpw=123456 " + strings.Repeat("A", 40)
	for k := meeting.KindUnknown; k <= meeting.KindMalformed; k++ {
		err := &conferenceError{conference: "914083136", err: &meeting.Error{Kind: k, Op: "hangup", Code: secretish,
			Message: secretish, RequestID: secretish, Err: errors.New(secretish)}}
		msg := UserMessage(err)
		if msg == "" || strings.Contains(msg, "SECRET") || strings.Contains(msg, "123456") || strings.Contains(msg, "AAAA") {
			t.Errorf("UserMessage(kind %v) = %q", k, msg)
		}
	}
}

func TestZeroValuesAreNotSuccess(t *testing.T) {
	var o Outcome
	if o.Status == StatusDone || o.Status.String() != "unknown" {
		t.Errorf("zero Status = %v, want unknown", o.Status)
	}
	var to TargetOutcome
	if to.Result == ResultGone || to.Result.String() != "unknown" {
		t.Errorf("zero Result = %v, want unknown", to.Result)
	}
	if got := Summary(o, Plain{}); !strings.HasPrefix(got, "Could not disconnect anyone") {
		t.Errorf("zero outcome reads %q, want a failure", got)
	}
}
