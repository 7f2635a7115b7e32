// Package commandstest holds test doubles and fixtures for the core's
// renderers (bot/slackui, textui): a tiny in-memory meeting, a sample
// roster, and names chosen to break a renderer.
package commandstest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/kickbot/kickbot/commands"
	"github.com/kickbot/kickbot/meeting"
)

// Meeting is a tiny in-memory meeting: Disconnect removes the pids it is
// given (except sticky ones) and re-reads the roster, like the real client.
type Meeting struct {
	State         *meeting.Roster
	RosterErr     error
	DisconnectErr error
	Sticky        map[string]bool // pids that ignore the hang-up
}

// Roster implements commands.Meeting.
func (f *Meeting) Roster(_ context.Context, conf string) (*meeting.Roster, error) {
	if f.RosterErr != nil {
		return nil, f.RosterErr
	}
	r := *f.State
	r.ConferenceID = conf
	r.Participants = slices.Clone(f.State.Participants)
	return &r, nil
}

// Disconnect implements commands.Meeting.
func (f *Meeting) Disconnect(_ context.Context, conf string, ids []string) (*meeting.DisconnectResult, error) {
	if f.DisconnectErr != nil {
		return &meeting.DisconnectResult{ConferenceID: conf, Requested: ids}, f.DisconnectErr
	}
	f.State.Participants = slices.DeleteFunc(f.State.Participants, func(p meeting.Participant) bool {
		return slices.Contains(ids, p.ID) && !f.Sticky[p.ID]
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
	return res, nil
}

// Kick runs k through a commands.Service over m (Plan, then Execute) with
// a clock that starts at SampleTime, and fails the test if Plan fails.
func Kick(t testing.TB, m *Meeting, k commands.Kick) commands.Outcome {
	t.Helper()
	now := SampleTime
	svc := &commands.Service{Meeting: m, Now: func() time.Time { now = now.Add(time.Second); return now }}
	roster, res, err := svc.Plan(context.Background(), k)
	if err != nil {
		t.Fatal(err)
	}
	return svc.Execute(context.Background(), k, roster, res)
}

// PlanErr is the error Plan returns when reading the roster fails with err:
// a failure that names its meeting, as the renderers receive it.
func PlanErr(conference string, err error) error {
	svc := &commands.Service{Meeting: &Meeting{RosterErr: err}}
	_, _, perr := svc.Plan(context.Background(), commands.Kick{Conference: conference})
	return perr
}

// ID, Phone and Name are targets.
func ID(v string) commands.Target    { return commands.Target{Kind: commands.TargetID, Value: v} }
func Phone(v string) commands.Target { return commands.Target{Kind: commands.TargetPhone, Value: v} }
func Name(v string) commands.Target  { return commands.Target{Kind: commands.TargetName, Value: v} }

// SampleTime is when the sample roster was read.
var SampleTime = time.Date(2025, 11, 25, 10, 0, 0, 0, time.UTC)

// Participants of a sample meeting shaped like the simulator's.
var (
	Alice = meeting.Participant{ID: "a0000000000000000000000000000001", Name: "Alice Chen", Phone: "+8613800000001", Host: true}
	Bob   = meeting.Participant{ID: "b0000000000000000000000000000002", Name: "Bob Li", Phone: "+8613800000002", CoHost: true}
	Jane1 = meeting.Participant{ID: "c0000000000000000000000000000003", Name: "Jane Doe", Phone: "+8613800000003"}
	Jane2 = meeting.Participant{ID: "d0000000000000000000000000000004", Name: "jane  doe ", Phone: "", Muted: true}
	Evil  = meeting.Participant{ID: "e0000000000000000000000000000005", Name: "<!channel>", Phone: "+86 138-0000-0000"}
	Carl  = meeting.Participant{ID: "f0000000000000000000000000000006", Name: "Carl Berg", Phone: "8613800000006", State: meeting.StateCalling}
	Dup1  = meeting.Participant{ID: "10000000000000000000000000000007", Name: "Dana", Phone: "+8613800000009"}
	Dup2  = meeting.Participant{ID: "20000000000000000000000000000008", Name: "Dana (iPad)", Phone: "+8613800000009"}
	SIP   = meeting.Participant{ID: "30000000000000000000000000000009", Name: "Room 4", Phone: "sip:8613800000010@example.com"}
)

// SampleRoster is a fresh roster of the sample meeting.
func SampleRoster() *meeting.Roster {
	return &meeting.Roster{
		ConferenceID: "914083136",
		Subject:      "Weekly all-hands",
		Participants: []meeting.Participant{Alice, Bob, Jane1, Jane2, Evil, Carl, Dup1, Dup2, SIP},
		ReadAt:       SampleTime,
		RequestID:    "req-roster-1",
	}
}

// BigRoster builds a roster like the simulator's Participants(n): a host, a
// co-host and n generated participants "Participant 0001"….
func BigRoster(n int) *meeting.Roster {
	r := &meeting.Roster{ConferenceID: "914083136", Subject: "Town hall", ReadAt: time.Date(2025, 11, 25, 10, 0, 0, 0, time.UTC)}
	r.Participants = append(r.Participants, Alice, Bob)
	for i := range n {
		r.Participants = append(r.Participants, meeting.Participant{
			ID:    fmt.Sprintf("%032x", 0x1000+i),
			Name:  fmt.Sprintf("Participant %04d", n-i), // reverse order: the list must sort
			Phone: fmt.Sprintf("+86139%08d", i),
			State: meeting.State(i % 3), Muted: i%2 == 0, Video: i%5 == 0, HandRaised: i%7 == 0,
		})
	}
	return r
}

// HostileNames are names a participant could give themselves.
func HostileNames() []string {
	return []string{
		"<!channel>", "<!here>", "<!everyone>", "<@UEVIL1>", "<#CEVIL1>", "<http://evil.example|click here>",
		"*bold*", "_it_", "~s~", "`code`", "> quoted", "&gt; quoted too",
		"x\n✅ Everyone — disconnected", "y\r\n> fake quote", "z\u2028✅ line separator\u2029✅ paragraph",
		"\u202eReversed\u202c", "\u2067isolate\u2069 \u2066LRI\u2069 \u2068FSI", "\u200eLRM\u200fRLM\u061cALM",
		"Jane\u200bDoe", "Jane\u200c\u200dDoe", "\u2060WJ\ufeffBOM\u00adSHY", "\u3164", "\u115f\u1160",
		"Bob* · ID `0123456789abcdef` · *x", "\x1b[2J\x07bell", "bad\xffutf8",
	}
}

// HostileRoster is a meeting of HostileNames (with a hostile phone number
// each, in that order), then a host, under a hostile subject.
func HostileRoster() *meeting.Roster {
	r := &meeting.Roster{ConferenceID: "914083136", Subject: "\u202eweekly\u202c <!channel>\nsecond line"}
	for i, n := range HostileNames() {
		r.Participants = append(r.Participants, meeting.Participant{
			ID: "h" + strings.Repeat("0", 6) + string(rune('a'+i)) + "1", Name: n, Phone: "+86\u200b138\n<!here>",
		})
	}
	r.Participants = append(r.Participants, meeting.Participant{ID: "host00001", Name: "Host\u202e", Host: true})
	return r
}

// HostileKick disconnects everyone in HostileRoster by ID, and names each
// hostile name as a target that matches nobody, under a hostile reason.
func HostileKick(t testing.TB) (commands.Kick, commands.Outcome, []commands.Ambiguity) {
	t.Helper()
	r := HostileRoster()
	var targets []commands.Target
	for _, p := range r.Participants {
		targets = append(targets, ID(p.ID))
	}
	for _, n := range HostileNames() {
		targets = append(targets, Name("not here "+n))
	}
	k := commands.Kick{Actor: "U123", Channel: "C42", Conference: "914083136", Reason: "\u202eno\u202c <!channel> `x`", Targets: targets}
	o := Kick(t, &Meeting{State: HostileRoster()}, k) // the fake removes whom it disconnects
	if len(o.Targets) != len(targets) {
		t.Fatalf("%d outcomes for %d targets", len(o.Targets), len(targets))
	}
	var amb []commands.Ambiguity
	for _, n := range HostileNames() {
		amb = append(amb, commands.Ambiguity{Target: Name(n), Candidates: r.Participants[len(HostileNames())-3:]})
	}
	return k, o, amb
}

// CheckHostileOutput asserts what a reader of any rendered text must never
// see: invisible runes, a forged line, and (for mrkdwn) a raw mention or
// link.
func CheckHostileOutput(t testing.TB, label, got string, mrkdwn bool) {
	t.Helper()
	if r, bad := badRune(got); bad {
		t.Errorf("%s: shows %U:\n%s", label, r, got)
	}
	for _, line := range strings.Split(got, "\n") {
		for _, forged := range []string{"✅ Everyone", "> ", "&gt; ", "✅ line separator", "✅ paragraph", "[2J"} {
			if strings.HasPrefix(line, forged) {
				t.Errorf("%s: a name started a line of its own, %q:\n%s", label, line, got)
			}
		}
	}
	if mrkdwn {
		for _, raw := range []string{"<!channel", "<!here", "<!everyone", "<@UEVIL", "<#CEVIL", "<http://evil"} {
			if strings.Contains(got, raw) {
				t.Errorf("%s: contains raw %q:\n%s", label, raw, got)
			}
		}
	}
}

// badRune reports the first rune of s that must never be shown: an
// invisible/bidi character or a control other than the newlines between
// the renderer's own lines.
func badRune(s string) (rune, bool) {
	for _, r := range s {
		if r == '\n' {
			continue
		}
		if unicode.IsControl(r) || commands.IsInvisible(r) || r == '\u2028' || r == '\u2029' {
			return r, true
		}
	}
	return 0, false
}
