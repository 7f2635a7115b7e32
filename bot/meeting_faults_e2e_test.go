package bot_test

// Issue 11, points 5, 6, 7 and 10, end to end: the real bot, slack-go's
// Socket Mode client against the strict slackfake, and the real meeting
// client against meetingtest switched to the behaviour under test. Each
// test asserts what the moderator reads (thread reply, parent, private
// answer), what ops and the audit log get, and what the meeting received
// (hang-up calls, their answers and the pids they carried).
//
// Where a fault must hit only the calls after the kick's first roster read,
// the test holds the hang-up at the simulator until the kick is waiting on
// it, sets the fault, and lets it go: synchronised on the kick's progress,
// never on time.

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kickbot/kickbot/bot/slackfake"
	"github.com/kickbot/kickbot/meeting"
	"github.com/kickbot/kickbot/meeting/meetingtest"
)

// heldHangUp holds the meeting's hang-up endpoint and returns a function
// that waits until the kick's hang-up is waiting there (its roster has been
// read and its control token fetched) and another that lets it through.
func heldHangUp(h *harness) (waiting func(), release func()) {
	release = h.sim.Hold(meetingtest.EndpointHangUp)
	h.t.Cleanup(release) // never leave a call held when a test fails early
	waiting = func() {
		h.t.Helper()
		h.eventually("the kick's hang-up waiting at the meeting", func() bool {
			return h.sim.Held(meetingtest.EndpointHangUp) == 1
		})
	}
	return waiting, release
}

// hangUpCalls is every hang-up call the meeting received, in order.
func hangUpCalls(h *harness) []meetingtest.Call {
	var out []meetingtest.Call
	for _, c := range h.sim.Calls() {
		if c.Endpoint == meetingtest.EndpointHangUp {
			out = append(out, c)
		}
	}
	return out
}

// eachHangUpCarries fails unless every hang-up call carried exactly ids.
func eachHangUpCarries(t *testing.T, h *harness, ids ...string) {
	t.Helper()
	for i, c := range hangUpCalls(h) {
		if !slices.Equal(c.HangUpIDs, ids) {
			t.Errorf("hang-up call %d carried %v, want %v", i+1, c.HangUpIDs, ids)
		}
	}
}

// saysCouldNotDisconnect reports the words kickbot uses when a disconnect
// failed, in any capitalisation.
func saysCouldNotDisconnect(m slackfake.Message) bool {
	return strings.Contains(strings.ToLower(allText(m)), "could not disconnect")
}

func strictness(strict bool) string {
	if strict {
		return "strict"
	}
	return "lenient"
}

// ---------------------------------------------------------------------------
// 5. Ambiguous results are settled by the roster.

