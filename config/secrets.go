package config

import (
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"

	"github.com/kelseyhightower/envconfig"

	"github.com/kickbot/kickbot/secret"
)

// maxSecretFile bounds how much of a NAME_FILE is read, so a mistake such as
// SLACK_BOT_TOKEN_FILE=/dev/zero fails instead of eating memory.
const maxSecretFile = 64 << 10

// secretVar ties a secret variable's name to the field it fills.
type secretVar struct {
	name string
	dst  *secret.String
}

// isSecret reports whether a variable's value must never be shown.
func isSecret(name string) bool {
	for _, v := range secretsOf(&Config{}, false) {
		if v.name == name {
			return true
		}
	}
	return false
}

// slackTokenPattern matches Slack tokens (xoxb-…, xoxp-…, xapp-…) by shape.
var slackTokenPattern = regexp.MustCompile(`(?i)\b(xox[a-z]|xapp)-[A-Za-z0-9-]+`)

// minRedacted is the shortest secret value searched for in error text;
// shorter ones would blank out ordinary words.
const minRedacted = 4

// redactSecrets keeps secrets out of an error's text even when one was put
// in the wrong variable: a token pasted into KICK_USERS or KICK_MAX_TARGETS
// is still a secret, and parse and validation errors quote the bad value.
// It hides anything shaped like a Slack token and the values of the secret
// variables (from the environment, and from c when their files were read),
// case-insensitively since some values are lower-cased before being quoted.
// Other values stay quoted: that is what makes the errors useful.
func redactSecrets(err error, c *Config) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	out := slackTokenPattern.ReplaceAllString(msg, "${1}-[REDACTED]")
	var values []string
	for _, v := range secretsOf(&Config{}, false) {
		values = append(values, os.Getenv(v.name))
	}
	if c != nil {
		for _, v := range secretsOf(c, false) {
			values = append(values, v.dst.Reveal())
		}
	}
	for _, v := range values {
		if v = strings.TrimSpace(v); len(v) >= minRedacted {
			out = regexp.MustCompile("(?i)"+regexp.QuoteMeta(v)).ReplaceAllLiteralString(out, "[REDACTED]")
		}
	}
	if out == msg {
		return err
	}
	return errors.New(out) // not wrapped: the wrapped errors still hold the raw values
}

// secretsOf is the one list of secret variables, with the fields of c they
// fill; consoleOnly leaves out the Slack tokens the console never reads.
func secretsOf(c *Config, consoleOnly bool) []secretVar {
	vars := []secretVar{
		{"MEETING_APP_KEY", &c.MeetingAppKey},
		{"MEETING_PASSWORD", &c.MeetingPassword},
	}
	if !consoleOnly {
		vars = append(vars, secretVar{"SLACK_APP_TOKEN", &c.SlackAppToken}, secretVar{"SLACK_BOT_TOKEN", &c.SlackBotToken},
			secretVar{"REDIS_URL", &c.RedisURL}) // its password
	}
	return vars
}

// resolveSecretFiles fills each secret from NAME_FILE when that is set.
// Only file paths and variable names appear in errors.
func resolveSecretFiles(c *Config, vars []secretVar) error {
	var errs []error
	for _, v := range vars {
		fileVar := v.name + "_FILE"
		path, _ := os.LookupEnv(fileVar)
		if path == "" {
			continue
		}
		if !v.dst.IsZero() {
			errs = append(errs, fmt.Errorf("set %s or %s, not both", v.name, fileVar))
			continue
		}
		val, err := readSecretFile(path)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", fileVar, err))
			continue
		}
		_ = v.dst.Decode(val) // trims the trailing newline; never fails
		if v.dst.IsZero() {
			errs = append(errs, fmt.Errorf("%s: %s is empty", fileVar, path))
		}
	}
	return errors.Join(errs...)
}

func readSecretFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err // *fs.PathError: names the path, not the content
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxSecretFile+1))
	if err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	if len(b) > maxSecretFile {
		return "", fmt.Errorf("%s is larger than %d bytes; is it the right file?", path, maxSecretFile)
	}
	return string(b), nil
}

// parseError rewrites envconfig's errors, which quote the raw value and Go
// field names, into one that names the variable. A secret's value is never
// shown (secret.String.Decode cannot fail today; this keeps it that way if
// it ever does).
func parseError(err error) error {
	var pe *envconfig.ParseError
	if !errors.As(err, &pe) {
		return err
	}
	switch {
	case isSecret(pe.KeyName):
		return fmt.Errorf("%s: invalid value", pe.KeyName)
	case pe.Value == "":
		return fmt.Errorf("%s is set but empty; unset it to use the default", pe.KeyName)
	case pe.TypeName == "time.Duration":
		return fmt.Errorf("%s: %q is not a duration (e.g. 30s, 10m)", pe.KeyName, pe.Value)
	case pe.TypeName == "int":
		return fmt.Errorf("%s: %q is not a whole number", pe.KeyName, pe.Value)
	default:
		// Our own decoders (IDList, ConferenceMap) write messages that quote
		// only the offending part.
		return fmt.Errorf("%s: %w", pe.KeyName, pe.Err)
	}
}
