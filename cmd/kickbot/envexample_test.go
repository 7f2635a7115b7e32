package main

import (
	"bufio"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/kickbot/kickbot/config"
)

// envLine is one NAME=value line of .env.example, commented out or not.
type envLine struct {
	name, value string
	commented   bool
}

func readEnvExample(t *testing.T) []envLine {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", ".env.example"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	re := regexp.MustCompile(`^(#?)([A-Z][A-Z0-9_]*)=(.*)$`)
	var lines []envLine
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if m := re.FindStringSubmatch(sc.Text()); m != nil {
			lines = append(lines, envLine{name: m[2], value: m[3], commented: m[1] == "#"})
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return lines
}

// .env.example is what the README tells operators to copy: it must list
// every variable kickbot reads, and the defaults it shows in comments must be
// the real ones.
func TestEnvExampleListsEveryVariableWithItsRealDefault(t *testing.T) {
	lines := readEnvExample(t)
	listed := map[string]envLine{}
	for _, l := range lines {
		listed[l.name] = l
	}
	ct := reflect.TypeFor[config.Config]()
	for i := range ct.NumField() {
		field := ct.Field(i)
		name := field.Tag.Get("envconfig")
		if name == "" {
			continue
		}
		l, ok := listed[name]
		if !ok {
			t.Errorf(".env.example does not list %s", name)
			continue
		}
		if def, hasDef := field.Tag.Lookup("default"); l.commented && l.value != "" && (!hasDef || l.value != def) {
			t.Errorf(".env.example shows %s=%s as the default; the real default is %q", name, l.value, def)
		}
	}
}

// Copied as is, with the blanks left empty, .env.example makes kickbot
// refuse to start and name what to fill in; with the blanks filled and every
// commented default uncommented, it is a valid configuration equal to the
// defaults.
func TestEnvExampleAsCopied(t *testing.T) {
	lines := readEnvExample(t)

	cleanEnv(t)
	for _, l := range lines {
		if !l.commented {
			t.Setenv(l.name, l.value)
		}
	}
	r := runKickbot(t, "")
	if r.code != exitConfig {
		t.Fatalf("kickbot with .env.example unfilled: %s", r)
	}
	for _, want := range []string{"SLACK_APP_TOKEN is required", "SLACK_BOT_TOKEN is required", "KICK_CHANNELS is required", "meeting credentials are required"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("kickbot with .env.example unfilled does not say %q:\n%s", want, r.stderr)
		}
	}

	filled := map[string]string{
		"SLACK_APP_TOKEN": testAppToken,
		"SLACK_BOT_TOKEN": testBotToken,
		"MEETING_APP_ID":  "cmd-app",
		"MEETING_APP_KEY": testAppKey,
		"KICK_CHANNELS":   modChannel,
	}
	setenv(t, filled)
	want, err := config.FromEnvironment()
	if err != nil {
		t.Fatalf(".env.example with its blanks filled is not valid: %v", err)
	}
	for _, l := range lines {
		if l.commented {
			t.Setenv(l.name, l.value)
		}
	}
	got, err := config.FromEnvironment()
	if err != nil {
		t.Fatalf(".env.example with every commented line uncommented is not valid: %v", err)
	}
	if !reflect.DeepEqual(normalise(got), normalise(want)) {
		t.Errorf("uncommenting .env.example's defaults changed the configuration:\n got %+v\nwant %+v", got, want)
	}
}

// normalise makes empty and nil lists compare equal.
func normalise(c config.Config) config.Config {
	if len(c.KickUsers) == 0 {
		c.KickUsers = nil
	}
	if len(c.KickUsergroups) == 0 {
		c.KickUsergroups = nil
	}
	if len(c.KickConferences) == 0 {
		c.KickConferences = nil
	}
	return c
}