// TestMeetingAmbiguousHangUpSettledByRoster: the hang-up is applied but its
// answer is lost or is a 5xx. A lenient meeting answers the retry 200; a
// strict one refuses it with MMC.111072008 because the first try already
// removed the participant. Either way the roster shows them gone, so the
// moderator reads "✅ disconnected", never "could not disconnect".
func TestMeetingAmbiguousHangUpSettledByRoster(t *testing.T) {
	t.Parallel()
	const retries = 2
	applied5xx := meetingtest.Fault{Applied: true, Status: http.StatusInternalServerError}
	cases := []struct {
		name   string
		faults func(h *harness)
		// The answer to each hang-up attempt (0: none) on a lenient and on a
		// strict meeting.
		lenient, strict []int
	}{
		{name: "reply lost after applying",
			faults: func(h *harness) {
				h.sim.FailNext(meetingtest.EndpointHangUp, 1, meetingtest.Fault{Applied: true, CloseConn: true})
			},
			lenient: []int{0, http.StatusOK}, strict: []int{0, http.StatusBadRequest}},
		{name: "5xx after applying",
			faults:  func(h *harness) { h.sim.FailNext(meetingtest.EndpointHangUp, 1, applied5xx) },
			lenient: []int{500, http.StatusOK}, strict: []int{500, http.StatusBadRequest}},
		{name: "5xx after applying, every retry 5xx",
			faults: func(h *harness) {
				h.sim.FailNext(meetingtest.EndpointHangUp, 1, applied5xx)
				h.sim.FailNext(meetingtest.EndpointHangUp, retries, meetingtest.Fault{Status: http.StatusBadGateway})
			},
			lenient: []int{500, 502, 502}, strict: []int{500, 502, 502}},
	}
	for _, strict := range []bool{false, true} {
		for _, tc := range cases {
			t.Run(strictness(strict)+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				h := newHarness(t, harnessOpts{
					simOpts:    []meetingtest.Option{meetingtest.WithStrictHangUp(strict)},
					meetingCfg: func(c *meeting.Config) { c.MaxRetries = retries },
				})
				conf := h.facts.ConferenceID
				before := len(h.sim.Online(conf))
				tc.faults(h)

				parent, reply := h.kick(conf + " " + meetingtest.SampleCarlosPID)

				want := tc.lenient
				if strict {
					want = tc.strict
				}
				if got := relHangUpStatuses(h, conf); !slices.Equal(got, want) {
					t.Errorf("hang-up attempts were answered %v, want %v", got, want)
				}
				eachHangUpCarries(t, h, meetingtest.SampleCarlosPID)
				if relOnline(h, conf, meetingtest.SampleCarlosPID) {
					t.Fatalf("Carlos is still in the meeting; the fault was meant to be applied")
				}
				if n := len(h.sim.Online(conf)); n != before-1 {
					t.Errorf("%d participants left, want %d (nobody else touched)", n, before-1)
				}

				t.Logf("moderator saw: parent %q; thread %q", parent.Text, allText(reply))
				if l := lineWith(allText(reply), "Carlos Mendes"); !strings.Contains(l, "✅") || !strings.Contains(l, "— disconnected") {
					t.Errorf("thread reply does not say Carlos was disconnected: %q", l)
				}
				if !strings.Contains(allText(parent), "✅") || !strings.Contains(allText(parent), "disconnected 1 participant") {
					t.Errorf("parent does not show the disconnect as done:\n%s", allText(parent))
				}
				ops := h.opsNotice("<@" + moderator + ">")
				for what, m := range map[string]slackfake.Message{"thread reply": reply, "parent": parent, "ops notice": ops} {
					if s := allText(m); saysCouldNotDisconnect(m) || strings.Contains(s, "not confirmed") ||
						strings.Contains(s, "internal error") || strings.Contains(s, "could not reach") {
						t.Errorf("%s reports a failure or doubt, but the roster shows Carlos gone:\n%s", what, s)
					}
				}
				if a := h.auditLine("kick"); a.Outcome != "done" || a.ErrorKind != "" {
					t.Errorf("audit line = %+v, want done without an error kind", a)
				}
			})
		}
	}
}

