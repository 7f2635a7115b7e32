package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/kickbot/kickbot/internal/redistest"
	"github.com/kickbot/kickbot/meeting/meetingtest"
)

// TestMain lets the test binary play the floor: kickload starts the floor by
// re-executing itself (os.Executable) with the argument "floor".
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "floor" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := runFloor(ctx, os.Stderr)
		stop()
		os.Exit(code)
	}
	os.Exit(m.Run())
}

func TestPercentileIsNearestRank(t *testing.T) {
	ds := make([]time.Duration, 100)
	for i := range ds {
		ds[i] = time.Duration(100-i) * time.Millisecond // unsorted on purpose
	}
	for _, tc := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 50 * time.Millisecond}, {0.99, 99 * time.Millisecond}, {1, 100 * time.Millisecond}, {0.001, time.Millisecond}} {
		if got := percentile(ds, tc.q); got != tc.want {
			t.Errorf("percentile(1..100 ms, %v) = %v, want %v", tc.q, got, tc.want)
		}
	}
	if got := percentile(nil, 0.5); got != 0 {
		t.Errorf("percentile(nil) = %v, want 0", got)
	}
	if ds[0] != 100*time.Millisecond {
		t.Errorf("percentile sorted its input in place")
	}
}

func TestCommandsNameEachTargetOnceAndRespectThePerUserLimit(t *testing.T) {
	sc := allScenarios[1]
	srv := meetingtest.NewServer()
	defer srv.Close()
	srv.AddConference(sc.conf).Host(meetingtest.P{Name: "Host"}).Participants(45)
	ps := srv.Online(sc.conf)[1:]
	cmds, users := makeCommands(sc, ps, 45, 20)
	if len(cmds) != 45 || len(users) != 3 {
		t.Fatalf("got %d commands by %d users, want 45 by 3", len(cmds), len(users))
	}
	seen := map[string]bool{}
	perUser := map[string]int{}
	for i, c := range cmds {
		if seen[c.pid] {
			t.Errorf("participant %s is targeted twice", c.pid)
		}
		seen[c.pid] = true
		perUser[c.user]++
		if !strings.HasPrefix(c.text, sc.conf+" ") || !strings.HasSuffix(c.text, " -- load test "+c.tag) {
			t.Errorf("command %d: %q", i, c.text)
		}
		if tagPattern.FindString(c.text) != c.tag {
			t.Errorf("command %d: tag %q not found by the pattern", i, c.tag)
		}
	}
	for u, n := range perUser {
		if n > 20 {
			t.Errorf("user %s sends %d commands, more than 20", u, n)
		}
	}
	// ID, name and phone in turn.
	if !strings.Contains(cmds[0].text, ps[0].ID) || !strings.Contains(cmds[1].text, `"`+ps[1].Name+`"`) || !strings.Contains(cmds[2].text, ps[2].Phone) {
		t.Errorf("targets are not named by ID, name and phone in turn: %q, %q, %q", cmds[0].text, cmds[1].text, cmds[2].text)
	}
}

// kickbotBinary builds kickbot for a smoke test. It runs before the test's
// own deadline starts: a cold build takes minutes on a busy 2-core machine,
// and that must not eat the time the load itself is given.
func kickbotBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "kickbot")
	if err := buildKickbot(t.Context(), bin); err != nil {
		t.Fatal(err)
	}
	return bin
}

