package commands

import (
	"slices"
	"strings"
)

// Policy says who may disconnect participants, where, and from which
// meetings. It is built from configuration; the zero value allows nothing.
type Policy struct {
	Channels    map[string]bool     // KICK_CHANNELS: channel IDs where /kick works (required)
	Users       map[string]bool     // KICK_USERS: user IDs allowed to kick
	Usergroups  []string            // KICK_USERGROUPS: usergroup IDs (S…) whose members may kick
	Conferences map[string][]string // channel → conference IDs allowed there; a channel absent here may use any
}

// Subject is who asks, and where. Groups holds the caller's memberships among
// Policy.Usergroups as looked up by the bot; nil means the look-up failed.
type Subject struct {
	UserID    string
	ChannelID string
	IsDM      bool
	Groups    map[string]bool
}

// Decision codes, stable for logs and metrics.
const (
	DeniedDM           = "dm"
	DeniedChannel      = "channel"
	DeniedUser         = "user"
	DeniedConference   = "conference"
	DeniedLookupFailed = "lookup_failed"
)

// Decision is the outcome of Authorize. Reason is safe to show the caller
// (plain text); Code is one of the Denied* constants when refused.
type Decision struct {
	Allowed bool
	Reason  string
	Code    string
}

// Authorize decides whether s may act on conference. It fails closed: any
// doubt (a DM, an unlisted channel, an empty policy, a failed usergroup
// look-up, an unknown caller) is a refusal. It checks the Slack user ID,
// never a name, and must run again for whoever clicks a button.
func Authorize(p Policy, s Subject, conference string) Decision {
	switch {
	case s.IsDM || strings.HasPrefix(s.ChannelID, "D"):
		return deny(DeniedDM, "/kick doesn't work in direct messages. Use it in a channel where kickbot is enabled.")
	case s.ChannelID == "" || !p.Channels[s.ChannelID]:
		return deny(DeniedChannel, "/kick isn't enabled in this channel. Ask an admin to add it to KICK_CHANNELS.")
	case s.UserID == "":
		return deny(DeniedUser, "kickbot could not tell who you are, so it refused.")
	}
	if len(p.Users) > 0 || len(p.Usergroups) > 0 {
		if d, ok := authorizeUser(p, s); !ok {
			return d
		}
	}
	if allowed, restricted := p.Conferences[s.ChannelID]; restricted && !slices.Contains(allowed, conference) {
		return deny(DeniedConference, "Meeting "+conference+" can't be managed from this channel.")
	}
	return Decision{Allowed: true}
}

// authorizeUser applies KICK_USERS and KICK_USERGROUPS: being in either is
// enough. A failed group look-up only matters if the user list said no.
func authorizeUser(p Policy, s Subject) (Decision, bool) {
	if p.Users[s.UserID] {
		return Decision{}, true
	}
	if len(p.Usergroups) > 0 {
		if s.Groups == nil {
			return deny(DeniedLookupFailed, "kickbot could not check your usergroup membership right now, so it refused. Try again in a minute."), false
		}
		for _, g := range p.Usergroups {
			if s.Groups[g] {
				return Decision{}, true
			}
		}
	}
	return deny(DeniedUser, "You are not allowed to disconnect meeting participants. Ask an admin if you need to."), false
}

func deny(code, reason string) Decision { return Decision{Code: code, Reason: reason} }