// TestMeetingTargetLeavingMeanwhileDoesNotFailTheOthers: one of two
// targets leaves by themselves while the kick waits at the hang-up. A
// strict meeting refuses the whole request with MMC.111072008; kickbot
// reads the roster and hangs up, once, whoever is still there. A lenient
// one ignores the missing pid. Either way both are gone and reported so.
func TestMeetingTargetLeavingMeanwhileDoesNotFailTheOthers(t *testing.T) {
	t.Parallel()
	carlos, priya := meetingtest.SampleCarlosPID, meetingtest.SampleHandPID
	for _, tc := range []struct {
		strict   bool
		statuses []int
		calls    [][]string // the pids of each hang-up call
	}{
		{false, []int{http.StatusOK}, [][]string{{carlos, priya}}},
		{true, []int{http.StatusBadRequest, http.StatusOK}, [][]string{{carlos, priya}, {priya}}},
	} {
		t.Run(strictness(tc.strict), func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, harnessOpts{simOpts: []meetingtest.Option{meetingtest.WithStrictHangUp(tc.strict)}})
			conf := h.facts.ConferenceID
			waiting, release := heldHangUp(h)

			h.slash(moderator, modChannel, conf+" "+carlos+` "Priya Patel"`)
			waiting()
			h.sim.Leave(conf, carlos)
			release()
			parent, reply := h.outcome(modChannel)

			if got := relHangUpStatuses(h, conf); !slices.Equal(got, tc.statuses) {
				t.Errorf("hang-up attempts were answered %v, want %v", got, tc.statuses)
			}
			var got [][]string
			for _, c := range hangUpCalls(h) {
				got = append(got, c.HangUpIDs)
			}
			if !slices.EqualFunc(got, tc.calls, slices.Equal[[]string]) {
				t.Errorf("hang-up calls carried %v, want %v", got, tc.calls)
			}
			if relOnline(h, conf, priya) {
				t.Fatalf("Priya is still in the meeting")
			}

			t.Logf("moderator saw: parent %q; thread %q", parent.Text, allText(reply))
			for _, name := range []string{"Carlos Mendes", "Priya Patel"} {
				if l := lineWith(allText(reply), name); !strings.Contains(l, "✅") || !strings.Contains(l, "— disconnected") {
					t.Errorf("thread reply line for %s = %q, want disconnected", name, l)
				}
			}
			if !strings.Contains(allText(parent), "✅") || !strings.Contains(allText(parent), "disconnected 2 participants") {
				t.Errorf("parent does not show both disconnected:\n%s", allText(parent))
			}
			for what, m := range map[string]slackfake.Message{"thread reply": reply, "parent": parent} {
				if s := allText(m); saysCouldNotDisconnect(m) || strings.Contains(s, "did not recognise") {
					t.Errorf("%s reports a failure, but the roster shows both gone:\n%s", what, s)
				}
			}
			if a := h.auditLine("kick"); a.Outcome != "done" {
				t.Errorf("audit line = %+v, want done", a)
			}
		})
	}
}

// TestMeetingLostHangUpUnreadableRosterIsNotConfirmed: the hang-up is
// applied and its answer lost, and the roster cannot be read again either.
// The participant is in fact gone, so "could not disconnect" would be
// false and "disconnected" unproved: the moderator reads "not confirmed",
// and why. A lenient meeting accepted the retry; a strict one refused it
// with MMC.111072008, so all kickbot knows is that the answer was lost.
func TestMeetingLostHangUpUnreadableRosterIsNotConfirmed(t *testing.T) {
	t.Parallel()
	const retries = 1
	for _, tc := range []struct {
		strict   bool
		statuses []int
		detail   string
	}{
		{false, []int{0, http.StatusOK}, "the meeting accepted the disconnect, but kickbot could not check whether they left; check the meeting before trying again"},
		{true, []int{0, http.StatusBadRequest}, "answer to the disconnect was lost, and kickbot could not check whether they left; check the meeting before trying again"},
	} {
		t.Run(strictness(tc.strict), func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, harnessOpts{
				simOpts:    []meetingtest.Option{meetingtest.WithStrictHangUp(tc.strict)},
				meetingCfg: func(c *meeting.Config) { c.MaxRetries = retries },
			})
			conf := h.facts.ConferenceID
			waiting, release := heldHangUp(h)
			h.sim.FailNext(meetingtest.EndpointHangUp, 1, meetingtest.Fault{Applied: true, CloseConn: true})

			h.slash(moderator, modChannel, conf+" "+meetingtest.SampleCarlosPID)
			waiting() // the roster was read; every later read fails
			h.sim.FailNext(meetingtest.EndpointRealTimeInfo, 10, meetingtest.Fault{Status: http.StatusInternalServerError})
			release()
			parent, reply := h.outcome(modChannel)

			if got := relHangUpStatuses(h, conf); !slices.Equal(got, tc.statuses) {
				t.Errorf("hang-up attempts were answered %v, want %v", got, tc.statuses)
			}
			eachHangUpCarries(t, h, meetingtest.SampleCarlosPID)
			if relOnline(h, conf, meetingtest.SampleCarlosPID) {
				t.Fatalf("Carlos is still in the meeting; the test assumes the first hang-up was applied")
			}

			t.Logf("moderator saw: parent %q; thread %q", parent.Text, allText(reply))
			l := lineWith(allText(reply), "Carlos Mendes")
			if !strings.Contains(l, "— not confirmed") || !strings.Contains(l, tc.detail) {
				t.Errorf("thread reply line for Carlos = %q, want not confirmed: …%s", l, tc.detail)
			}
			if !strings.Contains(allText(parent), "⚠️") {
				t.Errorf("parent does not show a partial result:\n%s", allText(parent))
			}
			ops := h.opsNotice("not confirmed")
			for what, m := range map[string]slackfake.Message{"thread reply": reply, "parent": parent, "ops notice": ops} {
				if saysCouldNotDisconnect(m) || strings.Contains(allText(m), "— disconnected") || strings.Contains(allText(m), "✅") {
					t.Errorf("%s claims a result the roster could not show:\n%s", what, allText(m))
				}
			}
			if a := h.auditLine("kick"); a.Outcome != "partial" {
				t.Errorf("audit line = %+v, want outcome partial", a)
			}
		})
	}
}

