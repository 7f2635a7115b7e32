package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/kickbot/kickbot/bot/slackfake"
	"github.com/kickbot/kickbot/config"
	"github.com/kickbot/kickbot/meeting/meetingtest"
)

// Tests in this package change the process environment (run reads it), so
// none of them runs in parallel.

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.Cleanup(func(code int) {
		if binDir != "" {
			_ = os.RemoveAll(binDir) // the binary process_test.go built
		}
		os.Exit(code) // a Cleanup replaces goleak's own exit
	}))
}

// Secret-looking values used by these tests. None may ever appear in
// anything kickbot prints or logs.
const (
	testAppToken = "xapp-1-A0CMD-0001-cmdappsecret7f3a"
	testBotToken = "xoxb-0001-0002-cmdbotsecret9c1e"
	testAppKey   = "cmd-appkey-secret-4b8d0e2f6a1c"
	testPassword = "Cmd-Passw0rd-secret-77"
)

var testSecrets = []string{testAppToken, testBotToken, testAppKey, testPassword,
	"cmdappsecret", "cmdbotsecret", "appkey-secret", "Passw0rd-secret"}

func assertNoSecrets(t *testing.T, what, s string) {
	t.Helper()
	for _, v := range testSecrets {
		if strings.Contains(strings.ToLower(s), strings.ToLower(v)) { // config lower-cases some values it quotes
			t.Errorf("%s contains the secret %q:\n%s", what, v, s)
		}
	}
}

// cleanEnv unsets every variable kickbot reads (taken from config.Config's
// envconfig tags, plus the NAME_FILE forms), so neither the developer's shell
// nor CI can change a test's outcome. t.Setenv restores them afterwards.
func cleanEnv(t *testing.T) {
	t.Helper()
	ct := reflect.TypeFor[config.Config]()
	for i := range ct.NumField() {
		name := ct.Field(i).Tag.Get("envconfig")
		if name == "" {
			continue
		}
		unsetenv(t, name)
		unsetenv(t, name+"_FILE")
	}
}

func unsetenv(t *testing.T, k string) {
	t.Helper()
	t.Setenv(k, "") // registers the restore of the original value
	if err := os.Unsetenv(k); err != nil {
		t.Fatal(err)
	}
}

func setenv(t *testing.T, kv map[string]string) {
	t.Helper()
	for k, v := range kv {
		t.Setenv(k, v)
	}
}

// result is what one `kickbot …` invocation left behind.
type result struct {
	code           int
	stdout, stderr string
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\n--- stdout:\n%s\n--- stderr:\n%s", r.code, r.stdout, r.stderr)
}

// runKickbot is `kickbot args…` with stdin, bounded so a test that starts
// something by mistake fails instead of hanging.
func runKickbot(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var out, errOut bytes.Buffer
	code := run(ctx, args, strings.NewReader(stdin), &out, &errOut)
	if ctx.Err() != nil {
		t.Fatalf("kickbot %v ran until the test's deadline; it should have returned at once", args)
	}
	return result{code, out.String(), errOut.String()}
}

func TestVersion(t *testing.T) {
	cleanEnv(t)
	for _, args := range [][]string{{"version"}, {"--version"}} {
		r := runKickbot(t, "", args...)
		if r.code != exitOK || r.stdout != "kickbot "+version+"\n" || r.stderr != "" {
			t.Errorf("kickbot %v: want exit 0 and %q on stdout only, got %s", args, "kickbot "+version, r)
		}
	}
}

// Every subcommand answers --help (and -h, help) with its usage and exit 0,
// without starting anything: with an empty environment, `run --help` must
// not complain about configuration, and `console --help` must not read stdin.
func TestHelpForEverySubcommand(t *testing.T) {
	cleanEnv(t)
	tests := []struct {
		args []string
		want string // a line only that usage has
	}{
		{[]string{"help"}, "kickbot healthcheck"},
		{[]string{"-h"}, "kickbot healthcheck"},
		{[]string{"--help"}, "kickbot healthcheck"},
		{[]string{"run", "--help"}, "kickbot [run]"},
		{[]string{"run", "-h"}, "kickbot [run]"},
		{[]string{"version", "--help"}, "kickbot version"},
		{[]string{"healthcheck", "--help"}, "kickbot healthcheck"},
		{[]string{"console", "--help"}, "kick <row> [<row> …]"},
		{[]string{"console", "-h"}, "kick <row> [<row> …]"},
		{[]string{"console", "help"}, "kick <row> [<row> …]"},
		{[]string{"help", "--help"}, "kickbot healthcheck"},
		{[]string{"console", "--real", "--help"}, "kickbot console --real"},
	}
	for _, tt := range tests {
		r := runKickbot(t, "/kick 914083136\nquit\n", tt.args...)
		if r.code != exitOK || !strings.Contains(r.stdout, tt.want) || r.stderr != "" {
			t.Errorf("kickbot %v: want exit 0 and usage containing %q on stdout, got %s", tt.args, tt.want, r)
		}
		if strings.Contains(r.stdout, "Weekly all-hands") || strings.Contains(r.stdout, "kickbot>") {
			t.Errorf("kickbot %v started the console instead of printing help:\n%s", tt.args, r.stdout)
		}
	}
}

