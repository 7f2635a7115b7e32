package main

import (
	"context"
	"io"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kickbot/kickbot/meeting/meetingtest"
)

const prompt = "kickbot> "

// consoleSession is `kickbot console` typed at interactively: each line is
// sent only after the previous answer was printed, so a test can read the
// list and then act on what it showed, as a person would.
type consoleSession struct {
	t      *testing.T
	in     *io.PipeWriter
	out    *syncBuffer
	errOut *syncBuffer
	cancel context.CancelFunc
	done   chan int
	code   int
	ended  bool
}

func startConsole(t *testing.T) *consoleSession {
	t.Helper()
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	s := &consoleSession{t: t, in: pw, out: &syncBuffer{}, errOut: &syncBuffer{}, cancel: cancel, done: make(chan int, 1)}
	go func() { s.done <- run(ctx, []string{"console"}, pr, s.out, s.errOut) }()
	t.Cleanup(func() {
		pw.Close() // EOF: ends the console if the test did not, and its reader
		cancel()
		s.wait()
	})
	eventually(t, "the first prompt", func() bool { return strings.Contains(s.out.String(), prompt) })
	return s
}

// send types one line and returns what the console printed in answer, up
// to its next prompt.
func (s *consoleSession) send(line string) string {
	s.t.Helper()
	before := s.out.String()
	n := strings.Count(before, prompt)
	if _, err := io.WriteString(s.in, line+"\n"); err != nil {
		s.t.Fatalf("typing %q: %v", line, err)
	}
	eventually(s.t, "the answer to "+line, func() bool { return strings.Count(s.out.String(), prompt) > n })
	answer := s.out.String()[len(before):]
	return strings.TrimSuffix(answer, prompt)
}

// quit types quit and returns the exit code; nothing more is printed.
func (s *consoleSession) quit() int {
	s.t.Helper()
	before := s.out.String()
	if _, err := io.WriteString(s.in, "quit\n"); err != nil {
		s.t.Fatalf("typing quit: %v", err)
	}
	code := s.wait()
	if after := s.out.String(); after != before {
		s.t.Errorf("quit printed %q", after[len(before):])
	}
	return code
}

// wait returns the console's exit code once run has returned.
func (s *consoleSession) wait() int {
	s.t.Helper()
	if s.ended {
		return s.code
	}
	select {
	case s.code = <-s.done:
		s.ended = true
	case <-time.After(10 * time.Second):
		s.t.Fatalf("the console did not return within 10s\nstdout:\n%s", s.out.String())
	}
	return s.code
}

// rowOf finds name's row number in a numbered list.
func rowOf(t *testing.T, list, name string) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^(\d+)\. ` + regexp.QuoteMeta(name) + ` ·`).FindStringSubmatch(list)
	if m == nil {
		t.Fatalf("%s is not in the list:\n%s", name, list)
	}
	return m[1]
}

func TestConsoleUsesSimulatorAndKicksByRowNumber(t *testing.T) {
	cleanEnv(t) // no MEETING_*: the embedded simulator
	s := startConsole(t)
	if banner := s.out.String(); !strings.Contains(banner, "No MEETING_* credentials set: using the embedded meeting simulator") ||
		!strings.Contains(banner, "Sample meeting "+meetingtest.SampleConferenceID+" is running") {
		t.Fatalf("the banner does not say the simulator is used:\n%s", banner)
	}

	if got := s.send("kick 1"); !strings.Contains(got, "No list yet: run /kick <conference> first.") {
		t.Errorf("kick <n> before any list: got %q", got)
	}

	list := s.send("/kick " + meetingtest.SampleConferenceID)
	if !strings.Contains(list, "Meeting 914083136 (Weekly all-hands): 10 participants") {
		t.Fatalf("list header missing:\n%s", list)
	}
	carlos := rowOf(t, list, "Carlos Mendes")

	for _, bad := range []string{"kick 99", "kick 0", "kick abc"} {
		if got := s.send(bad); !strings.Contains(got, "is not a row number of the last list (1–10). Nothing was done.") {
			t.Errorf("%s: got %q, want a clear refusal", bad, got)
		}
	}

	got := s.send("kick " + carlos)
	if !strings.Contains(got, "Disconnected 1 participant from meeting 914083136") ||
		!regexp.MustCompile(`Carlos Mendes .*— disconnected`).MatchString(got) {
		t.Fatalf("kick %s (Carlos): got\n%s", carlos, got)
	}

	// What the person at the terminal notices: Carlos is gone from a fresh
	// list, and nobody else is.
	again := s.send("/kick " + meetingtest.SampleConferenceID)
	if strings.Contains(again, "Carlos Mendes") || !strings.Contains(again, ": 9 participants") {
		t.Errorf("after the kick, the list should have 9 participants and no Carlos:\n%s", again)
	}

	if code := s.quit(); code != exitOK {
		t.Errorf("quit: exit %d, want 0", code)
	}
}

func TestConsoleBadInputGetsClearMessages(t *testing.T) {
	cleanEnv(t)
	s := startConsole(t)
	conf := meetingtest.SampleConferenceID
	tests := []struct {
		line string
		want string
	}{
		{`/kick ` + conf + ` "unbalanced`, `Unbalanced quote: the name starting "unbalanced" has no closing quote`},
		{`/kick ` + conf + ` "Jane Doe"`, `"Jane Doe" matches 2 participants`},
		{`/kick ` + conf + ` "Nobody Here"`, `"Nobody Here" — not found in the meeting`},
		{`/kick ` + conf + ` ` + meetingtest.SampleHostPID, "Alice Chen · +8613800000001 — refused: the host is never disconnected"},
		{`/kick 99999999 ` + meetingtest.SampleCarlosPID, "Meeting 99999999 was not found"},
		{`/kick ` + strings.Repeat("9", 5000), "⚠️"},
		{`/kick ` + conf + ` -- just a reason`, `⚠️ Name at least one participant before "--"`},
	}
	for _, tt := range tests {
		got := s.send(tt.line)
		if !strings.Contains(got, tt.want) {
			t.Errorf("%.60s: got %q, want it to contain %q", tt.line, got, tt.want)
		}
		if strings.Contains(got, "Disconnected") {
			t.Errorf("%.60s: something was disconnected:\n%s", tt.line, got)
		}
	}
	// The ambiguous name and the host were refused, nothing else happened:
	// every participant is still listed.
	if list := s.send("/kick " + conf); !strings.Contains(list, ": 10 participants") {
		t.Errorf("bad input changed the meeting:\n%s", list)
	}
	if help := s.send("help"); !strings.Contains(help, "kick N") || strings.Contains(help, "`") {
		t.Errorf("console help must explain kick N and show no mrkdwn:\n%s", help)
	}
	s.in.Close() // Ctrl-D
	if code := s.wait(); code != exitOK {
		t.Errorf("EOF: exit %d, want 0", code)
	}
}

