package slackui

import (
	"strconv"
	"strings"

	"github.com/slack-go/slack"

	"github.com/kickbot/kickbot/commands"
)

// maxRequestIDsShown bounds the Huawei request IDs one message repeats.
const maxRequestIDsShown = 5

// mrkdwnMarkup is commands.Markup for Slack: text chosen by outsiders goes through
// escapeText (see commands.OneLine for the policy).
type mrkdwnMarkup struct{}

func (mrkdwnMarkup) Escape(s string) string   { return escapeText(s) }
func (mrkdwnMarkup) Bold(s string) string     { return "*" + s + "*" }
func (mrkdwnMarkup) Code(s string) string     { return "`" + s + "`" }
func (mrkdwnMarkup) Mention(id string) string { return userMention(id) }

// RenderHelp is the reply to "/kick" and "/kick help".
func RenderHelp() Message {
	u := Escape(commands.Usage())
	return Message{Text: u, Blocks: []slack.Block{section(u)}}
}

// RenderInputError says what was wrong with the command, then shows usage.
func RenderInputError(err error) Message {
	line := "⚠️ " + Escape(commands.InputMessage(err))
	return Message{Text: line, Blocks: []slack.Block{section(line), section(Escape(commands.Usage()))}}
}

// RenderDenied tells the caller why they were refused.
func RenderDenied(d commands.Decision) Message {
	reason := d.Reason
	if reason == "" {
		reason = "kickbot refused this request."
	}
	line := "🚫 " + Escape(reason)
	return Message{Text: line, Blocks: []slack.Block{section(line)}}
}

// RenderAmbiguous shows the candidates for names that match several
// participants. It replaces the kick: kickbot never guesses. In Slack the
// bot follows it with the candidates' Disconnect buttons, so it points
// there first; repeating the command with a participant ID also works.
func RenderAmbiguous(k commands.Kick, amb []commands.Ambiguity) Message {
	return renderAmbiguous(k, amb, "Click Disconnect beside the one you mean below, or run /kick again with their participant ID.")
}

// renderAmbiguous is the candidates for ambiguous names, after an intro
// that ends with what to do next.
func renderAmbiguous(k commands.Kick, amb []commands.Ambiguity, next string) Message {
	intro := commands.AmbiguousIntro(k, amb, mrkdwnMarkup{}, next)
	blocks := []slack.Block{section(intro)}
	blocks = append(blocks, lineSections(commands.AmbiguousLines(amb, mrkdwnMarkup{}), MaxBlocks-len(blocks))...)
	return Message{Text: intro, Blocks: blocks}
}

// RenderStarted is the parent message posted before the disconnect call.
// actorMention is used when it is a plain user mention ("<@U123>");
// otherwise the kick's Actor is mentioned.
func RenderStarted(k commands.Kick, actorMention string) Message {
	who := userMention(k.Actor)
	if isUserMention(actorMention) {
		who = actorMention
	}
	line := "⏳ " + who + " is disconnecting " + commands.Plural(len(k.Targets), "participant", "participants") +
		" from meeting " + Escape(k.Conference) + " …"
	return Message{Text: line, Blocks: appendBlocks([]slack.Block{section(line)}, reasonContext(k.Reason))}
}

func isUserMention(s string) bool {
	return strings.HasPrefix(s, "<@") && strings.HasSuffix(s, ">") && isSlackID(s[2:len(s)-1])
}

// RenderOutcome is the thread reply: a summary, one line per target, and
// the reason, who asked and Huawei's request IDs.
func RenderOutcome(o commands.Outcome) Message {
	head := commands.Summary(o, mrkdwnMarkup{})
	blocks := []slack.Block{section(head)}
	lines := make([]string, len(o.Targets))
	for i, t := range o.Targets {
		lines[i] = commands.OutcomeLine(t, mrkdwnMarkup{})
	}
	footer := contextBlock(reasonPart(o.Kick.Reason), "Requested by "+userMention(o.Kick.Actor), requestIDPart(o.RequestIDs))
	room := MaxBlocks - len(blocks)
	if footer != nil {
		room--
	}
	blocks = append(blocks, lineSections(lines, room)...)
	return Message{Text: head, Blocks: appendBlocks(blocks, footer)}
}

