package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kelseyhightower/envconfig"
)

// Secret values used throughout; no error or printed form may contain them.
const (
	appToken = "xapp-1-A0TEST-0000-appsecretvalue"
	botToken = "xoxb-0000-1111-botsecretvalue"
	appKey   = "appkeysecretvalue0123"
	password = "passwordsecretvalue!"
)

var secretValues = []string{appToken, botToken, appKey, password, "appsecretvalue", "botsecretvalue", "appkeysecretvalue", "passwordsecretvalue"}

// allVars is every variable config reads (Config's tags, and NAME_FILE of
// each secret), so each test starts from a clean environment whatever the
// machine running it has set.
var allVars = func() []string {
	var vs []string
	ct := reflect.TypeFor[Config]()
	for i := range ct.NumField() {
		if name := ct.Field(i).Tag.Get("envconfig"); name != "" {
			vs = append(vs, name)
		}
	}
	for _, v := range secretsOf(&Config{}, false) {
		vs = append(vs, v.name+"_FILE")
	}
	return vs
}()

// setEnv clears every config variable, then sets vars. A value of "\x00"
// means "leave unset" so tables can remove a base variable.
func setEnv(t *testing.T, vars map[string]string) {
	t.Helper()
	for _, k := range allVars {
		t.Setenv(k, "") // registers the restore of the original value
		os.Unsetenv(k)
	}
	for k, v := range vars {
		if v == "\x00" {
			continue
		}
		t.Setenv(k, v)
	}
}

// validEnv is a minimal bot configuration; tables override parts of it.
func validEnv() map[string]string {
	return map[string]string{
		"SLACK_APP_TOKEN": appToken,
		"SLACK_BOT_TOKEN": botToken,
		"MEETING_APP_ID":  "app-id-1",
		"MEETING_APP_KEY": appKey,
		"KICK_CHANNELS":   "C0123ABCD",
	}
}

func with(base map[string]string, kv ...string) map[string]string {
	for i := 0; i+1 < len(kv); i += 2 {
		base[kv[i]] = kv[i+1]
	}
	return base
}

func assertNoSecret(t *testing.T, what, s string) {
	t.Helper()
	for _, v := range secretValues {
		if strings.Contains(s, v) {
			t.Errorf("%s contains secret %q: %s", what, v, s)
		}
	}
}

func TestDefaults(t *testing.T) {
	setEnv(t, validEnv())
	c, err := FromEnvironment()
	if err != nil {
		t.Fatalf("FromEnvironment() error = %v, want nil", err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"SlackAPIURL", c.SlackAPIURL, "https://slack.com/api/"},
		{"MeetingAPIURL", c.MeetingAPIURL, "https://api.meeting.huaweicloud.com"},
		{"HTTPAddr", c.HTTPAddr, ":8080"},
		{"LogLevel", c.LogLevel, "info"},
		{"LogFormat", c.LogFormat, "json"},
		{"MaxTargets", c.MaxTargets, 50},
		{"UserRate", c.UserRate, 30},
		{"Workers", c.Workers, 256},
		{"QueueSize", c.QueueSize, 1000},
		{"ListMaxAge", c.ListMaxAge, 10 * time.Minute},
		{"DrainTimeout", c.DrainTimeout, 25 * time.Second},
		{"LockDefault", c.LockDefault, 15 * time.Minute},
		{"MeetingTimeout", c.MeetingTimeout, 10 * time.Second},
		{"MeetingMaxPerHangUp", c.MeetingMaxPerHangUp, 0},
		{"AuditFile", c.AuditFile, ""},
		{"KickChannels", []string(c.KickChannels), []string{"C0123ABCD"}},
		{"SlackAppToken", c.SlackAppToken.Reveal(), appToken},
		{"SlackBotToken", c.SlackBotToken.Reveal(), botToken},
		{"MeetingAppKey", c.MeetingAppKey.Reveal(), appKey},
		{"MeetingConfigured", c.MeetingConfigured(), true},
	}
	for _, ch := range checks {
		if !reflect.DeepEqual(ch.got, ch.want) {
			t.Errorf("%s = %#v, want %#v", ch.name, ch.got, ch.want)
		}
	}
}

