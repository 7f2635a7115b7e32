package meeting_test

import (
	"testing"

	"github.com/kickbot/kickbot/meeting"
	"github.com/kickbot/kickbot/meeting/meetingtest"
)

// TestMalformedRosterFailsClosed: a roster that cannot prove who the host
// is, or cannot say who is there, is an error — never a list with nobody
// protected or nobody present.
func TestMalformedRosterFailsClosed(t *testing.T) {
	for _, rf := range []meetingtest.RosterFault{
		meetingtest.RosterNoConfInfo, meetingtest.RosterChairIDNumber, meetingtest.RosterChairIDObject,
		meetingtest.RosterCoHostsString, meetingtest.RosterCoHostsNumbers, meetingtest.RosterParticipantsObject,
		meetingtest.RosterParticipantsString, meetingtest.RosterEntryWithoutPID, meetingtest.RosterEntryNumericPID,
	} {
		e := newEnv(t, envOpt{})
		e.sim.FailNext(epRealTime, 1, meetingtest.Fault{Roster: rf})
		r, err := e.client.Roster(ctxT(t), e.facts.ConferenceID)
		if me := asError(t, err); me.Kind != meeting.KindMalformed || me.Op != "realTimeInfo" || me.RequestID == "" {
			t.Errorf("roster fault %d: got %+v, %v; want a malformed realTimeInfo error with its request ID", rf, r, err)
		}
		if n := e.sim.CallCount(epRealTime); n != 1 {
			t.Errorf("roster fault %d: %d realTimeInfo calls, want 1 (a wrong shape is not retried)", rf, n)
		}
	}
}