// Exit codes as documented in main.go's usage and the README: 0 ok, 1 runtime
// error or failed probe, 2 bad usage or configuration.
func TestExitCodesAreDocumented(t *testing.T) {
	cleanEnv(t)
	r := runKickbot(t, "", "help")
	if !strings.Contains(r.stdout, "Exit codes: 0 ok, 1 runtime error or failed probe, 2 bad usage or configuration.") {
		t.Errorf("usage does not document the exit codes:\n%s", r.stdout)
	}
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"`0`", "`1` runtime error or failed probe", "`2` bad usage or configuration"} {
		if !strings.Contains(string(readme), want) {
			t.Errorf("README.md does not document exit code %s", want)
		}
	}
	if exitOK != 0 || exitError != 1 || exitConfig != 2 {
		t.Errorf("exit code constants are %d/%d/%d, the docs say 0/1/2", exitOK, exitError, exitConfig)
	}
}

func TestBadUsageExitsTwo(t *testing.T) {
	cleanEnv(t)
	tests := []struct {
		args []string
		want string // on stderr
	}{
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"--verbose"}, `unknown command "--verbose"`},
		{[]string{"Console"}, `unknown command "Console"`},
		{[]string{"run", "--slack-token=x"}, `unexpected argument "--slack-token=x"`},
		{[]string{"console", "914083136"}, `unexpected argument "914083136"`},
		{[]string{"version", "now"}, `unexpected argument "now"`},
		{[]string{"healthcheck", "localhost:8080"}, `unexpected argument "localhost:8080"`},
	}
	for _, tt := range tests {
		r := runKickbot(t, "quit\n", tt.args...)
		if r.code != exitConfig || !strings.Contains(r.stderr, tt.want) || r.stdout != "" {
			t.Errorf("kickbot %v: want exit 2 and %q on stderr (stdout empty), got %s", tt.args, tt.want, r)
		}
		if !strings.Contains(r.stderr, "Usage:") {
			t.Errorf("kickbot %v: a usage error should show the usage, got:\n%s", tt.args, r.stderr)
		}
	}
}

// fakes is a fake Slack and a meeting simulator nothing should reach when
// the configuration is refused.
type fakes struct {
	slack *slackfake.Server
	sim   *meetingtest.Server
}

// newFakes starts the fake Slack (strict unless opts say otherwise) and the
// simulator with the sample meeting.
func newFakes(t *testing.T, opts ...slackfake.Option) fakes {
	t.Helper()
	f := fakes{
		slack: slackfake.NewT(t, append([]slackfake.Option{slackfake.WithBotToken(testBotToken), slackfake.WithAppToken(testAppToken)}, opts...)...),
		sim:   meetingtest.NewServer(),
	}
	t.Cleanup(f.sim.Close)
	f.sim.Sample()
	f.sim.AddApp("cmd-app", testAppKey, meetingtest.SampleUserID)
	return f
}

// env is a complete, valid bot configuration pointing at the fakes.
func (f fakes) env() map[string]string {
	return map[string]string{
		"SLACK_APP_TOKEN": testAppToken,
		"SLACK_BOT_TOKEN": testBotToken,
		"SLACK_API_URL":   f.slack.APIURL(),
		"MEETING_API_URL": f.sim.URL(),
		"MEETING_APP_ID":  "cmd-app",
		"MEETING_APP_KEY": testAppKey,
		"MEETING_USER_ID": meetingtest.SampleUserID,
		"KICK_CHANNELS":   modChannel,
		"KICK_USERS":      moderator,
		"OPS_CHANNEL":     opsChannel,
		"HTTP_ADDR":       "",
	}
}

// untouched asserts nothing reached Slack or the meeting API.
func (f fakes) untouched(t *testing.T, what string) {
	t.Helper()
	if n := f.slack.Calls("auth.test") + f.slack.Calls("apps.connections.open"); n != 0 {
		t.Errorf("%s: Slack was called %d times; a refused configuration must start nothing", what, n)
	}
	if n := len(f.sim.Calls()); n != 0 {
		t.Errorf("%s: the meeting API was called %d times; a refused configuration must start nothing", what, n)
	}
}

func secretFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// At the command level a configuration problem is exit 2, on stderr, names
// the variable, starts nothing, and never shows a secret — even when the
// secret sits in the variable that is wrong. (config's own tests cover every
// rule; these cover what the operator sees from the binary.)
func TestConfigErrorsExitTwoNameTheVariableAndHideSecrets(t *testing.T) {
	missingFile := filepath.Join(t.TempDir(), "nope")
	tests := []struct {
		name  string
		env   func(f fakes) map[string]string // set on top of a clean environment
		unset []string
		want  []string // on stderr
	}{
		{"nothing set", func(fakes) map[string]string { return nil }, nil,
			[]string{"SLACK_APP_TOKEN is required", "SLACK_BOT_TOKEN is required", "KICK_CHANNELS is required", "meeting credentials are required"}},
		{"no app token", nil, []string{"SLACK_APP_TOKEN"}, []string{"SLACK_APP_TOKEN is required"}},
		{"no kick channels", nil, []string{"KICK_CHANNELS"}, []string{"KICK_CHANNELS is required", "refuses to start"}},
		{"kick channels blank", func(fakes) map[string]string { return map[string]string{"KICK_CHANNELS": " "} }, nil,
			[]string{"KICK_CHANNELS is required"}},
		{"channel name instead of ID", func(fakes) map[string]string { return map[string]string{"KICK_CHANNELS": "#moderation"} }, nil,
			[]string{`KICK_CHANNELS: "#moderation" is not a channel ID`}},
		{"workers not a number", func(fakes) map[string]string { return map[string]string{"KICK_WORKERS": "eight"} }, nil,
			[]string{"KICK_WORKERS", "not a whole number"}},
		{"timeout without unit", func(fakes) map[string]string { return map[string]string{"MEETING_TIMEOUT": "10"} }, nil,
			[]string{"MEETING_TIMEOUT", "not a duration"}},
		{"app token pasted as bot token", func(fakes) map[string]string { return map[string]string{"SLACK_BOT_TOKEN": testAppToken} }, nil,
			[]string{"SLACK_BOT_TOKEN must be a bot token"}},
		{"bot token pasted as app token", func(fakes) map[string]string { return map[string]string{"SLACK_APP_TOKEN": testBotToken} }, nil,
			[]string{"SLACK_APP_TOKEN must be an app-level token"}},
		{"password in the meeting URL", func(f fakes) map[string]string {
			return map[string]string{"MEETING_API_URL": strings.Replace(f.sim.URL(), "://", "://bot:"+testPassword+"@", 1)}
		}, nil, []string{"MEETING_API_URL", "not an http(s) URL"}},
		{"password in the Slack URL", func(f fakes) map[string]string {
			return map[string]string{"SLACK_API_URL": strings.Replace(f.slack.APIURL(), "://", "://bot:"+testPassword+"@", 1)}
		}, nil, []string{"SLACK_API_URL", "not an http(s) URL"}},
		{"app key without app id", nil, []string{"MEETING_APP_ID"}, []string{"MEETING_APP_KEY is set but MEETING_APP_ID is missing"}},
		{"password without account", func(fakes) map[string]string { return map[string]string{"MEETING_PASSWORD": testPassword} }, []string{"MEETING_APP_ID", "MEETING_APP_KEY"},
			[]string{"MEETING_PASSWORD is set but MEETING_ACCOUNT is missing"}},
		{"token and token file", func(fakes) map[string]string {
			return map[string]string{"SLACK_BOT_TOKEN_FILE": secretFile(t, testBotToken+"\n")}
		}, nil, []string{"SLACK_BOT_TOKEN or SLACK_BOT_TOKEN_FILE, not both"}},
		{"token file missing", func(fakes) map[string]string { return map[string]string{"SLACK_APP_TOKEN_FILE": missingFile} }, []string{"SLACK_APP_TOKEN"},
			[]string{"SLACK_APP_TOKEN_FILE", missingFile}},
		{"wrong kind of token in the file", func(fakes) map[string]string {
			return map[string]string{"SLACK_BOT_TOKEN_FILE": secretFile(t, testAppToken+"\n")}
		}, []string{"SLACK_BOT_TOKEN"}, []string{"SLACK_BOT_TOKEN must be a bot token"}},
		// A secret pasted into the wrong variable is still a secret: the
		// error names the variable but does not quote the value.
		{"bot token pasted into a number", func(fakes) map[string]string { return map[string]string{"KICK_MAX_TARGETS": testBotToken} }, nil,
			[]string{"KICK_MAX_TARGETS", "not a whole number"}},
		{"app token pasted into a duration", func(fakes) map[string]string { return map[string]string{"KICK_LIST_MAX_AGE": testAppToken} }, nil,
			[]string{"KICK_LIST_MAX_AGE", "not a duration"}},
		{"token pasted as a user ID", func(fakes) map[string]string { return map[string]string{"KICK_USERS": "UMOD " + testBotToken} }, nil,
			[]string{"KICK_USERS", "not a user ID"}},
		{"token pasted as a channel ID", func(fakes) map[string]string { return map[string]string{"OPS_CHANNEL": testAppToken} }, nil,
			[]string{"OPS_CHANNEL", "not a channel ID"}},
		{"token pasted as a conference", func(fakes) map[string]string {
			return map[string]string{"KICK_CONFERENCES": modChannel + ":" + testBotToken}
		}, nil, []string{"KICK_CONFERENCES", "not a conference ID"}},
		{"app key pasted as log level", func(fakes) map[string]string { return map[string]string{"LOG_LEVEL": testAppKey} }, nil,
			[]string{"LOG_LEVEL", "is not one of trace"}},
		{"password pasted as log format", func(fakes) map[string]string {
			return map[string]string{"MEETING_ACCOUNT": "bot", "MEETING_PASSWORD": testPassword, "LOG_FORMAT": testPassword}
		}, []string{"MEETING_APP_ID", "MEETING_APP_KEY"}, []string{"LOG_FORMAT", "is not json or console"}},
		{"log level", func(fakes) map[string]string { return map[string]string{"LOG_LEVEL": "verbose"} }, nil,
			[]string{`LOG_LEVEL: "verbose"`}},
		{"http addr", func(fakes) map[string]string { return map[string]string{"HTTP_ADDR": "8080"} }, nil,
			[]string{`HTTP_ADDR: "8080" is not host:port`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cleanEnv(t)
			f := newFakes(t)
			if tt.name != "nothing set" {
				setenv(t, f.env())
			}
			for _, k := range tt.unset {
				unsetenv(t, k)
			}
			if tt.env != nil {
				setenv(t, tt.env(f))
			}
			for _, args := range [][]string{{}, {"run"}} {
				r := runKickbot(t, "", args...)
				if r.code != exitConfig {
					t.Fatalf("kickbot %v: exit %d, want 2 (configuration)\n%s", args, r.code, r)
				}
				if !strings.HasPrefix(r.stderr, "kickbot: configuration:") {
					t.Errorf("kickbot %v: stderr should start with %q:\n%s", args, "kickbot: configuration:", r.stderr)
				}
				for _, w := range tt.want {
					if !strings.Contains(r.stderr, w) {
						t.Errorf("kickbot %v: stderr does not contain %q:\n%s", args, w, r.stderr)
					}
				}
				if r.stdout != "" {
					t.Errorf("kickbot %v: a configuration error belongs on stderr; stdout has:\n%s", args, r.stdout)
				}
				assertNoSecrets(t, "stderr", r.stderr)
			}
			f.untouched(t, tt.name)
		})
	}
}