// ---------------------------------------------------------------------------
// 6. Malformed meeting replies fail closed.

// TestMeetingMalformedRosterDisconnectsNobody: a roster that cannot prove
// who the host and co-hosts are stops the kick before any hang-up, even of
// an ordinary participant named beside the co-host. The moderator is told
// privately that the list could not be read safely.
func TestMeetingMalformedRosterDisconnectsNobody(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		fault meetingtest.RosterFault
	}{
		{"confInfo missing", meetingtest.RosterNoConfInfo},
		{"chairID a number", meetingtest.RosterChairIDNumber},
		{"chairID an object", meetingtest.RosterChairIDObject},
		{"coHosts a string", meetingtest.RosterCoHostsString},
		{"coHosts numbers", meetingtest.RosterCoHostsNumbers},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, harnessOpts{})
			conf := h.facts.ConferenceID
			before := onlineIDs(h)
			// Every read is malformed: a re-read must not rescue the kick.
			h.sim.FailNext(meetingtest.EndpointRealTimeInfo, 10, meetingtest.Fault{Roster: tc.fault})

			id, ack := h.slash(moderator, modChannel, conf+" "+meetingtest.SampleCarlosPID+" "+meetingtest.SampleCoHostPID)
			if ackText(ack) != "" {
				t.Fatalf("ack = %s, want bare", ackText(ack))
			}
			p := h.private(id)
			t.Logf("moderator saw privately: %q", allText(p))
			for _, s := range []string{"Nothing was done in meeting " + conf, "could not read safely", "cannot tell who the host is"} {
				if !strings.Contains(allText(p), s) {
					t.Errorf("private answer lacks %q:\n%s", s, allText(p))
				}
			}
			h.opsNotice("could not read safely")
			if a := h.auditLine("kick"); a.Outcome != "failed" || a.ErrorKind != "malformed" {
				t.Errorf("audit line = %+v, want failed, malformed", a)
			}
			h.drain()
			if n := h.sim.CallCount(meetingtest.EndpointHangUp); n != 0 {
				t.Errorf("meeting received %d hang-up calls (%v), want none", n, h.hangUps())
			}
			if after := onlineIDs(h); !slices.Equal(after, before) {
				t.Errorf("the meeting changed: %v, was %v", after, before)
			}
			if ms := h.channelMessages(modChannel); len(ms) != 0 {
				t.Errorf("the channel saw messages for a kick that never started:%s", h.dumpMessages())
			}
		})
	}
}