// Ctrl-C (SIGINT cancels run's context) at the prompt ends the session at
// once, without waiting for another line.
func TestConsoleCtrlCAtPromptExits(t *testing.T) {
	cleanEnv(t)
	s := startConsole(t)
	s.cancel()
	if code := s.wait(); code != exitOK {
		t.Errorf("Ctrl-C: exit %d, want 0", code)
	}
}

// With MEETING_* set, the console talks to that meeting API instead of its
// simulator: here, a meetingtest server standing in for Huawei, which
// records what it was asked. Both auth methods; no secret is printed.
func TestConsoleUsesConfiguredMeetingAPI(t *testing.T) {
	for _, auth := range []string{"app id", "account"} {
		t.Run(auth, func(t *testing.T) {
			cleanEnv(t)
			sim := meetingtest.NewServer()
			t.Cleanup(sim.Close)
			facts := sim.Sample()
			env := map[string]string{"MEETING_API_URL": sim.URL() + "/", "LOG_LEVEL": "debug"}
			if auth == "app id" {
				sim.AddApp("cmd-app", testAppKey, facts.UserID)
				env["MEETING_APP_ID"], env["MEETING_APP_KEY"], env["MEETING_USER_ID"] = "cmd-app", testAppKey, facts.UserID
			} else {
				sim.AddAccount("cmd@example.com", testPassword, facts.UserID)
				env["MEETING_ACCOUNT"], env["MEETING_PASSWORD"] = "cmd@example.com", testPassword
			}
			setenv(t, env)

			s := startConsole(t)
			if banner := s.out.String(); !strings.Contains(banner, "Using the meeting API at "+sim.URL()+".") || strings.Contains(banner, "simulator") {
				t.Fatalf("the banner does not name the configured meeting API:\n%s", banner)
			}
			got := s.send("/kick " + facts.ConferenceID + " " + meetingtest.SampleCarlosPID + " -- testing the console")
			if !strings.Contains(got, "Disconnected 1 participant") {
				t.Fatalf("kick by ID: got\n%s\nstderr:\n%s", got, s.errOut.String())
			}
			if ids := sim.HangUpIDs(facts.ConferenceID); !slices.Equal(ids, []string{meetingtest.SampleCarlosPID}) {
				t.Errorf("the configured meeting API received hang-ups %v, want only Carlos", ids)
			}
			if code := s.quit(); code != exitOK {
				t.Errorf("exit %d, want 0", code)
			}
			assertNoSecrets(t, "console output and logs", s.out.String()+s.errOut.String())
		})
	}
}