func TestValuesAndNormalisation(t *testing.T) {
	setEnv(t, with(validEnv(),
		"SLACK_API_URL", "http://127.0.0.1:9999/api",
		"MEETING_API_URL", "https://api-intl.meeting.huaweicloud.com/",
		"KICK_CHANNELS", "C111, G222 ,C111\tC333",
		"KICK_USERS", "U1,W2",
		"KICK_USERGROUPS", "S1 S2",
		"KICK_CONFERENCES", " C111:914083136 914083137 ; G222:111,222; ",
		"OPS_CHANNEL", "C999",
		"HTTP_ADDR", "",
		"LOG_LEVEL", "DEBUG",
		"LOG_FORMAT", "Console",
		"KICK_MAX_TARGETS", "5",
		"KICK_QUEUE_SIZE", "20000",
		"KICK_LIST_MAX_AGE", "90s",
		"MEETING_MAX_PER_HANGUP", "100",
		"AUDIT_FILE", "/var/log/kickbot/audit.jsonl",
	))
	c, err := FromEnvironment()
	if err != nil {
		t.Fatalf("FromEnvironment() error = %v, want nil", err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"SlackAPIURL (slash added)", c.SlackAPIURL, "http://127.0.0.1:9999/api/"},
		{"MeetingAPIURL (slash trimmed)", c.MeetingAPIURL, "https://api-intl.meeting.huaweicloud.com"},
		{"KickChannels (deduplicated, order kept)", []string(c.KickChannels), []string{"C111", "G222", "C333"}},
		{"KickUsers", []string(c.KickUsers), []string{"U1", "W2"}},
		{"KickUsergroups", []string(c.KickUsergroups), []string{"S1", "S2"}},
		{"KickConferences", map[string][]string(c.KickConferences), map[string][]string{"C111": {"914083136", "914083137"}, "G222": {"111", "222"}}},
		{"OpsChannel", c.OpsChannel, "C999"},
		{"HTTPAddr (empty disables)", c.HTTPAddr, ""},
		{"LogLevel", c.LogLevel, "debug"},
		{"LogFormat", c.LogFormat, "console"},
		{"MaxTargets", c.MaxTargets, 5},
		{"QueueSize", c.QueueSize, 20000},
		{"ListMaxAge", c.ListMaxAge, 90 * time.Second},
		{"MeetingMaxPerHangUp", c.MeetingMaxPerHangUp, 100},
		{"AuditFile", c.AuditFile, "/var/log/kickbot/audit.jsonl"},
	}
	for _, ch := range checks {
		if !reflect.DeepEqual(ch.got, ch.want) {
			t.Errorf("%s = %#v, want %#v", ch.name, ch.got, ch.want)
		}
	}

	p := c.Policy()
	if got, want := p.Channels, map[string]bool{"C111": true, "G222": true, "C333": true}; !reflect.DeepEqual(got, want) {
		t.Errorf("Policy().Channels = %v, want %v", got, want)
	}
	if got, want := p.Users, map[string]bool{"U1": true, "W2": true}; !reflect.DeepEqual(got, want) {
		t.Errorf("Policy().Users = %v, want %v", got, want)
	}
	if got, want := p.Usergroups, []string{"S1", "S2"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Policy().Usergroups = %v, want %v", got, want)
	}
	if got, want := p.Conferences, map[string][]string{"C111": {"914083136", "914083137"}, "G222": {"111", "222"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("Policy().Conferences = %v, want %v", got, want)
	}
}

func TestAccountAuth(t *testing.T) {
	env := with(validEnv(), "MEETING_APP_ID", "\x00", "MEETING_APP_KEY", "\x00", "MEETING_ACCOUNT", "bot@example.com", "MEETING_PASSWORD", password)
	setEnv(t, env)
	c, err := FromEnvironment()
	if err != nil {
		t.Fatalf("FromEnvironment() error = %v, want nil", err)
	}
	if !c.MeetingConfigured() || c.MeetingAccount != "bot@example.com" || c.MeetingPassword.Reveal() != password {
		t.Errorf("account auth: configured=%v account=%q password ok=%v, want true, bot@example.com, true",
			c.MeetingConfigured(), c.MeetingAccount, c.MeetingPassword.Reveal() == password)
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want []string // substrings of the error
	}{
		{"app token missing", with(validEnv(), "SLACK_APP_TOKEN", "\x00"), []string{"SLACK_APP_TOKEN is required"}},
		{"app token wrong kind", with(validEnv(), "SLACK_APP_TOKEN", botToken), []string{"SLACK_APP_TOKEN must be an app-level token (xapp-…)"}},
		{"bot token missing", with(validEnv(), "SLACK_BOT_TOKEN", ""), []string{"SLACK_BOT_TOKEN is required"}},
		{"bot token wrong kind", with(validEnv(), "SLACK_BOT_TOKEN", "xoxp-user-botsecretvalue"), []string{"SLACK_BOT_TOKEN must be a bot token (xoxb-…)"}},
		{"bot token is the app token", with(validEnv(), "SLACK_BOT_TOKEN", appToken), []string{"SLACK_BOT_TOKEN must be a bot token (xoxb-…)"}},
		{"slack url not a url", with(validEnv(), "SLACK_API_URL", "slack.com/api"), []string{"SLACK_API_URL", "not an http(s) URL"}},
		{"slack url empty", with(validEnv(), "SLACK_API_URL", ""), []string{"SLACK_API_URL is set but empty"}},
		{"meeting url with password", with(validEnv(), "MEETING_API_URL", "https://u:passwordsecretvalue@host/"), []string{"MEETING_API_URL", "not an http(s) URL"}},
		{"meeting url ftp", with(validEnv(), "MEETING_API_URL", "ftp://api.meeting.huaweicloud.com"), []string{"MEETING_API_URL", "not an http(s) URL"}},
		{"no meeting credentials", with(validEnv(), "MEETING_APP_ID", "\x00", "MEETING_APP_KEY", "\x00"), []string{"meeting credentials are required", "MEETING_APP_ID", "MEETING_ACCOUNT"}},
		{"app id without key", with(validEnv(), "MEETING_APP_KEY", "\x00"), []string{"MEETING_APP_ID is set but MEETING_APP_KEY is missing"}},
		{"app key without id", with(validEnv(), "MEETING_APP_ID", "\x00"), []string{"MEETING_APP_KEY is set but MEETING_APP_ID is missing"}},
		{"account without password", with(validEnv(), "MEETING_APP_ID", "\x00", "MEETING_APP_KEY", "\x00", "MEETING_ACCOUNT", "bot"), []string{"MEETING_ACCOUNT is set but MEETING_PASSWORD is missing"}},
		{"password without account", with(validEnv(), "MEETING_APP_ID", "\x00", "MEETING_APP_KEY", "\x00", "MEETING_PASSWORD", password), []string{"MEETING_PASSWORD is set but MEETING_ACCOUNT is missing"}},
		{"half account beside complete app id", with(validEnv(), "MEETING_ACCOUNT", "bot"), []string{"MEETING_ACCOUNT is set but MEETING_PASSWORD is missing"}},
		{"both auth methods", with(validEnv(), "MEETING_ACCOUNT", "bot", "MEETING_PASSWORD", password), []string{"not both"}},
		{"channels missing", with(validEnv(), "KICK_CHANNELS", "\x00"), []string{"KICK_CHANNELS is required", "refuses to start"}},
		{"channels blank", with(validEnv(), "KICK_CHANNELS", " , "), []string{"KICK_CHANNELS is required"}},
		{"channel name not id", with(validEnv(), "KICK_CHANNELS", "C1,#general"), []string{`KICK_CHANNELS: "#general" is not a channel ID`}},
		{"dm channel", with(validEnv(), "KICK_CHANNELS", "D0123"), []string{`KICK_CHANNELS: "D0123" is not a channel ID`}},
		{"lower-case channel", with(validEnv(), "KICK_CHANNELS", "c0123"), []string{`KICK_CHANNELS: "c0123"`}},
		{"user name not id", with(validEnv(), "KICK_USERS", "U1 jane"), []string{`KICK_USERS: "jane" is not a user ID`}},
		{"usergroup handle", with(validEnv(), "KICK_USERGROUPS", "@mods"), []string{`KICK_USERGROUPS: "@mods" is not a usergroup ID (S…`}},
		{"usergroup wrong prefix", with(validEnv(), "KICK_USERGROUPS", "U123"), []string{`KICK_USERGROUPS: "U123"`}},
		{"conferences no colon", with(validEnv(), "KICK_CONFERENCES", "C0123ABCD 914083136"), []string{"KICK_CONFERENCES", "not CHANNEL:CONFERENCE"}},
		{"conferences empty list", with(validEnv(), "KICK_CONFERENCES", "C0123ABCD:"), []string{"KICK_CONFERENCES", "lists no conference"}},
		{"conferences bad id", with(validEnv(), "KICK_CONFERENCES", "C0123ABCD:9140-83136"), []string{"KICK_CONFERENCES", `"9140-83136" is not a conference ID`}},
		{"conferences twice", with(validEnv(), "KICK_CONFERENCES", "C0123ABCD:1;C0123ABCD:2"), []string{"KICK_CONFERENCES", "listed twice"}},
		{"conferences channel not allowed", with(validEnv(), "KICK_CONFERENCES", "C0999:1"), []string{"KICK_CONFERENCES: channel C0999 is not in KICK_CHANNELS"}},
		{"conferences bad channel", with(validEnv(), "KICK_CONFERENCES", "general:1"), []string{`KICK_CONFERENCES: "general" is not a channel ID`}},
		// docker --env-file keeps the quotes a shell-sourced .env needs (issue 16).
		{"conferences quoted", with(validEnv(), "KICK_CONFERENCES", `"C0123ABCD:111"`), []string{"KICK_CONFERENCES", "remove the quotes"}},
		{"channels quoted", with(validEnv(), "KICK_CHANNELS", `'C0123ABCD C0123ABCE'`), []string{"KICK_CHANNELS", "remove the quotes"}},
		{"ops channel name", with(validEnv(), "OPS_CHANNEL", "#ops"), []string{`OPS_CHANNEL: "#ops" is not a channel ID`}},
		{"max targets not a number", with(validEnv(), "KICK_MAX_TARGETS", "fifty"), []string{`KICK_MAX_TARGETS: "fifty" is not a whole number`}},
		{"max targets empty", with(validEnv(), "KICK_MAX_TARGETS", ""), []string{"KICK_MAX_TARGETS is set but empty"}},
		{"max targets zero", with(validEnv(), "KICK_MAX_TARGETS", "0"), []string{"KICK_MAX_TARGETS must be at least 1, not 0"}},
		{"user rate zero", with(validEnv(), "KICK_USER_RATE", "0"), []string{"KICK_USER_RATE must be at least 1"}},
		{"workers negative", with(validEnv(), "KICK_WORKERS", "-1"), []string{"KICK_WORKERS must be at least 1, not -1"}},
		{"queue zero", with(validEnv(), "KICK_QUEUE_SIZE", "0"), []string{"KICK_QUEUE_SIZE must be at least 1"}},
		{"list age no unit", with(validEnv(), "KICK_LIST_MAX_AGE", "10"), []string{`KICK_LIST_MAX_AGE: "10" is not a duration`}},
		{"lock default too short", with(validEnv(), "KICK_LOCK_DEFAULT", "5s"), []string{"KICK_LOCK_DEFAULT: 5s is outside 10s to 24h"}},
		{"drain zero", with(validEnv(), "KICK_DRAIN_TIMEOUT", "0s"), []string{"KICK_DRAIN_TIMEOUT must be a positive duration"}},
		{"meeting timeout negative", with(validEnv(), "MEETING_TIMEOUT", "-1s"), []string{"MEETING_TIMEOUT must be a positive duration"}},
		{"max per hangup negative", with(validEnv(), "MEETING_MAX_PER_HANGUP", "-5"), []string{"MEETING_MAX_PER_HANGUP must be at least 0"}},
		{"http addr no port", with(validEnv(), "HTTP_ADDR", "8080"), []string{`HTTP_ADDR: "8080" is not host:port`}},
		{"log level", with(validEnv(), "LOG_LEVEL", "verbose"), []string{`LOG_LEVEL: "verbose" is not one of`}},
		{"log level empty", with(validEnv(), "LOG_LEVEL", ""), []string{`LOG_LEVEL: "" is not one of`}},
		{"log format", with(validEnv(), "LOG_FORMAT", "text"), []string{`LOG_FORMAT: "text" is not json or console`}},
		{"several problems at once", with(validEnv(), "SLACK_BOT_TOKEN", "\x00", "KICK_CHANNELS", "\x00", "LOG_FORMAT", "xml"),
			[]string{"SLACK_BOT_TOKEN is required", "KICK_CHANNELS is required", "LOG_FORMAT"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			setEnv(t, tt.env)
			c, err := FromEnvironment()
			if err == nil {
				t.Fatalf("FromEnvironment() error = nil (config %+v), want one containing %q", c, tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("FromEnvironment() error = %q, want it to contain %q", err, w)
				}
			}
			assertNoSecret(t, "error", err.Error())
		})
	}
}

// envconfig quotes raw values in its parse errors; with every secret set, a
// malformed number must still produce an error free of secrets.
func TestParseErrorHasNoSecret(t *testing.T) {
	env := with(validEnv(), "MEETING_ACCOUNT", "\x00", "KICK_MAX_TARGETS", "50x")
	setEnv(t, env)
	_, err := FromEnvironment()
	if err == nil {
		t.Fatal("FromEnvironment() error = nil, want a KICK_MAX_TARGETS error")
	}
	if !strings.Contains(err.Error(), "KICK_MAX_TARGETS") {
		t.Errorf("error = %q, want it to name KICK_MAX_TARGETS", err)
	}
	assertNoSecret(t, "error", err.Error())
}

func TestPrintedConfigHasNoSecret(t *testing.T) {
	setEnv(t, validEnv())
	c, err := FromEnvironment()
	if err != nil {
		t.Fatalf("FromEnvironment() error = %v", err)
	}
	c.MeetingPassword = c.MeetingAppKey // exercise every secret field
	for _, format := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		assertNoSecret(t, format, fmt.Sprintf(format, c))
	}
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatalf("json.Marshal(Config) error = %v", err)
	}
	assertNoSecret(t, "JSON", string(b))
	if !strings.Contains(string(b), `"SlackBotToken":"[REDACTED]"`) {
		t.Errorf("JSON = %s, want SlackBotToken shown as [REDACTED]", b)
	}
}

func writeFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSecretFiles(t *testing.T) {
	env := with(validEnv(), "SLACK_APP_TOKEN", "\x00", "SLACK_BOT_TOKEN", "\x00", "MEETING_APP_KEY", "\x00",
		"SLACK_APP_TOKEN_FILE", writeFile(t, appToken+"\n"),
		"SLACK_BOT_TOKEN_FILE", writeFile(t, botToken+"\r\n"),
		"MEETING_APP_KEY_FILE", writeFile(t, appKey),
		"SLACK_APP_TOKEN", "", // as `SLACK_APP_TOKEN=` in an env file beside the _FILE form: fine
	)
	setEnv(t, env)
	c, err := FromEnvironment()
	if err != nil {
		t.Fatalf("FromEnvironment() error = %v, want nil", err)
	}
	for _, ch := range []struct{ name, got, want string }{
		{"SlackAppToken", c.SlackAppToken.Reveal(), appToken},
		{"SlackBotToken", c.SlackBotToken.Reveal(), botToken},
		{"MeetingAppKey", c.MeetingAppKey.Reveal(), appKey},
	} {
		if ch.got != ch.want {
			t.Errorf("%s from file = %q, want %q", ch.name, ch.got, ch.want)
		}
	}

	// Account password from a file, through the console loader too.
	setEnv(t, map[string]string{"MEETING_ACCOUNT": "bot", "MEETING_PASSWORD_FILE": writeFile(t, password+"\n")})
	cc, err := ConsoleFromEnvironment()
	if err != nil {
		t.Fatalf("ConsoleFromEnvironment() error = %v, want nil", err)
	}
	if cc.MeetingPassword.Reveal() != password || !cc.MeetingConfigured() {
		t.Errorf("console password from file: ok=%v configured=%v, want true, true", cc.MeetingPassword.Reveal() == password, cc.MeetingConfigured())
	}
}

func TestSecretFileErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope")
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"both set", with(validEnv(), "SLACK_BOT_TOKEN_FILE", writeFile(t, botToken)), "set SLACK_BOT_TOKEN or SLACK_BOT_TOKEN_FILE, not both"},
		{"missing file", with(validEnv(), "SLACK_APP_TOKEN", "\x00", "SLACK_APP_TOKEN_FILE", missing), "SLACK_APP_TOKEN_FILE: open " + missing},
		{"empty file", with(validEnv(), "MEETING_APP_KEY", "\x00", "MEETING_APP_KEY_FILE", writeFile(t, "\n")), "MEETING_APP_KEY_FILE: "},
		{"directory", with(validEnv(), "SLACK_BOT_TOKEN", "\x00", "SLACK_BOT_TOKEN_FILE", t.TempDir()), "SLACK_BOT_TOKEN_FILE: read"},
		{"wrong token in file", with(validEnv(), "SLACK_BOT_TOKEN", "\x00", "SLACK_BOT_TOKEN_FILE", writeFile(t, appToken)), "SLACK_BOT_TOKEN must be a bot token (xoxb-…)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			setEnv(t, tt.env)
			_, err := FromEnvironment()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("FromEnvironment() error = %v, want one containing %q", err, tt.want)
			}
			assertNoSecret(t, "error", err.Error())
		})
	}
}

