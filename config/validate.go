package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/kickbot/kickbot/commands"
)

// Slack ID shapes. IDs are upper-case letters and digits after a type
// prefix; a name such as "#general" or "@mods" is the usual mistake.
var (
	channelIDPattern   = regexp.MustCompile(`^[CG][A-Z0-9]+$`)
	userIDPattern      = regexp.MustCompile(`^[UW][A-Z0-9]+$`)
	usergroupIDPattern = regexp.MustCompile(`^S[A-Z0-9]+$`)
)

// validate checks and normalises a bot configuration.
func (c *Config) validate() error {
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}

	add(checkToken("SLACK_APP_TOKEN", c.SlackAppToken.Reveal(), "xapp-", "an app-level token (xapp-…)"))
	add(checkToken("SLACK_BOT_TOKEN", c.SlackBotToken.Reveal(), "xoxb-", "a bot token (xoxb-…)"))
	if u, err := checkURL("SLACK_API_URL", c.SlackAPIURL); err != nil {
		add(err)
	} else if !strings.HasSuffix(u, "/") {
		c.SlackAPIURL = u + "/" // slack-go appends method names directly
	}

	add(c.validateMeeting(true))

	if len(c.KickChannels) == 0 {
		add(errors.New("KICK_CHANNELS is required: list the channel IDs (C…/G…) where /kick may be used; the bot refuses to start without it"))
	}
	add(checkIDs("KICK_CHANNELS", c.KickChannels, channelIDPattern, "a channel ID (C… or G…; use the ID, not the #name)"))
	add(checkIDs("KICK_USERS", c.KickUsers, userIDPattern, "a user ID (U… or W…)"))
	add(checkIDs("KICK_USERGROUPS", c.KickUsergroups, usergroupIDPattern, "a usergroup ID (S…; use the ID, not the @handle)"))
	listed := make(map[string]bool, len(c.KickChannels))
	for _, ch := range c.KickChannels {
		listed[ch] = true
	}
	for _, ch := range sortedKeys(c.KickConferences) {
		switch {
		case !channelIDPattern.MatchString(ch):
			add(fmt.Errorf("KICK_CONFERENCES: %q is not a channel ID (C… or G…)", ch))
		case !listed[ch]:
			add(fmt.Errorf("KICK_CONFERENCES: channel %s is not in KICK_CHANNELS", ch))
		}
	}
	if c.OpsChannel != "" && !channelIDPattern.MatchString(c.OpsChannel) {
		add(fmt.Errorf("OPS_CHANNEL: %q is not a channel ID (C… or G…)", c.OpsChannel))
	}

	add(atLeast("KICK_MAX_TARGETS", c.MaxTargets, 1))
	add(atLeast("KICK_MAX_SWEEP", c.MaxSweep, 1))
	add(atLeast("KICK_USER_RATE", c.UserRate, 1))
	add(atLeast("KICK_WORKERS", c.Workers, 1))
	add(atLeast("KICK_QUEUE_SIZE", c.QueueSize, 1))
	add(positive("KICK_LIST_MAX_AGE", c.ListMaxAge))
	add(positive("KICK_DRAIN_TIMEOUT", c.DrainTimeout))
	if c.LockDefault < commands.MinLockDuration || c.LockDefault > commands.MaxLockDuration {
		add(fmt.Errorf("KICK_LOCK_DEFAULT: %s is outside 10s to 24h", c.LockDefault))
	}
	add(positive("KICK_WATCH_IDLE", c.WatchIdle))
	add(atLeast("KICK_WATCH_MAX", c.WatchMax, 1))

	if c.HTTPAddr != "" {
		if _, _, err := net.SplitHostPort(c.HTTPAddr); err != nil {
			add(fmt.Errorf("HTTP_ADDR: %q is not host:port (e.g. :8080); leave it empty to disable", c.HTTPAddr))
		}
	}
	add(c.validateRedis())
	add(c.validateLog())
	return errors.Join(errs...)
}

// validateRedis checks REDIS_URL's shape without connecting (the bot
// connects at start and /readyz reports it). The URL is a secret: errors
// name the variable, never the value.
func (c *Config) validateRedis() error {
	var errs []error
	if u := strings.TrimSpace(c.RedisURL.Reveal()); u != "" {
		parsed, err := url.Parse(u)
		switch {
		case err != nil:
			errs = append(errs, errors.New("REDIS_URL: not a URL; use redis://[:password@]host:6379/0 or rediss:// for TLS"))
		case parsed.Scheme != "redis" && parsed.Scheme != "rediss":
			errs = append(errs, errors.New("REDIS_URL: the scheme must be redis:// or rediss:// (TLS)"))
		case parsed.Host == "":
			errs = append(errs, errors.New("REDIS_URL: no host; use redis://[:password@]host:6379/0"))
		}
	}
	if c.RedisPrefix == "" || strings.ContainsAny(c.RedisPrefix, " \t\r\n") {
		errs = append(errs, fmt.Errorf("KICK_REDIS_PREFIX: %q must be non-empty with no spaces (e.g. kickbot:)", c.RedisPrefix))
	}
	return errors.Join(errs...)
}