// TestMeetingUnreadableReReadIsNeverDisconnected: the hang-up is accepted,
// but the roster read that should confirm it has participants kickbot
// cannot read. Every target is "not confirmed", never "disconnected".
func TestMeetingUnreadableReReadIsNeverDisconnected(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		fault meetingtest.RosterFault
	}{
		{"participants an object", meetingtest.RosterParticipantsObject},
		{"participants a string", meetingtest.RosterParticipantsString},
		{"an entry without pid", meetingtest.RosterEntryWithoutPID},
		{"an entry with a numeric pid", meetingtest.RosterEntryNumericPID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, harnessOpts{})
			conf := h.facts.ConferenceID
			waiting, release := heldHangUp(h)

			h.slash(moderator, modChannel, conf+" "+meetingtest.SampleCarlosPID+` "Priya Patel"`)
			waiting()
			h.sim.FailNext(meetingtest.EndpointRealTimeInfo, 10, meetingtest.Fault{Roster: tc.fault})
			release()
			parent, reply := h.outcome(modChannel)

			if n := h.sim.CallCount(meetingtest.EndpointHangUp); n != 1 {
				t.Errorf("meeting received %d hang-up calls, want 1", n)
			}
			eachHangUpCarries(t, h, meetingtest.SampleCarlosPID, meetingtest.SampleHandPID)

			t.Logf("moderator saw: parent %q; thread %q", parent.Text, allText(reply))
			for _, name := range []string{"Carlos Mendes", "Priya Patel"} {
				if l := lineWith(allText(reply), name); !strings.Contains(l, "— not confirmed") {
					t.Errorf("thread reply line for %s = %q, want not confirmed", name, l)
				}
			}
			if !strings.Contains(allText(reply), "Disconnected 0 of 2 participants") || !strings.Contains(allText(reply), "2 not confirmed") {
				t.Errorf("thread reply does not sum up 2 not confirmed:\n%s", allText(reply))
			}
			if !strings.Contains(allText(parent), "⚠️") {
				t.Errorf("parent does not show a partial result:\n%s", allText(parent))
			}
			ops := h.opsNotice("not confirmed")
			for what, m := range map[string]slackfake.Message{"thread reply": reply, "parent": parent, "ops notice": ops} {
				if s := allText(m); strings.Contains(s, "— disconnected") || strings.Contains(s, "✅") || saysCouldNotDisconnect(m) {
					t.Errorf("%s claims a result the unreadable roster cannot show:\n%s", what, s)
				}
			}
			if a := h.auditLine("kick"); a.Outcome != "partial" || a.ErrorKind != "malformed" {
				t.Errorf("audit line = %+v, want partial, malformed", a)
			}
		})
	}
}

// ---------------------------------------------------------------------------
// 7. Auth-shaped refusals, ended and locked meetings, gateway throttling.