// TestLoadSmoke runs the whole tool on a small load: the real kickbot binary,
// the floor, every scenario. It checks that every
// promise was kept, which the tool decides from counts (acks, outcomes,
// hang-up IDs), not from timing beyond Slack's 3 s ack deadline.
func TestLoadSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs kickbot")
	}
	defer goleak.VerifyNone(t)
	bin := kickbotBinary(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var out, errOut bytes.Buffer
	code := run(ctx, []string{"-bin", bin, "-n", "30", "-rate", "100", "-timeout", "60s"}, &out, &errOut)
	if code != 0 {
		t.Fatalf("kickload exited %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errOut.String())
	}
	for _, want := range []string{
		"RESULT: every promise kept",
		"RESULT (raid): every promise kept",
		"calls during a running Retry-After 0",
		"lost 0   doubled 0",
		"acked / accepted / refused",
		"30 / 30 / 0",
		"issue 7 targets:",
		"kickbot  start→connected",
		"exit 0 on SIGTERM",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

// TestLoadSmokeCountsRefusals makes kickbot refuse commands: 4 moderators
// send 10 each at once with a limit of 5 a minute, and the queue holds 5.
// Refused commands are acked with an answer and must never reach the
// meeting; the tool must count them apart and still find every promise kept.
func TestLoadSmokeCountsRefusals(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs kickbot")
	}
	defer goleak.VerifyNone(t)
	bin := kickbotBinary(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var out, errOut bytes.Buffer
	code := run(ctx, []string{"-bin", bin, "-n", "40", "-per-user", "10", "-mode", "burst", "-floor=false", "-timeout", "60s",
		"-env", "KICK_QUEUE_SIZE=5", "-env", "KICK_USER_RATE=5"}, &out, &errOut)
	if code != 0 {
		t.Fatalf("kickload exited %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errOut.String())
	}
	text := out.String()
	// The rate limit is checked before the queue, so exactly 5 of each
	// moderator's 10 are refused for it; the queue may refuse more.
	for _, want := range []string{"RESULT: every promise kept", "20 refused in the ack: You are sending commands too fast"} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
}

// The report's header describes the scenarios that ran, and only those
// (issue 16: -mode small printed the other scenarios' rate and meeting size).
func TestHeaderDescribesOnlyTheScenariosRun(t *testing.T) {
	l := &load{opt: options{n: 20, rate: 200, participants: 120, perUser: 20}}
	small := l.describe([]*result{{proc: "floor", scenario: "small"}, {proc: "kickbot", scenario: "small"}})
	if small != "small: one at a time, a 10-person meeting that each target joins just before its command" {
		t.Errorf("-mode small: %q", small)
	}
	all := l.describe([]*result{{scenario: "sequential"}, {scenario: "burst"}, {scenario: "steady"}})
	for _, want := range []string{"sequential: one at a time, a 122-person meeting", "burst: all at once, a 122-person meeting", "steady: 200/s, a 122-person meeting"} {
		if !strings.Contains(all, want) {
			t.Errorf("header %q lacks %q", all, want)
		}
	}
}

// TestLoadSmokeTwoReplicas runs the burst against one kickbot and against
// two sharing Redis (-replicas 2): kickload starts redis-server itself when
// it is on PATH; otherwise the test gives it REDIS_URL from redistest,
// which skips without a Redis, or fails under CI.
func TestLoadSmokeTwoReplicas(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs kickbot")
	}
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Setenv("REDIS_URL", redistest.URL(t))
	} else {
		t.Setenv("REDIS_URL", "") // kickload's own redis-server
		os.Unsetenv("REDIS_URL")
	}
	defer goleak.VerifyNone(t)
	bin := kickbotBinary(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var out, errOut bytes.Buffer
	code := run(ctx, []string{"-bin", bin, "-n", "30", "-mode", "burst", "-replicas", "2", "-floor=false", "-timeout", "60s"}, &out, &errOut)
	if code != 0 {
		t.Fatalf("kickload exited %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errOut.String())
	}
	text := out.String()
	for _, want := range []string{"RESULT: every promise kept", "kickbot×2 (Redis)", "30 / 30 / 0",
		"kickbot×2 A  start→connected", "kickbot×2 B  start→connected"} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	if strings.Count(text, "exit 0 on SIGTERM") < 3 {
		t.Errorf("not every kickbot exited 0 on SIGTERM:\n%s", text)
	}
	// Both replicas took part of the burst.
	var a, b int
	if i := strings.Index(text, "the burst's commands went "); i < 0 {
		t.Errorf("no split of the burst over the replicas:\n%s", text)
	} else if _, err := fmt.Sscanf(text[i:], "the burst's commands went %d to A and %d to B", &a, &b); err != nil || a == 0 || b == 0 || a+b != 30 {
		t.Errorf("the burst went %d to A and %d to B (%v), want both a share of 30", a, b, err)
	}
}

func TestReplicasFlagNeedsTheBurst(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run(t.Context(), []string{"-mode", "sequential", "-replicas", "2"}, &out, &errOut); code != 2 ||
		!strings.Contains(errOut.String(), "-replicas 2 runs the burst scenario") {
		t.Errorf("-mode sequential -replicas 2: exit %d, stderr %q; want 2 and a reason", code, errOut.String())
	}
	errOut.Reset()
	if code := run(t.Context(), []string{"-replicas", "3"}, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "-replicas must be 1 or 2") {
		t.Errorf("-replicas 3: exit %d, stderr %q; want 2 and a reason", code, errOut.String())
	}
}
