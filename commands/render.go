package commands

import (
	"errors"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/kickbot/kickbot/meeting"
)

// Limits on what one rendered message repeats.
const (
	maxCandidatesShown = 10 // per ambiguous name
	maxAmbiguousShown  = 10 // ambiguous names listed in one message
	maxRequestIDsShown = 5
	maxPhoneRunes      = 40
	maxTargetRunes     = 100 // a target as typed, echoed back
)

// usage is plain text; Slack gets it through Escape (its <meeting ID> would
// otherwise read as a link). Backticks mark code in Slack and are dropped by
// the console.
const usage = "Usage:\n" +
	"• `/kick <meeting ID> <participant> [<participant> …] [-- <reason>]` — disconnect participants\n" +
	"• `/kick <meeting ID>` — list the participants, with a Disconnect button beside each\n" +
	"• `/kick help` — show this help\n" +
	"The meeting ID is letters and digits; dashes are ignored, so 914-083-136 works.\n" +
	"A participant is one of:\n" +
	"• a participant ID: 8–128 letters, digits, - or _, with at least one digit (the ID from the list)\n" +
	"• a phone number: + and 5–20 digits, or 7–20 digits without +; dashes between digits are ignored\n" +
	"• a display name in double quotes: \"Jane Doe\" (straight or curly quotes; write \\\" for a quote inside a name; case and extra spaces don't matter)\n" +
	"Separate participants with spaces or commas; repeats are ignored; at most 50 per command by default. " +
	"Everything after -- (or —) is the reason, at most 500 characters. A command is at most 2,000 characters.\n" +
	"The host and co-hosts are never disconnected, and a name that matches several participants is never guessed.\n" +
	"Example: `/kick 914083136 ba9acb1e216d11eabc5165c2b91ad427 \"Jane Doe\" +8613800000000 -- spamming`"

// Usage is the /kick grammar for people, as plain text.
func Usage() string { return usage }

// RenderHelp is the reply to "/kick" and "/kick help".
func RenderHelp() Message {
	u := Escape(usage)
	return Message{Text: u, Blocks: []slack.Block{section(u)}}
}

// RenderInputError says what was wrong with the command, then shows usage.
func RenderInputError(err error) Message {
	msg := "kickbot could not understand that command."
	var ie *InputError
	if errors.As(err, &ie) && ie.Msg != "" {
		msg = capitalize(ie.Msg) // error strings are lower case; a message to a person starts a sentence
	}
	line := "⚠️ " + Escape(msg)
	return Message{Text: line, Blocks: []slack.Block{section(line), section(Escape(usage))}}
}

func capitalize(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}