// TestMeetingAuthShapedRefusalRenewsTheTokenOnce: the control token dies
// while the kick waits at the hang-up, and the meeting refuses it in one of
// the ways Huawei might (docs/meeting-api.md §10, §14e). kickbot fetches one new
// token, the retry with it works, and the moderator sees the success.
func TestMeetingAuthShapedRefusalRenewsTheTokenOnce(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		status       int
		code, msg    string
		rereadDetail bool // password-shaped: the host password is looked up again too
	}{
		{http.StatusForbidden, "", "", false},
		{http.StatusUnauthorized, meetingtest.CodeUserTokenAuthFailed, "USER_TOKEN_AUTH_FAILED", false},
		{http.StatusBadRequest, meetingtest.CodeConfAuthFail, "CONF_AUTH_FAIL", false},
		{http.StatusBadRequest, meetingtest.CodeRequestTokenNull, "REQUEST_TOKEN_IS_NULL", false},
		{http.StatusBadRequest, meetingtest.CodeConfPwdAuthFailed, "CONF_PWD_AUTH_FAILED", true},
	} {
		name := tc.code
		if name == "" {
			name = "no code"
		}
		t.Run(strconv.Itoa(tc.status)+" "+name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, harnessOpts{simOpts: []meetingtest.Option{
				meetingtest.WithControlAuthFailure(tc.status, tc.code, tc.msg)}})
			conf := h.facts.ConferenceID
			waiting, release := heldHangUp(h)

			h.slash(moderator, modChannel, conf+" "+meetingtest.SampleCarlosPID)
			waiting()
			tokens := h.sim.CallCount(meetingtest.EndpointControlToken)
			details := h.sim.CallCount(meetingtest.EndpointConfDetail)
			h.sim.ExpireControlTokens()
			release()
			parent, reply := h.outcome(modChannel)

			if got, want := relHangUpStatuses(h, conf), []int{tc.status, http.StatusOK}; !slices.Equal(got, want) {
				t.Errorf("hang-up attempts were answered %v, want %v (refused, then accepted with a new token)", got, want)
			}
			eachHangUpCarries(t, h, meetingtest.SampleCarlosPID)
			if n := h.sim.CallCount(meetingtest.EndpointControlToken) - tokens; n != 1 {
				t.Errorf("%d control tokens fetched after the refusal, want exactly 1 renewal", n)
			}
			wantDetails := 0
			if tc.rereadDetail {
				wantDetails = 1
			}
			if n := h.sim.CallCount(meetingtest.EndpointConfDetail) - details; n != wantDetails {
				t.Errorf("host password looked up %d more times, want %d", n, wantDetails)
			}
			if relOnline(h, conf, meetingtest.SampleCarlosPID) {
				t.Errorf("Carlos is still in the meeting")
			}

			t.Logf("moderator saw: parent %q; thread %q", parent.Text, allText(reply))
			if l := lineWith(allText(reply), "Carlos Mendes"); !strings.Contains(l, "✅") || !strings.Contains(l, "— disconnected") {
				t.Errorf("thread reply does not say Carlos was disconnected: %q", l)
			}
			if !strings.Contains(allText(parent), "✅") {
				t.Errorf("parent does not show success:\n%s", allText(parent))
			}
			for what, m := range map[string]slackfake.Message{"thread reply": reply, "parent": parent} {
				if s := allText(m); strings.Contains(s, "credentials") || strings.Contains(s, "permissions") {
					t.Errorf("%s speaks of a refusal that a renewal fixed:\n%s", what, s)
				}
			}
			if a := h.auditLine("kick"); a.Outcome != "done" {
				t.Errorf("audit line = %+v, want done", a)
			}
		})
	}
}

