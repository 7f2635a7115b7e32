// Package config reads kickbot's settings from the environment (envconfig),
// resolves secret files, and validates everything before anything starts.
//
// Every error names the variable at fault and never shows a secret value.
// Variables set to an empty string count as set: HTTP_ADDR= disables the
// health listener, while LOG_LEVEL= or KICK_WORKERS= are errors (unset them
// to get the default).
//
// Secrets (SLACK_APP_TOKEN, SLACK_BOT_TOKEN, MEETING_APP_KEY,
// MEETING_PASSWORD) may instead be read from a file named by NAME_FILE, as
// Docker and Kubernetes secrets are mounted; setting both is an error.
package config

import (
	"time"

	"github.com/kelseyhightower/envconfig"

	"github.com/kickbot/kickbot/secret"
)

// Config is everything `kickbot` (the bot) needs. Build it with
// FromEnvironment; `kickbot console` uses ConsoleFromEnvironment.
type Config struct {
	// Slack. SlackAPIURL always ends with "/": slack-go appends method names.
	SlackAppToken secret.String `envconfig:"SLACK_APP_TOKEN"` // xapp-…, scope connections:write
	SlackBotToken secret.String `envconfig:"SLACK_BOT_TOKEN"` // xoxb-…
	SlackAPIURL   string        `envconfig:"SLACK_API_URL" default:"https://slack.com/api/"`

	// Huawei Cloud Meeting: App ID auth (AppID+AppKey[+UserID]) or account
	// auth (Account+Password), exactly one.
	MeetingAPIURL       string        `envconfig:"MEETING_API_URL" default:"https://api.meeting.huaweicloud.com"` // no trailing "/"; https://api-intl.meeting.huaweicloud.com outside China
	MeetingAppID        string        `envconfig:"MEETING_APP_ID"`
	MeetingAppKey       secret.String `envconfig:"MEETING_APP_KEY"`
	MeetingUserID       string        `envconfig:"MEETING_USER_ID"`
	MeetingAccount      string        `envconfig:"MEETING_ACCOUNT"`
	MeetingPassword     secret.String `envconfig:"MEETING_PASSWORD"`
	MeetingTimeout      time.Duration `envconfig:"MEETING_TIMEOUT" default:"10s"`      // one HTTP call
	MeetingMaxPerHangUp int           `envconfig:"MEETING_MAX_PER_HANGUP" default:"0"` // 0 = one bulk call for any number of IDs

	// Who may kick, where (fail closed: KickChannels must not be empty).
	KickChannels   IDList `envconfig:"KICK_CHANNELS"`   // C…/G… channel IDs
	KickUsers      IDList `envconfig:"KICK_USERS"`      // U…/W… user IDs
	KickUsergroups IDList `envconfig:"KICK_USERGROUPS"` // S… usergroup IDs (not @handles)
	// KickConferences restricts channels to conferences. Format:
	//	KICK_CONFERENCES="C123:914083136 914083137;C456:111"
	// Entries are separated by ";", each is CHANNEL:CONFERENCE… with the
	// conference IDs separated by spaces or commas. A channel that is not
	// listed may act on any conference; a listed channel must also be in
	// KICK_CHANNELS.
	KickConferences ConferenceMap `envconfig:"KICK_CONFERENCES"`
	OpsChannel      string        `envconfig:"OPS_CHANNEL"` // optional C…/G… for notices

	// Limits.
	MaxTargets   int           `envconfig:"KICK_MAX_TARGETS" default:"50"`    // targets per command
	UserRate     int           `envconfig:"KICK_USER_RATE" default:"30"`      // commands per user per minute
	Workers      int           `envconfig:"KICK_WORKERS" default:"256"`       // concurrent commands
	QueueSize    int           `envconfig:"KICK_QUEUE_SIZE" default:"1000"`   // pending commands before "busy"
	ListMaxAge   time.Duration `envconfig:"KICK_LIST_MAX_AGE" default:"10m"`  // buttons on older lists are refused
	DrainTimeout time.Duration `envconfig:"KICK_DRAIN_TIMEOUT" default:"25s"` // in-flight work on SIGTERM (under Kubernetes' 30 s grace)
	LockDefault  time.Duration `envconfig:"KICK_LOCK_DEFAULT" default:"15m"`  // how long the Lock meeting button locks (10s to 24h)
	MaxSweep     int           `envconfig:"KICK_MAX_SWEEP" default:"200"`     // most people one "Disconnect all" disconnects
	WatchIdle    time.Duration `envconfig:"KICK_WATCH_IDLE" default:"30m"`    // a meeting stays watched this long after the last list, kick or watch
	WatchMax     int           `envconfig:"KICK_WATCH_MAX" default:"50"`      // meetings watched at once; past it the longest-idle stops

	// Operations.
	HTTPAddr  string `envconfig:"HTTP_ADDR" default:":8080"` // /healthz, /readyz, /metrics; "" disables
	AuditFile string `envconfig:"AUDIT_FILE"`                // optional JSON-lines audit file
	LogLevel  string `envconfig:"LOG_LEVEL" default:"info"`  // trace|debug|info|warn|error
	LogFormat string `envconfig:"LOG_FORMAT" default:"json"` // json|console

	// Pprof also serves Go's profiler (/debug/pprof/) on HTTP_ADDR.
	Pprof bool `envconfig:"KICK_PPROF" default:"false"`

	// Shared state. Unset: one replica, everything in memory. Set: lists,
	// claims, dedupe keys, rate limits, lock timers, control tokens, watch
	// leases and Slack's Retry-After holds live in Redis, so several
	// replicas act as one (README, "Running more than one replica").
	RedisURL    secret.String `envconfig:"REDIS_URL"`                            // redis:// or rediss:// (TLS), may hold a password
	RedisPrefix string        `envconfig:"KICK_REDIS_PREFIX" default:"kickbot:"` // namespaces keys: two apps can share a server

	// SlackPacing paces posts and updates below Slack's documented limits
	// ("slack"); "off" is only for a Slack that enforces none (kickload's
	// throughput scenarios against a lenient fake).
	SlackPacing string `envconfig:"KICK_SLACK_PACING" default:"slack"`
}

