package main

import (
	"strings"
	"testing"

	"github.com/kickbot/kickbot/meeting/meetingtest"
)

// TestConsoleHoldAdmitAndUninvited: hold moves to the simulator's waiting
// room, admit <row> lets the person back in, and uninvited answers.
func TestConsoleHoldAdmitAndUninvited(t *testing.T) {
	cleanEnv(t) // the embedded simulator
	s := startConsole(t)
	out := s.send("/kick " + meetingtest.SampleConferenceID + " hold " + meetingtest.SampleCarlosPID + " " + meetingtest.SampleHostPID)
	for _, want := range []string{"Carlos Mendes · +8613800000004 — moved to the waiting room", "refused", "never moved to the waiting room", "admit 1"} {
		if !strings.Contains(out, want) {
			t.Errorf("hold output lacks %q:\n%s", want, out)
		}
	}
	if out := s.send("admit 1"); !strings.Contains(out, "let Carlos Mendes back in from the waiting room") {
		t.Errorf("admit output:\n%s", out)
	}
	if out := s.send("admit 2"); !strings.Contains(out, "not a row of the last hold") {
		t.Errorf("admit of a row that is not there:\n%s", out)
	}
	if out := s.send("sweep"); !strings.Contains(out, "No uninvited list yet") || !strings.Contains(out, "Nothing was done") {
		t.Errorf("sweep before any uninvited list:\n%s", out)
	}
	if out := s.send("/kick " + meetingtest.SampleConferenceID + " uninvited"); !strings.Contains(out, "online but not on the invite list") {
		t.Errorf("uninvited output:\n%s", out)
	}
	// The sample meeting has nobody uninvited: there is nothing to sweep.
	if out := s.send("sweep"); !strings.Contains(out, "Nothing was done") {
		t.Errorf("sweep of an empty uninvited list:\n%s", out)
	}
	if code := s.quit(); code != 0 {
		t.Errorf("exit code %d", code)
	}
}
