package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kickbot/kickbot/bot/slackfake"
	"github.com/kickbot/kickbot/internal/testlog"
	"github.com/kickbot/kickbot/meeting/meetingtest"
)

// These tests run the built binary as a process, to check what only main
// does: signal handling.

var (
	buildOnce sync.Once
	binDir    string // removed by TestMain
	binPath   string
	buildErr  error
)

// buildKickbot builds ./cmd/kickbot once per test run.
func buildKickbot(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary; skipped with -short")
	}
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "kickbot-test-")
		if buildErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "kickbot")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// process is a running kickbot.
type process struct {
	t      *testing.T
	cmd    *exec.Cmd
	stderr *testlog.Buffer
	done   chan struct{}
}

func startProcess(t *testing.T, bin string, env map[string]string, args ...string) *process {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()} // nothing from the developer's environment
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	p := &process{t: t, cmd: cmd, stderr: &testlog.Buffer{}, done: make(chan struct{})}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.done
	})
	return p
}

func (p *process) signal(sig os.Signal) {
	p.t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.t.Fatalf("signal %v: %v", sig, err)
	}
}

// exited waits up to d for the process to end and returns its state.
func (p *process) exited(d time.Duration) *os.ProcessState {
	p.t.Helper()
	select {
	case <-p.done:
		return p.cmd.ProcessState
	case <-time.After(d):
		p.t.Fatalf("kickbot still running %v later\nstderr:\n%s", d, p.stderr.String())
		return nil
	}
}

// SIGTERM while a kick is in flight: the kick finishes, its outcome is
// posted, and the process exits 0.
func TestProcessSIGTERMDrainsInFlightKick(t *testing.T) {
	bin := buildKickbot(t)
	cleanEnv(t)
	f := newFakes(t)
	f.sim.SetLatency(meetingtest.EndpointHangUp, 500*time.Millisecond)
	p := startProcess(t, bin, f.env())

	eventually(t, "a Socket Mode connection", func() bool { return f.slack.NumConnections() > 0 })
	s := &stack{t: t, f: f}
	s.slash(meetingtest.SampleConferenceID + " " + meetingtest.SampleCarlosPID)
	parent := s.waitMessage("the parent message (the kick has started)", func(m slackfake.Message) bool {
		return m.Method == "chat.postMessage" && m.Channel == modChannel && m.ThreadTS == ""
	})
	p.signal(syscall.SIGTERM)

	st := p.exited(15 * time.Second)
	if st.ExitCode() != exitOK {
		t.Errorf("after SIGTERM: exit %v, want 0\nstderr:\n%s", st, p.stderr.String())
	}
	if ids := f.sim.HangUpIDs(meetingtest.SampleConferenceID); !slices.Equal(ids, []string{meetingtest.SampleCarlosPID}) {
		t.Errorf("the meeting received hang-ups %v, want Carlos", ids)
	}
	if len(f.slack.Thread(modChannel, parent.TS)) == 0 {
		t.Errorf("the in-flight kick's outcome was not posted in its thread before exit")
	}
	logs := p.stderr.String()
	if !strings.Contains(logs, "draining accepted work") || !strings.Contains(logs, `"why":"shutdown requested"`) ||
		!strings.Contains(logs, `"message":"stopped"`) {
		t.Errorf("the log does not show the drain:\n%s", logs)
	}
	assertNoSecrets(t, "the log", logs)
}

// A second signal during the drain ends the process at once, as an
// operator pressing Ctrl-C twice expects.
func TestProcessSecondSignalDoesNotWaitForDrain(t *testing.T) {
	bin := buildKickbot(t)
	cleanEnv(t)
	f := newFakes(t)
	f.sim.SetLatency(meetingtest.EndpointHangUp, 20*time.Second)
	env := f.env()
	env["KICK_DRAIN_TIMEOUT"] = "20s"
	p := startProcess(t, bin, env)

	eventually(t, "a Socket Mode connection", func() bool { return f.slack.NumConnections() > 0 })
	s := &stack{t: t, f: f}
	s.slash(meetingtest.SampleConferenceID + " " + meetingtest.SampleCarlosPID)
	s.waitMessage("the parent message (the kick has started)", func(m slackfake.Message) bool {
		return m.Method == "chat.postMessage" && m.Channel == modChannel && m.ThreadTS == ""
	})
	p.signal(os.Interrupt)
	eventually(t, "the drain to start", func() bool { return strings.Contains(p.stderr.String(), "draining accepted work") })
	// Signals again until it dies: the first repeat may race with main
	// restoring the default handling; without it, no number of them kills.
	deadline := time.Now().Add(5 * time.Second)
	for exited := false; !exited && time.Now().Before(deadline); {
		_ = p.cmd.Process.Signal(os.Interrupt)
		select {
		case <-p.done:
			exited = true
		case <-time.After(200 * time.Millisecond):
		}
	}
	st := p.exited(time.Second)
	ws, ok := st.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGINT {
		t.Errorf("after a second Ctrl-C: %v, want killed by SIGINT", st)
	}
}

// Ctrl-C in `kickbot console` at the prompt ends it with exit 0.
func TestProcessConsoleCtrlC(t *testing.T) {
	bin := buildKickbot(t)
	cmd := exec.Command(bin, "console")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	out := &testlog.Buffer{}
	cmd.Stdout = out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	eventually(t, "the prompt", func() bool { return strings.Contains(out.String(), prompt) })
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		var ee *exec.ExitError
		if errors.As(err, &ee) || err != nil {
			t.Errorf("console after Ctrl-C: %v, want exit 0", err)
		}
	case <-time.After(5 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		t.Fatal("console still running 5s after Ctrl-C at the prompt")
	}
}
