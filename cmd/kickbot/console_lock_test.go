package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
)

// The console locks and unlocks the meeting it acts on, by command and by
// the lock/unlock words, and says at the end which meetings stay locked.
func TestConsoleLockAndUnlock(t *testing.T) {
	sim, facts := realMeeting(t, "app id", nil)
	conf := facts.ConferenceID
	s := startConsole(t, "--real")

	if got := s.send("lock"); !strings.Contains(got, "No meeting yet") || sim.Locked(conf) {
		t.Errorf("lock before any meeting: got %q (locked %v)", got, sim.Locked(conf))
	}
	got := s.send("/kick " + conf + " lock 10m")
	if !strings.Contains(got, "Meeting "+conf+" is locked for 10m, until") ||
		!strings.Contains(got, "People with the host password or the host link can still join.") {
		t.Errorf("/kick %s lock 10m: got\n%s", conf, got)
	}
	if !sim.Locked(conf) {
		t.Fatalf("the meeting is not locked")
	}
	if got := s.send("unlock"); !strings.Contains(got, "Meeting "+conf+" is unlocked") || !strings.Contains(got, "is cancelled") {
		t.Errorf("unlock: got\n%s", got)
	}
	if sim.Locked(conf) {
		t.Fatalf("still locked after unlock")
	}
	if got := s.send("lock 1h"); !strings.Contains(got, "is locked for 1h, until") {
		t.Errorf("lock 1h: got\n%s", got)
	}

	// Leaving with the timer pending: the meeting stays locked, and the
	// session says so.
	before := len(s.out.String())
	if _, err := io.WriteString(s.in, "quit\n"); err != nil {
		t.Fatal(err)
	}
	if code := s.wait(); code != exitOK {
		t.Errorf("exit %d", code)
	}
	if tail := s.out.String()[before:]; !strings.Contains(tail, "These meetings stay locked until someone unlocks them") ||
		!strings.Contains(tail, "meeting "+conf+" — locked by @console:") {
		t.Errorf("no word on the meeting that stays locked:\n%s", tail)
	}
	if !sim.Locked(conf) {
		t.Errorf("quitting unlocked the meeting")
	}
	var actions []string
	for _, l := range auditLines(t, s.errOut.String()) {
		actions = append(actions, fmt.Sprint(l["action"], "/", l["outcome"]))
	}
	if want := []string{"lock/done", "unlock/done", "lock/done"}; !slices.Equal(actions, want) {
		t.Errorf("audit %v, want %v", actions, want)
	}
}