// The console reads only meeting and log settings: a shared .env with broken
// Slack settings must not stop it, but half-set meeting credentials do (exit
// 2, named, secret not shown).
func TestConsoleConfigErrors(t *testing.T) {
	t.Run("slack settings are ignored", func(t *testing.T) {
		cleanEnv(t)
		setenv(t, map[string]string{"SLACK_BOT_TOKEN": "not-a-token", "KICK_WORKERS": "many", "HTTP_ADDR": "nope"})
		r := runKickbot(t, "quit\n", "console")
		if r.code != exitOK || !strings.Contains(r.stdout, "embedded meeting simulator") {
			t.Errorf("console with unrelated bad settings: want exit 0 on the simulator, got %s", r)
		}
	})
	for _, tc := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{"app key without app id", map[string]string{"MEETING_APP_KEY": testAppKey}, "MEETING_APP_KEY is set but MEETING_APP_ID is missing"},
		{"password without account", map[string]string{"MEETING_PASSWORD": testPassword}, "MEETING_PASSWORD is set but MEETING_ACCOUNT is missing"},
		{"password in URL", map[string]string{"MEETING_API_URL": "https://bot:" + testPassword + "@api.example", "MEETING_APP_ID": "x", "MEETING_APP_KEY": testAppKey}, "MEETING_API_URL"},
		{"bad timeout", map[string]string{"MEETING_TIMEOUT": "soon"}, "MEETING_TIMEOUT"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cleanEnv(t)
			setenv(t, tc.env)
			r := runKickbot(t, "/kick 914083136\nquit\n", "console", "--real")
			if r.code != exitConfig || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("want exit 2 and %q on stderr, got %s", tc.want, r)
			}
			if strings.Contains(r.stdout, "kickbot>") {
				t.Errorf("the console started despite the error:\n%s", r.stdout)
			}
			assertNoSecrets(t, "output", r.stdout+r.stderr)
		})
	}
}

// eventually polls cond every few milliseconds for up to 10 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