func TestConsole(t *testing.T) {
	tests := []struct {
		name           string
		env            map[string]string
		wantConfigured bool
		wantErr        string
	}{
		{"nothing set: simulator", map[string]string{}, false, ""},
		{"slack and kick settings are ignored, even broken ones", map[string]string{"SLACK_BOT_TOKEN": "nonsense", "KICK_WORKERS": "many", "KICK_CHANNELS": "#general"}, false, ""},
		{"app id auth", map[string]string{"MEETING_APP_ID": "a", "MEETING_APP_KEY": appKey}, true, ""},
		{"account auth", map[string]string{"MEETING_ACCOUNT": "a", "MEETING_PASSWORD": password}, true, ""},
		{"half-set app id", map[string]string{"MEETING_APP_ID": "a"}, false, "MEETING_APP_ID is set but MEETING_APP_KEY is missing"},
		{"half-set account", map[string]string{"MEETING_PASSWORD": password}, false, "MEETING_PASSWORD is set but MEETING_ACCOUNT is missing"},
		{"bad timeout", map[string]string{"MEETING_TIMEOUT": "soon"}, false, "MEETING_TIMEOUT"},
		{"bad log level", map[string]string{"LOG_LEVEL": "loud"}, false, "LOG_LEVEL"},
		{"bad targets cap", map[string]string{"KICK_MAX_TARGETS": "0"}, false, "KICK_MAX_TARGETS"},
		{"quoted conferences", map[string]string{"KICK_CONFERENCES": `"C1:111"`}, false, "remove the quotes"},
		{"secret file", map[string]string{"MEETING_APP_ID": "a", "MEETING_APP_KEY_FILE": filepath.Join(t.TempDir(), "nope")}, false, "MEETING_APP_KEY_FILE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			setEnv(t, tt.env)
			c, err := ConsoleFromEnvironment()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ConsoleFromEnvironment() error = %v, want one containing %q", err, tt.wantErr)
				}
				assertNoSecret(t, "error", err.Error())
				return
			}
			if err != nil {
				t.Fatalf("ConsoleFromEnvironment() error = %v, want nil", err)
			}
			if got := c.MeetingConfigured(); got != tt.wantConfigured {
				t.Errorf("MeetingConfigured() = %v, want %v", got, tt.wantConfigured)
			}
			if c.MeetingAPIURL != "https://api.meeting.huaweicloud.com" || c.LogLevel != "info" || c.MeetingTimeout != 10*time.Second || c.MaxTargets != 50 {
				t.Errorf("console defaults: url=%q level=%q timeout=%v, want the defaults", c.MeetingAPIURL, c.LogLevel, c.MeetingTimeout)
			}
		})
	}
}