// FromEnvironment loads and validates the bot's configuration from the
// process environment. All problems found are reported together.
func FromEnvironment() (Config, error) {
	var c Config
	if err := envconfig.Process("", &c); err != nil {
		return Config{}, redactSecrets(parseError(err), nil)
	}
	if err := resolveSecretFiles(&c, secretsOf(&c, false)); err != nil {
		return Config{}, redactSecrets(err, &c)
	}
	if err := c.validate(); err != nil {
		return Config{}, redactSecrets(err, &c)
	}
	return c, nil
}

// ConsoleFromEnvironment loads only what `kickbot console --real` needs:
// meeting, KICK_CONFERENCES, KICK_MAX_TARGETS, KICK_MAX_SWEEP, AUDIT_FILE
// and log settings (consoleFields).
// No Slack token or KICK_CHANNELS is required. No meeting credentials at all
// passes here (MeetingConfigured reports false; the console refuses --real
// then); half-set credentials are an error.
func ConsoleFromEnvironment() (Config, error) {
	var c Config
	if err := processFields(&c, consoleFields); err != nil {
		return Config{}, redactSecrets(parseError(err), nil)
	}
	if err := resolveSecretFiles(&c, secretsOf(&c, true)); err != nil {
		return Config{}, redactSecrets(err, &c)
	}
	if err := c.validateConsole(); err != nil {
		return Config{}, redactSecrets(err, &c)
	}
	return c, nil
}

// MeetingConfigured reports whether credentials for one meeting auth method
// are complete. After FromEnvironment it is always true.
func (c Config) MeetingConfigured() bool {
	return (c.MeetingAppID != "" && !c.MeetingAppKey.IsZero()) ||
		(c.MeetingAccount != "" && !c.MeetingPassword.IsZero())
}
