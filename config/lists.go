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
	*l = splitIDs(v)
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

// ConferenceMap maps a channel ID to the conference IDs allowed in it.
// Format: "C123:914083136 914083137;C456:111" (see Config.KickConferences).
type ConferenceMap map[string][]string

// conferenceIDPattern matches what the meeting client accepts as a
// conference ID, so a typo is caught at start-up rather than at /kick time.
var conferenceIDPattern = regexp.MustCompile(`^[A-Za-z0-9]{1,64}$`)

// Decode implements envconfig.Decoder. It checks the syntax; Config.validate
// checks the channel IDs against KICK_CHANNELS.
func (m *ConferenceMap) Decode(v string) error {
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