// The console keeps the KICK_* rules that mean something without Slack.
func TestConsoleReadsLocalRules(t *testing.T) {
	setEnv(t, map[string]string{"KICK_CONFERENCES": "C1:111 222;C2:333,111", "KICK_MAX_TARGETS": "3", "AUDIT_FILE": "/var/log/kick.jsonl"})
	c, err := ConsoleFromEnvironment()
	if err != nil {
		t.Fatal(err)
	}
	if got := c.KickConferences.Conferences(); !slices.Equal(got, []string{"111", "222", "333"}) {
		t.Errorf("conferences = %v, want [111 222 333]", got)
	}
	if c.MaxTargets != 3 || c.AuditFile != "/var/log/kick.jsonl" {
		t.Errorf("max targets %d, audit file %q; want 3 and /var/log/kick.jsonl", c.MaxTargets, c.AuditFile)
	}
}

// Defaults is what a deployment that sets nothing gets: every default tag
// of Config, read as envconfig reads it.
func TestDefaultsAreAnUnsetEnvironment(t *testing.T) {
	setEnv(t, validEnv())
	c, err := FromEnvironment()
	if err != nil {
		t.Fatal(err)
	}
	d := Defaults()
	cv, dv := reflect.ValueOf(c), reflect.ValueOf(d)
	ct := cv.Type()
	n := 0
	for i := range ct.NumField() {
		if _, ok := ct.Field(i).Tag.Lookup("default"); !ok {
			continue
		}
		n++
		if got, want := dv.Field(i).Interface(), cv.Field(i).Interface(); got != want {
			t.Errorf("Defaults().%s = %v, want %v (as an unset %s reads)", ct.Field(i).Name, got, want, ct.Field(i).Tag.Get("envconfig"))
		}
	}
	if d.MaxTargets != 50 || d.MaxSweep != 200 || d.MeetingAPIURL != "https://api.meeting.huaweicloud.com" || n < 15 {
		t.Errorf("Defaults() = %+v (%d defaults), want the documented 50 targets, 200 swept, the mainland API", d, n)
	}
}

