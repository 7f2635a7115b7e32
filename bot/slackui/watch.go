package slackui

import (
	"github.com/slack-go/slack"

	"github.com/kickbot/kickbot/commands"
	"github.com/kickbot/kickbot/meeting"
)

// WatchInfo is what the "watching" message says about a watched meeting.
type WatchInfo struct {
	Conference   string
	Subject      string
	Actor        string // Slack user ID of whoever asked
	Participants int
	Live         bool   // the conference socket is up; false: rosters are read as before
	Idle         string // how long it stays watched without interest, e.g. "30m0s"
}

// RenderWatching is the channel message that starts a watch; join alerts
// for the meeting go in its thread.
func RenderWatching(w WatchInfo) Message {
	line := "👀 " + userMention(w.Actor) + " is watching meeting " + Escape(w.Conference)
	if w.Subject != "" {
		line += " (" + Escape(commands.DisplayName(w.Subject)) + ")"
	}
	line += ": " + commands.Plural(w.Participants, "participant", "participants") + " online. " +
		"Anyone who joins without being invited is reported in this thread."
	ctx := "Stops after " + Escape(w.Idle) + " without a list, a kick or a watch; `/kick " + Escape(w.Conference) + " unwatch` stops it now."
	if !w.Live {
		ctx = "⚠️ Live updates are not available right now (the meeting's event socket could not be opened); " +
			"kickbot keeps trying, and reads the participant list on each request meanwhile. " + ctx
	}
	return Message{Text: line, Blocks: appendBlocks([]slack.Block{section(line)}, contextBlock(ctx))}
}

// RenderWatchStarted is the caller's private answer to `watch`.
func RenderWatchStarted(conference string) Message {
	line := "👀 Watching meeting " + Escape(conference) + ". The notice is in the channel."
	return Message{Text: line, Blocks: []slack.Block{section(line)}}
}

// RenderUnwatched says a watch was stopped by someone.
func RenderUnwatched(conference, actor string) Message {
	line := "🛑 " + userMention(actor) + " stopped watching meeting " + Escape(conference) + ". Lists of it no longer update themselves."
	return Message{Text: line, Blocks: []slack.Block{section(line)}}
}

// RenderNotWatched answers `unwatch` for a meeting nobody watches.
func RenderNotWatched(conference string) Message {
	line := "Meeting " + Escape(conference) + " is not being watched; nothing was done."
	return Message{Text: line, Blocks: []slack.Block{section(line)}}
}

// RenderJoinAlert is the notice, in a list's or a "watching" message's
// thread, that someone who is not invited joined a watched meeting. why is
// "anonymous" or "not on the invite list".
func RenderJoinAlert(conference string, p meeting.Participant, why string) Message {
	who := NameMrkdwn(p.Name)
	if p.Phone != "" {
		who += " (" + Escape(p.Phone) + ")"
	}
	line := "🚨 " + who + " joined meeting " + Escape(conference) + " and is not invited: " + Escape(why) + "."
	return Message{Text: line, Blocks: []slack.Block{section(line)}}
}

// RenderJoinAlertNotice is the ops channel's copy of a join alert; channel
// is where the alert was posted ("" if nowhere).
func RenderJoinAlertNotice(channel, conference string, p meeting.Participant, why string) Message {
	m := RenderJoinAlert(conference, p, why)
	line := m.Text
	if channel != "" {
		line += " Reported in " + channelMention(channel) + ", with Disconnect and Waiting room buttons."
	}
	return Message{Text: line, Blocks: []slack.Block{section(line)}}
}
