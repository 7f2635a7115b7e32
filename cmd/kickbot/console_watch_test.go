package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kickbot/kickbot/internal/testlog"
	"github.com/kickbot/kickbot/meeting/meetingtest"
)

// `watch` in the console prints joins and leaves as they happen: the
// simulator's scripted joiner entering and leaving the sample meeting, and
// a participant this terminal disconnects.
func TestConsoleWatchPrintsJoinsAndLeavesAsTheyHappen(t *testing.T) {
	cleanEnv(t)
	delay := consoleJoinerDelay
	consoleJoinerDelay = 50 * time.Millisecond
	t.Cleanup(func() { consoleJoinerDelay = delay })
	s := startConsole(t)
	conf := meetingtest.SampleConferenceID

	if got := s.send("watch"); !strings.Contains(got, "No meeting yet: run /kick <meeting ID> first, or type /kick <meeting ID> watch. Nothing was done.") {
		t.Errorf("watch before any meeting: got %q", got)
	}
	got := s.send("/kick " + conf + " watch")
	if !strings.Contains(got, "👀 Watching meeting "+conf+" (Weekly all-hands): 10 participants online. Joins and leaves are printed as they happen") ||
		strings.Contains(got, "not available") {
		t.Fatalf("/kick %s watch: got\n%s", conf, got)
	}
	eventually(t, "the scripted joiner's join to be printed", func() bool {
		return strings.Contains(s.out.String(), "joined meeting "+conf+": Late Joiner · +8613900000777")
	})
	eventually(t, "the scripted joiner's leave to be printed", func() bool {
		return strings.Contains(s.out.String(), "left meeting "+conf+": Late Joiner")
	})

	// A kick from this very terminal shows up as a leave too.
	if got := s.send("/kick " + conf + ` "Carlos Mendes"`); !strings.Contains(got, "Disconnected 1 participant") {
		t.Fatalf("kick Carlos: got\n%s", got)
	}
	eventually(t, "Carlos's leave to be printed", func() bool {
		return strings.Contains(s.out.String(), "left meeting "+conf+": Carlos Mendes")
	})

	if got := s.send("watch"); !strings.Contains(got, "Meeting "+conf+" is already watched") {
		t.Errorf("watch again: got %q", got)
	}
	if got := s.send("unwatch"); !strings.Contains(got, "🛑 Stopped watching meeting "+conf+".") {
		t.Errorf("unwatch: got %q", got)
	}
	if got := s.send("unwatch"); !strings.Contains(got, "Meeting "+conf+" is not being watched; nothing was done.") {
		t.Errorf("second unwatch: got %q", got)
	}
	if code := s.quit(); code != exitOK {
		t.Errorf("quit: exit %d, want 0", code)
	}
	if strings.Contains(s.out.String(), "live updates of meeting") {
		t.Errorf("the socket never dropped, yet the console said so:\n%s", s.out.String())
	}
	if n := strings.Count(s.out.String(), "joined meeting"); n != 1 {
		t.Errorf("%d joins printed, want the scripted joiner's only:\n%s", n, s.out.String())
	}
}

// CI pipes the console's stdin: a watch followed by EOF ends the session
// cleanly (goleak, in TestMain, checks the watch's goroutines are gone).
func TestConsoleWatchWithPipedStdin(t *testing.T) {
	cleanEnv(t)
	var out, errOut testlog.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	code := run(ctx, []string{"console"}, strings.NewReader("/kick "+meetingtest.SampleConferenceID+" watch\n"), &out, &errOut)
	if code != exitOK {
		t.Fatalf("exit %d, want 0\nstdout:\n%s\nstderr:\n%s", code, out.String(), errOut.String())
	}
	if !strings.Contains(out.String(), "👀 Watching meeting "+meetingtest.SampleConferenceID) {
		t.Errorf("stdout lacks the watching line:\n%s", out.String())
	}
}
