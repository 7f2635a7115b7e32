package config

import (
	"fmt"
	"regexp"
	"strings"
)

// IDList is a list of Slack IDs, separated by commas and/or spaces.
// Duplicates collapse; order is kept.
type IDList []string

// Decode implements envconfig.Decoder.
func (l *IDList) Decode(v string) error {
	if err := unquoted(v); err != nil {
		return err
	}
	*l = splitIDs(v)
	return nil
}

// unquoted refuses a value with quote marks in it. No list value needs one,
// and `docker --env-file` and Compose's env_file keep the quotes a shell
// would remove, so they are the likely cause: the error says what to do.
func unquoted(v string) error {
	if strings.ContainsAny(v, "\"'") {
		return fmt.Errorf("%q contains quote marks: remove the quotes (docker --env-file and env_file keep them; only a shell removes them)", v)
	}
	return nil
}

func splitIDs(v string) []string {
	fields := strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' || r == '\r' })
	out := make([]string, 0, len(fields))
	seen := make(map[string]bool, len(fields))
	for _, f := range fields {
		if !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	return out
}

// Conferences is every conference ID listed, in order, without repeats.
func (m ConferenceMap) Conferences() []string {
	var all []string
	for _, ch := range sortedKeys(m) {
		all = append(all, m[ch]...)
	}
	return splitIDs(strings.Join(all, " "))
}

// ConferenceMap maps a channel ID to the conference IDs allowed in it.
// Format: "C123:914083136 914083137;C456:111" (see Config.KickConferences).
type ConferenceMap map[string][]string

// conferenceIDPattern matches what the meeting client accepts as a
// conference ID, so a typo is caught at start-up rather than at /kick time.
var conferenceIDPattern = regexp.MustCompile(`^[A-Za-z0-9]{1,64}$`)

// Decode implements envconfig.Decoder. It checks the syntax; Config.validate
// checks the channel IDs against KICK_CHANNELS.
func (m *ConferenceMap) Decode(v string) error {
	if err := unquoted(v); err != nil {
		return err
	}
	out := ConferenceMap{}
	for entry := range strings.SplitSeq(v, ";") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		channel, confs, ok := strings.Cut(entry, ":")
		channel = strings.TrimSpace(channel)
		if !ok || channel == "" {
			return fmt.Errorf("entry %q is not CHANNEL:CONFERENCE [CONFERENCE …]", entry)
		}
		if _, dup := out[channel]; dup {
			return fmt.Errorf("channel %s is listed twice", channel)
		}
		ids := splitIDs(confs)
		if len(ids) == 0 {
			return fmt.Errorf("channel %s lists no conference (leave it out to allow any)", channel)
		}
		for _, id := range ids {
			if !conferenceIDPattern.MatchString(id) {
				return fmt.Errorf("channel %s: %q is not a conference ID (letters and digits, at most 64)", channel, id)
			}
		}
		out[channel] = ids
	}
	*m = out
	return nil
}