// validateConsole checks what `kickbot console` reads.
func (c *Config) validateConsole() error {
	return errors.Join(c.validateMeeting(false), atLeast("KICK_MAX_TARGETS", c.MaxTargets, 1),
		atLeast("KICK_MAX_SWEEP", c.MaxSweep, 1), c.validateLog())
}

// validateMeeting checks the meeting API settings. Exactly one auth method
// must be complete; with required false, none at all is fine too.
func (c *Config) validateMeeting(required bool) error {
	var errs []error
	u, err := checkURL("MEETING_API_URL", c.MeetingAPIURL)
	if err != nil {
		errs = append(errs, err)
	} else {
		c.MeetingAPIURL = strings.TrimRight(u, "/")
	}

	half := func(have string, haveSet bool, missing string, missingSet bool) {
		if haveSet && !missingSet {
			errs = append(errs, fmt.Errorf("%s is set but %s is missing", have, missing))
		}
	}
	appID, appKey := c.MeetingAppID != "", !c.MeetingAppKey.IsZero()
	account, password := c.MeetingAccount != "", !c.MeetingPassword.IsZero()
	half("MEETING_APP_ID", appID, "MEETING_APP_KEY", appKey)
	half("MEETING_APP_KEY", appKey, "MEETING_APP_ID", appID)
	half("MEETING_ACCOUNT", account, "MEETING_PASSWORD", password)
	half("MEETING_PASSWORD", password, "MEETING_ACCOUNT", account)
	switch {
	case len(errs) > 0:
	case appID && account:
		errs = append(errs, errors.New("set either MEETING_APP_ID/MEETING_APP_KEY (App ID auth) or MEETING_ACCOUNT/MEETING_PASSWORD (account auth), not both"))
	case required && !appID && !account:
		errs = append(errs, errors.New("meeting credentials are required: set MEETING_APP_ID and MEETING_APP_KEY (App ID auth, preferred) or MEETING_ACCOUNT and MEETING_PASSWORD (account auth)"))
	}

	errs = append(errs, positive("MEETING_TIMEOUT", c.MeetingTimeout), atLeast("MEETING_MAX_PER_HANGUP", c.MeetingMaxPerHangUp, 0))
	return errors.Join(errs...)
}

func (c *Config) validateLog() error {
	var errs []error
	c.LogLevel = strings.ToLower(strings.TrimSpace(c.LogLevel))
	if lvl, err := zerolog.ParseLevel(c.LogLevel); err != nil || c.LogLevel == "" || lvl == zerolog.NoLevel {
		errs = append(errs, fmt.Errorf("LOG_LEVEL: %q is not one of trace, debug, info, warn, error", c.LogLevel))
	}
	c.SlackPacing = strings.ToLower(strings.TrimSpace(c.SlackPacing))
	if c.SlackPacing == "" { // the console reads no Slack settings
		c.SlackPacing = "slack"
	}
	if c.SlackPacing != "slack" && c.SlackPacing != "off" {
		errs = append(errs, fmt.Errorf("KICK_SLACK_PACING: %q is not slack or off", c.SlackPacing))
	}
	c.LogFormat = strings.ToLower(strings.TrimSpace(c.LogFormat))
	if c.LogFormat != "json" && c.LogFormat != "console" {
		errs = append(errs, fmt.Errorf("LOG_FORMAT: %q is not json or console", c.LogFormat))
	}
	return errors.Join(errs...)
}

// checkToken never puts the value in its error: a token pasted into the
// wrong variable is still a secret.
func checkToken(name, v, prefix, what string) error {
	switch {
	case v == "":
		return fmt.Errorf("%s is required (or %s_FILE)", name, name)
	case !strings.HasPrefix(v, prefix):
		return fmt.Errorf("%s must be %s", name, what)
	}
	return nil
}

func checkURL(name, v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", fmt.Errorf("%s is set but empty; unset it to use the default", name)
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return "", fmt.Errorf("%s: %q is not an http(s) URL", name, redactURL(v, u))
	}
	return v, nil
}

// redactURL drops user info, which could hold a password, from an invalid URL
// before it is quoted in an error.
func redactURL(raw string, u *url.URL) string {
	if u != nil && u.User != nil {
		return u.Redacted()
	}
	return raw
}

func checkIDs(name string, ids []string, pattern *regexp.Regexp, what string) error {
	for _, id := range ids {
		if !pattern.MatchString(id) {
			return fmt.Errorf("%s: %q is not %s", name, id, what)
		}
	}
	return nil
}

func atLeast(name string, v, lowest int) error {
	if v < lowest {
		return fmt.Errorf("%s must be at least %d, not %d", name, lowest, v)
	}
	return nil
}

func positive(name string, d time.Duration) error {
	if d <= 0 {
		return fmt.Errorf("%s must be a positive duration (e.g. 10s), not %s", name, d)
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