// TestMeetingEndedOrLockedHasItsOwnWords: the meeting ends while the kick
// waits at the hang-up (answered with each of Huawei's "ended" codes), or
// refuses because it is locked. The thread says which, in words, and the
// call is neither retried nor renewed.
func TestMeetingEndedOrLockedHasItsOwnWords(t *testing.T) {
	t.Parallel()
	const endedWords = "Meeting " + meetingtest.SampleConferenceID + " is not running: it has ended."
	const lockedWords = "Meeting " + meetingtest.SampleConferenceID + " is locked, and the meeting service refused the change while it is — unlock it in the meeting and try again."
	for _, tc := range []struct {
		name     string
		code     string
		opts     []meetingtest.Option
		locked   bool // otherwise: the meeting ends
		words    string
		wantKind string
	}{
		{name: "ended: CONF_IS_CLOSED", code: meetingtest.CodeConfClosed,
			words: endedWords, wantKind: "meeting_ended"},
		{name: "ended: CONF_CLOSED_RECENTLY", code: meetingtest.CodeConfClosedRecently,
			opts:  []meetingtest.Option{meetingtest.WithEndedFailure(http.StatusBadRequest, meetingtest.CodeConfClosedRecently, "CONF_CLOSED_RECENTLY")},
			words: endedWords, wantKind: "meeting_ended"},
		{name: "ended: CONF_IS_CLOSING", code: meetingtest.CodeConfIsClosing,
			opts:  []meetingtest.Option{meetingtest.WithEndedFailure(http.StatusBadRequest, meetingtest.CodeConfIsClosing, "CONF_IS_CLOSING")},
			words: endedWords, wantKind: "meeting_ended"},
		{name: "locked: CONF_LOCKED", code: meetingtest.CodeConfLocked, locked: true,
			words: lockedWords, wantKind: "meeting_locked"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, harnessOpts{simOpts: tc.opts})
			conf := h.facts.ConferenceID
			waiting, release := heldHangUp(h)

			h.slash(moderator, modChannel, conf+" "+meetingtest.SampleCarlosPID)
			waiting()
			tokens := h.sim.CallCount(meetingtest.EndpointControlToken)
			if tc.locked {
				h.sim.FailNext(meetingtest.EndpointHangUp, 1, meetingtest.Fault{Status: http.StatusBadRequest, Code: tc.code, Msg: "CONF_LOCKED"})
			} else {
				h.sim.End(conf)
			}
			release()
			parent, reply := h.outcome(modChannel)

			if got := relHangUpStatuses(h, conf); !slices.Equal(got, []int{http.StatusBadRequest}) {
				t.Errorf("hang-up attempts were answered %v, want one 400 (%s), not retried", got, tc.code)
			}
			if n := h.sim.CallCount(meetingtest.EndpointControlToken) - tokens; n != 0 {
				t.Errorf("%d control tokens fetched after the refusal, want none (not auth-shaped)", n)
			}
			if tc.locked && !relOnline(h, conf, meetingtest.SampleCarlosPID) {
				t.Errorf("Carlos left a locked meeting that refused the hang-up")
			}

			t.Logf("moderator saw: parent %q; thread %q", parent.Text, allText(reply))
			if l := lineWith(allText(reply), "Carlos Mendes"); !strings.Contains(l, "❌") || !strings.Contains(l, "— failed: "+tc.words) {
				t.Errorf("thread reply line for Carlos = %q, want failed: %s", l, tc.words)
			}
			if !strings.Contains(allText(parent), "❌") || !strings.Contains(allText(parent), tc.words) {
				t.Errorf("parent does not say %q:\n%s", tc.words, allText(parent))
			}
			for what, m := range map[string]slackfake.Message{"thread reply": reply, "parent": parent} {
				if s := allText(m); strings.Contains(s, "— disconnected") || strings.Contains(s, "internal error") ||
					strings.Contains(s, "credentials") || strings.Contains(s, "try again in a moment") {
					t.Errorf("%s reads as another failure:\n%s", what, s)
				}
			}
			h.opsNotice(tc.words)
			if a := h.auditLine("kick"); a.Outcome != "failed" || a.ErrorKind != tc.wantKind {
				t.Errorf("audit line = %+v, want failed, %s", a, tc.wantKind)
			}
		})
	}
}

// TestMeetingGatewayThrottlingBacksOff: the hang-up is throttled with 429
// and no Retry-After, as Huawei's API gateway does (APIG.0308) or its
// server flow control (100000429). kickbot waits at least a quarter of its
// longest retry delay, so the retry leaves the gateway's one-second window
// instead of landing in it, and the moderator sees the success.
func TestMeetingGatewayThrottlingBacksOff(t *testing.T) {
	t.Parallel()
	const maxDelay = 400 * time.Millisecond
	for _, tc := range []struct {
		name      string
		code, msg string
	}{
		{"APIG.0308", meetingtest.CodeGatewayThrottled, "The throttling threshold has been reached: policy user over ratelimit,limit:1,time:1 second"},
		{"100000429", meetingtest.CodeRateLimited, "SERVER_FLOW_CONTROL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, harnessOpts{meetingCfg: func(c *meeting.Config) { c.RetryMaxDelay = maxDelay }})
			conf := h.facts.ConferenceID
			h.sim.FailNext(meetingtest.EndpointHangUp, 1, meetingtest.Fault{Status: http.StatusTooManyRequests, Code: tc.code, Msg: tc.msg})

			parent, reply := h.kick(conf + " " + meetingtest.SampleCarlosPID)

			calls := hangUpCalls(h)
			var statuses []int
			for _, c := range calls {
				statuses = append(statuses, c.Status)
			}
			if !slices.Equal(statuses, []int{http.StatusTooManyRequests, http.StatusOK}) {
				t.Fatalf("hang-up attempts were answered %v, want [429 200]", statuses)
			}
			if gap := calls[1].At.Sub(calls[0].At); gap < maxDelay/4 {
				t.Errorf("retried %v after the throttled call, want at least %v (a quarter of the longest retry delay)", gap, maxDelay/4)
			}
			eachHangUpCarries(t, h, meetingtest.SampleCarlosPID)

			t.Logf("moderator saw: parent %q; thread %q", parent.Text, allText(reply))
			if l := lineWith(allText(reply), "Carlos Mendes"); !strings.Contains(l, "✅") || !strings.Contains(l, "— disconnected") {
				t.Errorf("thread reply does not say Carlos was disconnected: %q", l)
			}
			if !strings.Contains(allText(parent), "✅") || strings.Contains(allText(parent), "rate-limiting") {
				t.Errorf("parent does not show plain success:\n%s", allText(parent))
			}
			if a := h.auditLine("kick"); a.Outcome != "done" {
				t.Errorf("audit line = %+v, want done", a)
			}
		})
	}
}