// RenderDenied tells the caller why they were refused.
func RenderDenied(d Decision) Message {
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
func RenderAmbiguous(k Kick, amb []Ambiguity) Message {
	intro := ambiguousIntro(k, amb, mrkdwnStyle, "Click Disconnect beside the one you mean below, or run /kick again with their participant ID.")
	blocks := []slack.Block{section(intro)}
	blocks = append(blocks, lineSections(ambiguousLines(amb, mrkdwnStyle), maxBlocks-len(blocks))...)
	return Message{Text: intro, Blocks: blocks}
}

// RenderAmbiguousText is RenderAmbiguous as plain text for a terminal.
func RenderAmbiguousText(k Kick, amb []Ambiguity) string {
	lines := append([]string{ambiguousIntro(k, amb, plainStyle, "Run /kick again with the participant ID of the one you mean.")}, ambiguousLines(amb, plainStyle)...)
	return strings.Join(lines, "\n")
}

func ambiguousIntro(k Kick, amb []Ambiguity, st style, next string) string {
	return "Nothing was done: " + ambiguousCount(len(amb)) + " more than one participant of meeting " +
		st.esc(k.Conference) + ", and kickbot never guesses. " + next
}

func ambiguousLines(amb []Ambiguity, st style) []string {
	var lines []string
	for i, a := range amb {
		if i == maxAmbiguousShown {
			lines = append(lines, "…and "+ambiguousCount(len(amb)-i)+" several participants too.")
			break
		}
		lines = append(lines, st.bold(st.esc(clip(a.Target.String(), maxTargetRunes)))+" matches "+
			plural(len(a.Candidates), "participant", "participants")+":")
		for j, p := range a.Candidates {
			if j == maxCandidatesShown {
				lines = append(lines, "  …and "+strconv.Itoa(len(a.Candidates)-j)+" more")
				break
			}
			lines = append(lines, "• "+participantLine(p, st))
		}
	}
	return lines
}

func ambiguousCount(n int) string {
	if n == 1 {
		return "a name matches"
	}
	return strconv.Itoa(n) + " names match"
}

// participantLine describes a candidate: name, phone, state, role and ID.
func participantLine(p meeting.Participant, st style) string {
	parts := []string{st.bold(st.esc(displayName(p.Name)))}
	if ph := oneLine(p.Phone); ph != "" {
		parts = append(parts, st.esc(clip(ph, maxPhoneRunes)))
	}
	parts = append(parts, p.State.String())
	if role := roleOf(p); role != "" {
		parts = append(parts, role+" (never disconnected)")
	}
	parts = append(parts, "ID "+st.code(st.esc(clip(oneLine(p.ID), maxIDLen))))
	return strings.Join(parts, " · ")
}

func roleOf(p meeting.Participant) string {
	switch {
	case p.Host:
		return "host"
	case p.CoHost:
		return "co-host"
	}
	return ""
}

// RenderStarted is the parent message posted before the disconnect call.
// actorMention is used when it is a plain user mention ("<@U123>");
// otherwise the kick's Actor is mentioned.
func RenderStarted(k Kick, actorMention string) Message {
	who := userMention(k.Actor)
	if isUserMention(actorMention) {
		who = actorMention
	}
	line := "⏳ " + who + " is disconnecting " + plural(len(k.Targets), "participant", "participants") +
		" from meeting " + Escape(k.Conference) + " …"
	return Message{Text: line, Blocks: appendBlocks([]slack.Block{section(line)}, reasonContext(k.Reason))}
}

func isUserMention(s string) bool {
	return strings.HasPrefix(s, "<@") && strings.HasSuffix(s, ">") && isSlackID(s[2:len(s)-1])
}

// RenderOutcome is the thread reply: a summary, one line per target, and
// the reason, who asked and Huawei's request IDs.
func RenderOutcome(o Outcome) Message {
	head := summary(o, mrkdwnStyle)
	blocks := []slack.Block{section(head)}
	lines := make([]string, len(o.Targets))
	for i, t := range o.Targets {
		lines[i] = outcomeLine(t, mrkdwnStyle)
	}
	footer := contextBlock(reasonPart(o.Kick.Reason), "Requested by "+userMention(o.Kick.Actor), requestIDPart(o.RequestIDs))
	room := maxBlocks - len(blocks)
	if footer != nil {
		room--
	}
	blocks = append(blocks, lineSections(lines, room)...)
	return Message{Text: head, Blocks: appendBlocks(blocks, footer)}
}

// RenderParentFinal replaces the parent message once the kick is over.
func RenderParentFinal(o Outcome) Message {
	who := userMention(o.Kick.Actor)
	ref := meetingRef(o, mrkdwnStyle)
	var line string
	switch o.Status {
	case StatusDone:
		line = "✅ " + who + " disconnected " + plural(o.Gone(), "participant", "participants") + " from " + ref + "."
	case StatusPartial:
		line = "⚠️ " + who + " disconnected " + strconv.Itoa(o.Gone()) + " of " +
			plural(len(o.Targets), "participant", "participants") + " from " + ref + ". Details in the thread."
	case StatusNothingToDo:
		line = "❓ " + who + " asked to disconnect participants from " + ref + ", but none could be (" +
			counts(o) + "). Details in the thread."
	default:
		line = "❌ " + who + " could not disconnect participants from " + ref + "." + failureSuffix(o, mrkdwnStyle)
	}
	return Message{Text: line, Blocks: appendBlocks([]slack.Block{section(line)}, reasonContext(o.Kick.Reason))}
}

// RenderOpsNotice tells the ops channel who kicked whom, where, with what
// result, and links to the thread.
func RenderOpsNotice(o Outcome, permalink string) Message {
	line := statusMarker(o.Status) + " " + userMention(o.Kick.Actor) + " in " + channelMention(o.Kick.Channel) + ": " +
		summary(o, mrkdwnStyle)
	if link := threadLink(permalink); link != "" {
		line += " " + link
	}
	blocks := appendBlocks([]slack.Block{section(line)},
		contextBlock(reasonPart(o.Kick.Reason), requestIDPart(o.RequestIDs)))
	return Message{Text: line, Blocks: blocks}
}

// RenderDeniedNotice tells the ops channel about a refused attempt.
func RenderDeniedNotice(user, channel, conference string, d Decision) Message {
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

// RenderOutcomeText is the outcome as plain text for a terminal: no mrkdwn,
// no escaping, names on one line each.
func RenderOutcomeText(o Outcome) string {
	var b strings.Builder
	b.WriteString(summary(o, plainStyle))
	for _, t := range o.Targets {
		b.WriteString("\n  ")
		b.WriteString(outcomeLine(t, plainStyle))
	}
	if r := oneLine(o.Kick.Reason); r != "" {
		b.WriteString("\nReason: " + r)
	}
	if len(o.RequestIDs) > 0 {
		b.WriteString("\n" + requestIDLabel(o.RequestIDs) + oneLine(strings.Join(o.RequestIDs, ", ")))
	}
	return b.String()
}

// style renders the same sentence as mrkdwn or as plain text.
type style struct {
	esc     func(string) string
	bold    func(string) string
	code    func(string) string
	mention func(string) string // a Slack user ID
}

var (
	mrkdwnStyle = style{
		esc:     escapeText, // text in these sentences comes from outsiders: see oneLine
		bold:    func(s string) string { return "*" + s + "*" },
		code:    func(s string) string { return "`" + s + "`" },
		mention: userMention,
	}
	plainStyle = style{esc: oneLine, bold: identity, code: identity, mention: func(id string) string { return "@" + oneLine(id) }}
)

func identity(s string) string { return s }

// summary is the one-sentence result of a kick.
func summary(o Outcome, st style) string {
	ref := meetingRef(o, st)
	switch o.Status {
	case StatusDone:
		return "Disconnected " + plural(o.Gone(), "participant", "participants") + " from " + ref + "."
	case StatusPartial:
		return "Disconnected " + strconv.Itoa(o.Gone()) + " of " + plural(len(o.Targets), "participant", "participants") +
			" from " + ref + " (" + counts(o) + ")."
	case StatusNothingToDo:
		return "Nobody was disconnected from " + ref + " (" + counts(o) + ")."
	}
	return "Could not disconnect anyone from " + ref + "." + failureSuffix(o, st)
}

func failureSuffix(o Outcome, st style) string {
	if o.UserMessage == "" {
		return ""
	}
	return " " + st.esc(o.UserMessage)
}

// meetingRef is "meeting 914083136 (Weekly all-hands)".
func meetingRef(o Outcome, st style) string {
	ref := "meeting " + st.esc(o.Kick.Conference)
	if subj := oneLine(o.Subject); subj != "" {
		ref += " (" + st.esc(clip(subj, maxNameRunes)) + ")"
	}
	return ref
}

// counts is "2 disconnected, 1 not found": the non-zero results.
func counts(o Outcome) string {
	var parts []string
	for _, r := range []Result{ResultGone, ResultUnconfirmed, ResultStillPresent, ResultNotFound, ResultPhoneHidden, ResultRefused, ResultFailed, ResultAmbiguous} {
		if n := o.count(r); n > 0 {
			parts = append(parts, strconv.Itoa(n)+" "+resultPhrase[r])
		}
	}
	if len(parts) == 0 {
		return "no targets"
	}
	return strings.Join(parts, ", ")
}

var resultPhrase = map[Result]string{
	ResultGone:         "disconnected",
	ResultStillPresent: "still in the meeting",
	ResultNotFound:     "not found",
	ResultRefused:      "refused",
	ResultFailed:       "failed",
	ResultAmbiguous:    "ambiguous",
	ResultUnconfirmed:  "not confirmed",
	ResultPhoneHidden:  "phone number hidden",
}

var resultMarker = map[Result]string{
	ResultGone:         "✅",
	ResultStillPresent: "⚠️",
	ResultNotFound:     "❓",
	ResultRefused:      "🛡️",
	ResultFailed:       "❌",
	ResultAmbiguous:    "👥",
	ResultUnconfirmed:  "❔",
	ResultPhoneHidden:  "📵",
}

func statusMarker(s Status) string {
	switch s {
	case StatusDone:
		return "✅"
	case StatusPartial:
		return "⚠️"
	case StatusNothingToDo:
		return "❓"
	}
	return "❌"
}

// outcomeLine is "✅ *Jane Doe* · +8613800000000 — disconnected".
func outcomeLine(t TargetOutcome, st style) string {
	var label string
	if p := t.Participant; p != nil {
		label = st.bold(st.esc(displayName(p.Name)))
		if ph := oneLine(p.Phone); ph != "" {
			label += " · " + st.esc(clip(ph, maxPhoneRunes))
		}
	} else {
		label = st.esc(clip(t.Target.String(), maxTargetRunes))
	}
	marker, ok := resultMarker[t.Result]
	if !ok {
		marker = "❔"
	}
	phrase, ok := resultPhrase[t.Result]
	if !ok {
		phrase = "unknown result"
	}
	if t.Result == ResultNotFound {
		phrase = "not found in the meeting"
	}
	line := marker + " " + label + " — " + phrase
	if t.By != "" {
		line += " (by " + st.mention(t.By) + ", at the same moment)"
	}
	if t.Detail != "" {
		line += ": " + st.esc(t.Detail)
	}
	return line
}

func reasonPart(reason string) string {
	if reason == "" {
		return ""
	}
	return "Reason: " + escapeText(reason)
}

func reasonContext(reason string) slack.Block { return contextBlock(reasonPart(reason)) }

func requestIDLabel(ids []string) string {
	if len(ids) == 1 {
		return "Huawei request ID: "
	}
	return "Huawei request IDs: "
}

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
		esc[i] = escapeText(clip(id, 80))
	}
	s := requestIDLabel(ids) + strings.Join(esc, ", ")
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