// RenderParentFinal replaces the parent message once the kick is over.
func RenderParentFinal(o commands.Outcome) Message {
	who := userMention(o.Kick.Actor)
	ref := commands.MeetingRef(o, mrkdwnMarkup{})
	var line string
	switch o.Status {
	case commands.StatusDone:
		line = "✅ " + who + " disconnected " + commands.Plural(o.Gone(), "participant", "participants") + " from " + ref + "."
	case commands.StatusPartial:
		line = "⚠️ " + who + " disconnected " + strconv.Itoa(o.Gone()) + " of " +
			commands.Plural(len(o.Targets), "participant", "participants") + " from " + ref + ". Details in the thread."
	case commands.StatusNothingToDo:
		line = "❓ " + who + " asked to disconnect participants from " + ref + ", but none could be (" +
			commands.Counts(o) + "). Details in the thread."
	default:
		line = "❌ " + who + " could not disconnect participants from " + ref + "." + commands.FailureSuffix(o, mrkdwnMarkup{})
	}
	return Message{Text: line, Blocks: appendBlocks([]slack.Block{section(line)}, reasonContext(o.Kick.Reason))}
}

// RenderOpsNotice tells the ops channel who kicked whom, where, with what
// result, and links to the thread.
func RenderOpsNotice(o commands.Outcome, permalink string) Message {
	line := statusMarker(o.Status) + " " + userMention(o.Kick.Actor) + " in " + channelMention(o.Kick.Channel) + ": " +
		commands.Summary(o, mrkdwnMarkup{})
	if link := threadLink(permalink); link != "" {
		line += " " + link
	}
	blocks := appendBlocks([]slack.Block{section(line)},
		contextBlock(reasonPart(o.Kick.Reason), requestIDPart(o.RequestIDs)))
	return Message{Text: line, Blocks: blocks}
}

// RenderDeniedNotice tells the ops channel about a refused attempt.
func RenderDeniedNotice(user, channel, conference string, d commands.Decision) Message {
	line := "🚫 " + userMention(user) + " was refused in " + channelMention(channel)
	if conference != "" {
		line += " (meeting " + Escape(conference) + ")"
	}
	reason := d.Reason
	if reason == "" {
		reason = "refused"
	}
	line += ": " + Escape(reason)
	if d.Code != "" {
		line += " [" + Escape(d.Code) + "]"
	}
	return Message{Text: line, Blocks: []slack.Block{section(line)}}
}

func statusMarker(s commands.Status) string {
	switch s {
	case commands.StatusDone:
		return "✅"
	case commands.StatusPartial:
		return "⚠️"
	case commands.StatusNothingToDo:
		return "❓"
	}
	return "❌"
}

func reasonPart(reason string) string {
	if reason == "" {
		return ""
	}
	return "Reason: " + escapeText(reason)
}

func reasonContext(reason string) slack.Block { return contextBlock(reasonPart(reason)) }

func requestIDPart(ids []string) string {
	if len(ids) == 0 {
		return ""
	}
	shown := ids
	if len(shown) > maxRequestIDsShown {
		shown = shown[:maxRequestIDsShown]
	}
	esc := make([]string, len(shown))
	for i, id := range shown {
		esc[i] = escapeText(commands.Clip(id, 80))
	}
	s := commands.RequestIDLabel(ids) + strings.Join(esc, ", ")
	if len(ids) > len(shown) {
		s += " and " + strconv.Itoa(len(ids)-len(shown)) + " more"
	}
	return s
}

// threadLink links a Slack permalink, or gives "" if it does not look like
// one: an https URL with nothing that could break out of <url|label>.
func threadLink(permalink string) string {
	if !strings.HasPrefix(permalink, "https://") || len(permalink) > 1000 ||
		strings.ContainsAny(permalink, "<>| \t\r\n") {
		return ""
	}
	return "<" + permalink + "|View thread>"
}
