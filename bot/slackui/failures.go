package slackui

import (
	"github.com/slack-go/slack"

	"github.com/kickbot/kickbot/commands"
)

// RenderFailure tells the caller that a command failed before anything was
// disconnected (the roster could not be read, say). err is explained with
// UserMessage; nothing of it is shown raw.
func RenderFailure(k commands.Kick, err error) Message {
	line := "❌ Nothing was done"
	if k.Conference != "" {
		line += " in meeting " + Escape(k.Conference)
	}
	line += ". " + Escape(commands.UserMessage(commands.InMeeting(k.Conference, err)))
	return Message{Text: line, Blocks: []slack.Block{section(line)}}
}

// RenderFailureNotice tells the ops channel about a command that failed
// before anything was disconnected.
func RenderFailureNotice(k commands.Kick, err error) Message {
	line := "❌ " + userMention(k.Actor) + " in " + channelMention(k.Channel) + ": nothing was done"
	if k.Conference != "" {
		line += " in meeting " + Escape(k.Conference)
	}
	if n := len(k.Targets); n > 0 {
		line += " (" + commands.Plural(n, "participant", "participants") + " named)"
	}
	line += ". " + Escape(commands.UserMessage(commands.InMeeting(k.Conference, err)))
	return Message{Text: line, Blocks: appendBlocks([]slack.Block{section(line)},
		contextBlock(reasonPart(k.Reason), requestIDPart(commands.ErrRequestIDs(err))))}
}

// RenderCannotPost tells the caller that kickbot could not post in the
// channel, so nothing was done. notMember: Slack said the bot is not in the
// channel (or cannot see it), which the caller can fix by inviting it.
func RenderCannotPost(k commands.Kick, notMember bool) Message {
	line := "⚠️ kickbot could not post its message in this channel, so nothing was done"
	if k.Conference != "" {
		line += " in meeting " + Escape(k.Conference)
	}
	if notMember {
		line += ". Invite kickbot to the channel (/invite @kickbot) and try again."
	} else {
		line += ". Try again in a minute."
	}
	return Message{Text: line, Blocks: []slack.Block{section(line)}}
}

// RenderCannotPostNotice tells the ops channel that a kick did not run
// because kickbot could not post in its channel (code is Slack's error, e.g.
// "not_in_channel"): usually a channel in KICK_CHANNELS the bot was never
// invited to.
func RenderCannotPostNotice(k commands.Kick, code string) Message {
	line := "⚠️ " + userMention(k.Actor) + " in " + channelMention(k.Channel) + ": nothing was done"
	if k.Conference != "" {
		line += " in meeting " + Escape(k.Conference)
	}
	line += " because kickbot could not post in that channel"
	if code != "" {
		line += " (" + Escape(code) + ")"
	}
	line += "."
	return Message{Text: line, Blocks: []slack.Block{section(line)}}
}
