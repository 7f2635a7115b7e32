package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kickbot/kickbot/internal/testlog"
	"github.com/kickbot/kickbot/meeting/meetingtest"
)

const prompt = "kickbot> "

// consoleSession is `kickbot console` typed at interactively: each line is
// sent only after the previous answer was printed, so a test can read the
// list and then act on what it showed, as a person would.
type consoleSession struct {
	t      *testing.T
	in     *io.PipeWriter
	out    *testlog.Buffer
	errOut *testlog.Buffer
	cancel context.CancelFunc
	done   chan int
	code   int
	ended  bool
}

func startConsole(t *testing.T, args ...string) *consoleSession {
	t.Helper()
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	s := &consoleSession{t: t, in: pw, out: &testlog.Buffer{}, errOut: &testlog.Buffer{}, cancel: cancel, done: make(chan int, 1)}
	go func() { s.done <- run(ctx, append([]string{"console"}, args...), pr, s.out, s.errOut) }()
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
	if banner := s.out.String(); !strings.Contains(banner, "Using the embedded meeting simulator: no real meeting is touched") ||
		!strings.Contains(banner, "Sample meeting "+meetingtest.SampleConferenceID+" is running") {
		t.Fatalf("the banner does not say the simulator is used:\n%s", banner)
	}

	if got := s.send("kick 1"); !strings.Contains(got, "No list yet: run /kick <meeting ID> first. Nothing was done.") {
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
		// No host password exists here: the message must not blame one.
		{`/kick 99999999 ` + meetingtest.SampleCarlosPID, "Meeting 99999999 was not found — check the meeting ID."},
		// A list's failure names the meeting as a kick's does (issue 12).
		{`/kick 99999999`, "Nothing was done in meeting 99999999. Meeting 99999999 was not found — check the meeting ID."},
		{`/kick 99999999 uninvited`, "Nothing was done in meeting 99999999. Meeting 99999999 was not found — check the meeting ID."},
		{`/kick 99999999 watch`, "Nothing was done in meeting 99999999. Meeting 99999999 was not found — check the meeting ID."},
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
		if strings.Contains(got, "password") {
			t.Errorf("%.60s: the answer names a host password, which the console never uses:\n%s", tt.line, got)
		}
	}
	// The ambiguous name and the host were refused, nothing else happened:
	// every participant is still listed.
	if list := s.send("/kick " + conf); !strings.Contains(list, ": 10 participants") {
		t.Errorf("bad input changed the meeting:\n%s", list)
	}
	if help := s.send("help"); !strings.Contains(help, "kick <row>") || !strings.Contains(help, "at most 2,000 characters") || strings.Contains(help, "`") {
		t.Errorf("console help must explain kick <row> and the length limit, and show no mrkdwn:\n%s", help)
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

// realMeeting is a meetingtest server standing in for Huawei's meeting API,
// with credentials for it in the environment, as after `set -a; . ./.env`.
func realMeeting(t *testing.T, auth string, more map[string]string) (*meetingtest.Server, meetingtest.SampleFacts) {
	t.Helper()
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
	for k, v := range more {
		env[k] = v
	}
	setenv(t, env)
	return sim, facts
}

// auditLines are the audit events (JSON lines with "event":"audit") in s.
func auditLines(t *testing.T, s string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for line := range strings.SplitSeq(s, "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil && m["event"] == "audit" {
			out = append(out, m)
		}
	}
	return out
}

// Issue 16: credentials in the environment (a sourced .env) must not make
// the console act on real meetings; only --real does.
func TestConsoleIgnoresCredentialsWithoutReal(t *testing.T) {
	sim, _ := realMeeting(t, "app id", nil)
	s := startConsole(t)
	if banner := s.out.String(); !strings.Contains(banner, "Using the embedded meeting simulator") || strings.Contains(banner, sim.URL()) {
		t.Fatalf("without --real the console must say it uses its simulator:\n%s", banner)
	}
	got := s.send("/kick " + meetingtest.SampleConferenceID + " " + meetingtest.SampleCarlosPID)
	if !strings.Contains(got, "Disconnected 1 participant") {
		t.Fatalf("kick in the simulator: %s", got)
	}
	if calls := sim.Calls(); len(calls) != 0 {
		t.Errorf("the configured meeting API received %d calls without --real", len(calls))
	}
	s.quit()
}

// With --real, the console talks to the configured meeting API, says so
// before the first action, and audits every action as console:<user>,
// also into AUDIT_FILE. Both auth methods; no secret is printed.
func TestConsoleRealUsesConfiguredMeetingAPIAndAudits(t *testing.T) {
	for _, auth := range []string{"app id", "account"} {
		t.Run(auth, func(t *testing.T) {
			auditFile := filepath.Join(t.TempDir(), "audit.jsonl")
			sim, facts := realMeeting(t, auth, map[string]string{"AUDIT_FILE": auditFile})
			s := startConsole(t, "--real")
			banner := s.out.String()
			if !strings.Contains(banner, "REAL MEETINGS: acting through the meeting API at "+sim.URL()+".") ||
				!strings.Contains(banner, `audited as user "console:`+localUserName()+`"`) || strings.Contains(banner, "simulator") {
				t.Fatalf("the banner does not name the configured meeting API and the audit user:\n%s", banner)
			}
			if len(sim.Calls()) != 0 {
				t.Errorf("the meeting API was called before the first command")
			}
			got := s.send("/kick " + facts.ConferenceID + " " + meetingtest.SampleCarlosPID + " -- testing the console")
			if !strings.Contains(got, "Disconnected 1 participant") {
				t.Fatalf("kick by ID: got\n%s\nstderr:\n%s", got, s.errOut.String())
			}
			if ids := sim.HangUpIDs(facts.ConferenceID); !slices.Equal(ids, []string{meetingtest.SampleCarlosPID}) {
				t.Errorf("the configured meeting API received hang-ups %v, want only Carlos", ids)
			}
			s.send("/kick " + facts.ConferenceID)
			s.send("/kick " + facts.ConferenceID + ` "unbalanced`)
			if code := s.quit(); code != exitOK {
				t.Errorf("exit %d, want 0", code)
			}
			b, err := os.ReadFile(auditFile)
			if err != nil {
				t.Fatal(err)
			}
			for where, text := range map[string]string{"log": s.errOut.String(), "AUDIT_FILE": string(b)} {
				lines := auditLines(t, text)
				var got []string
				for _, l := range lines {
					if l["user"] != "console:"+localUserName() {
						t.Errorf("%s: audit line with user %v, want console:%s", where, l["user"], localUserName())
					}
					got = append(got, fmt.Sprint(l["action"], "/", l["outcome"]))
				}
				if want := []string{"kick/done", "list/listed", "invalid/invalid_input"}; !slices.Equal(got, want) {
					t.Errorf("%s: audit actions %v, want %v", where, got, want)
				}
				if len(lines) > 0 && (lines[0]["conference"] != facts.ConferenceID || lines[0]["reason"] != "testing the console") {
					t.Errorf("%s: kick audit line %v", where, lines[0])
				}
			}
			assertNoSecrets(t, "console output and logs", s.out.String()+s.errOut.String()+string(b))
		})
	}
}

// --real without credentials refuses to start: it must not fall back to the
// simulator silently, nor to anything else.
func TestConsoleRealNeedsCredentials(t *testing.T) {
	cleanEnv(t)
	r := runKickbot(t, "/kick 914083136\nquit\n", "console", "--real")
	if r.code != exitConfig || !strings.Contains(r.stderr, "no meeting credentials") || strings.Contains(r.stdout, prompt) {
		t.Errorf("console --real with no credentials: want exit 2 and a message, got %s", r)
	}
	r = runKickbot(t, "quit\n", "console", "--rael")
	if r.code != exitConfig || !strings.Contains(r.stderr, `unexpected argument "--rael"`) {
		t.Errorf("console with a typo'd flag: want exit 2, got %s", r)
	}
}

// KICK_CONFERENCES and KICK_MAX_TARGETS apply with --real: a meeting it does
// not list is refused (and audited), and so is one target too many.
func TestConsoleRealAppliesLocalRules(t *testing.T) {
	sim, facts := realMeeting(t, "app id", map[string]string{
		"KICK_CONFERENCES": "C1:" + meetingtest.SampleConferenceID + ";C2:111", "KICK_MAX_TARGETS": "1", "LOG_LEVEL": "info"})
	s := startConsole(t, "--real")
	if got := s.send("/kick 222 " + meetingtest.SampleCarlosPID); !strings.Contains(got, "Meeting 222 is not one KICK_CONFERENCES allows (914083136, 111). Nothing was done.") {
		t.Errorf("an unlisted meeting: got %q", got)
	}
	if got := s.send("/kick " + facts.ConferenceID + " " + meetingtest.SampleCarlosPID + " +8613800000007"); !strings.Contains(got, "at most 1 per command") {
		t.Errorf("two targets with KICK_MAX_TARGETS=1: got %q", got)
	}
	s.quit()
	if n := len(sim.HangUpIDs(facts.ConferenceID)); n != 0 {
		t.Errorf("%d participants were disconnected", n)
	}
	lines := auditLines(t, s.errOut.String())
	if len(lines) != 2 || lines[0]["action"] != "denied" || lines[0]["conference"] != "222" || lines[1]["action"] != "invalid" {
		t.Errorf("audit lines %v, want a denied one for 222, then an invalid one", lines)
	}
}

// Issue 16: only /kick (any case), kick <row>, help and quit run anything;
// a typo gets a hint and the meeting is untouched.
func TestConsoleTyposRunNothing(t *testing.T) {
	cleanEnv(t)
	s := startConsole(t)
	conf := meetingtest.SampleConferenceID
	for _, line := range []string{"kik 3", conf + " +8613800000007", "/kick" + conf, "lsit", "kick"} {
		got := s.send(line)
		if !strings.Contains(got, "Nothing was done.") || strings.Contains(got, "Disconnected") {
			t.Errorf("%q: got %q, want a hint and nothing done", line, got)
		}
	}
	if got := s.send("kik 3"); !strings.Contains(got, `Unknown command "kik": type /kick <meeting ID>`) {
		t.Errorf("kik 3: got %q", got)
	}
	if list := s.send("/KICK\t" + conf); !strings.Contains(list, ": 10 participants") {
		t.Errorf("/KICK is /kick, and the typos must not have changed the meeting:\n%s", list)
	}
	if got := s.send("KICK 8"); !strings.Contains(got, "Priya Patel") || !strings.Contains(got, "Disconnected 1 participant") {
		t.Errorf("KICK 8 (Priya's row): got %q", got)
	}
	s.quit()
}

// Issue 16: no line length ends the console; each gets a clear answer and
// the next line still runs.
func TestConsoleLongLines(t *testing.T) {
	cleanEnv(t)
	s := startConsole(t)
	conf := meetingtest.SampleConferenceID
	huge := "/kick " + conf + " " + strings.Repeat("9", 200<<10)
	if got := s.send(huge); !strings.Contains(got, fmt.Sprintf("That line is %d bytes long; a command is at most 2,000 characters. Nothing was done.", len(huge))) {
		t.Errorf("a 200 KiB line: got %.200q", got)
	}
	if got := s.send("/kick " + conf + " " + strings.Repeat("9", 2500)); !strings.Contains(got, "The command is too long (2510 characters; at most 2000)") {
		t.Errorf("a 2,516-character command: got %.200q", got)
	}
	if list := s.send("/kick " + conf); !strings.Contains(list, ": 10 participants") {
		t.Errorf("the line after the long ones did not run:\n%s", list)
	}
	s.quit()
}

// Issue 16: kick <row> for someone who left since the list names them from
// the list, not by a raw ID.
func TestConsoleRowOfSomeoneWhoLeftIsNamed(t *testing.T) {
	sim, facts := realMeeting(t, "app id", nil)
	s := startConsole(t, "--real")
	carlos := rowOf(t, s.send("/kick "+facts.ConferenceID), "Carlos Mendes")
	sim.Leave(facts.ConferenceID, meetingtest.SampleCarlosPID)
	got := s.send("kick " + carlos)
	if !strings.Contains(got, "Carlos Mendes · +8613800000004 — not found in the meeting") || strings.Contains(got, meetingtest.SampleCarlosPID) {
		t.Errorf("kick %s after Carlos left: got\n%s", carlos, got)
	}
	s.quit()
}