// The console reads its variables with Config's tags and defaults, and
// ignores the Slack and worker settings it has no use for.
func TestConsoleReadsConfigsVariables(t *testing.T) {
	setEnv(t, map[string]string{"KICK_MAX_SWEEP": "7", "KICK_WORKERS": "many", "SLACK_API_URL": "not a url"})
	c, err := ConsoleFromEnvironment()
	if err != nil {
		t.Fatal(err)
	}
	d := Defaults()
	if c.MaxSweep != 7 || c.MaxTargets != d.MaxTargets || c.MeetingAPIURL != d.MeetingAPIURL || c.MeetingTimeout != d.MeetingTimeout || c.LogLevel != d.LogLevel {
		t.Errorf("console config = %+v, want KICK_MAX_SWEEP 7 and the defaults elsewhere", c)
	}
	setEnv(t, map[string]string{"KICK_MAX_SWEEP": "0"})
	if _, err := ConsoleFromEnvironment(); err == nil || !strings.Contains(err.Error(), "KICK_MAX_SWEEP") {
		t.Errorf("KICK_MAX_SWEEP=0: err = %v, want it named", err)
	}
}

// secret.String.Decode cannot fail today; if a future decoder does, its
// envconfig error (which quotes the raw value) must still not show it.
func TestParseErrorRedactsSecretVariables(t *testing.T) {
	for _, name := range []string{"SLACK_APP_TOKEN", "SLACK_BOT_TOKEN", "MEETING_APP_KEY", "MEETING_PASSWORD"} {
		err := parseError(&envconfig.ParseError{KeyName: name, FieldName: "X", TypeName: "secret.String", Value: botToken, Err: errors.New("bad " + botToken)})
		if !strings.HasPrefix(err.Error(), name+":") {
			t.Errorf("parseError(%s) = %q, want it to name %s", name, err, name)
		}
		assertNoSecret(t, "parseError("+name+")", err.Error())
	}
}