// ---------------------------------------------------------------------------
// 10. Masked phone numbers.

// TestMeetingMaskedPhoneTarget: in a meeting whose roster masks phone
// numbers ("+86138****000"), a phone target is told to use the name or the
// Disconnect button, and nobody is disconnected; the name still works. The
// same phone in a meeting that shows numbers disconnects Wang Wei, so the
// masking is what makes the difference.
func TestMeetingMaskedPhoneTarget(t *testing.T) {
	t.Parallel()
	const phone = "+8613800000000" // Wang Wei's
	const hidden = "this meeting hides phone numbers; use the name or the Disconnect button"
	for _, tc := range []struct {
		name     string
		masked   bool
		target   string
		wantGone bool
	}{
		{name: "masked, by phone", masked: true, target: phone},
		{name: "masked, by name", masked: true, target: `"Wang Wei"`, wantGone: true},
		{name: "shown, by phone", masked: false, target: phone, wantGone: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, harnessOpts{simOpts: []meetingtest.Option{meetingtest.WithMaskedPhones(tc.masked)}})
			conf := h.facts.ConferenceID
			parent, reply := h.kick(conf + " " + tc.target)
			t.Logf("moderator saw: parent %q; thread %q", parent.Text, allText(reply))
			h.opsNotice("<@" + moderator + ">")
			h.drain()

			if !tc.wantGone {
				if l := lineWith(allText(reply), phone); !strings.Contains(l, hidden) || strings.Contains(l, "not found") {
					t.Errorf("thread reply line for %s = %q, want %q and not \"not found\"", phone, l, hidden)
				}
				if !strings.Contains(allText(parent), "none could be") {
					t.Errorf("parent does not say nobody could be disconnected:\n%s", allText(parent))
				}
				if n := h.sim.CallCount(meetingtest.EndpointHangUp); n != 0 {
					t.Errorf("meeting received %d hang-up calls (%v), want none", n, h.hangUps())
				}
				if !relOnline(h, conf, meetingtest.SamplePhonePID) {
					t.Errorf("Wang Wei left the meeting")
				}
				if a := h.auditLine("kick"); a.Outcome != "nothing_to_do" {
					t.Errorf("audit line = %+v, want nothing_to_do", a)
				}
				return
			}
			if got := h.hangUps(); !slices.Equal(got, []string{meetingtest.SamplePhonePID}) {
				t.Errorf("meeting was asked to hang up %v, want only Wang Wei", got)
			}
			if l := lineWith(allText(reply), "Wang Wei"); !strings.Contains(l, "— disconnected") {
				t.Errorf("thread reply does not say Wang Wei was disconnected: %q", l)
			}
			if strings.Contains(allText(reply), hidden) {
				t.Errorf("thread reply speaks of hidden numbers:\n%s", allText(reply))
			}
			if a := h.auditLine("kick"); a.Outcome != "done" {
				t.Errorf("audit line = %+v, want done", a)
			}
		})
	}
}
