package commands

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/kickbot/kickbot/meeting"
)

// The sentences below say what happened in the same words on every surface
// (Slack, the console); a Markup supplies what differs between them.

// Limits on what one sentence repeats.
const (
	maxCandidatesShown = 10 // per ambiguous name
	maxAmbiguousShown  = 10 // ambiguous names listed in one message
	maxPhoneRunes      = 40
	maxTargetRunes     = 100 // a target as typed, echoed back
)

// Markup is how a surface shows the parts of a sentence: Slack's mrkdwn
// (bot/slackui) or plain text (Plain).
type Markup interface {
	Escape(s string) string       // text chosen by outsiders, made one inert line (see OneLine)
	Bold(s string) string         // s is already escaped
	Code(s string) string         // s is already escaped
	Mention(userID string) string // the user who asked (a Slack user ID, or "console:…")
}

// Plain is Markup for a terminal: no markup, outsiders' text through OneLine.
type Plain struct{}

// Escape implements Markup.
func (Plain) Escape(s string) string { return OneLine(s) }

// Bold implements Markup.
func (Plain) Bold(s string) string { return s }

// Code implements Markup.
func (Plain) Code(s string) string { return s }

// Mention implements Markup.
func (Plain) Mention(id string) string { return "@" + OneLine(id) }

// usage is plain text; Slack gets it escaped (its <meeting ID> would
// otherwise read as a link). Backticks mark code in Slack and are dropped by
// the console.
const usage = "Usage:\n" +
	"• `/kick <meeting ID> <participant> [<participant> …] [-- <reason>]` — disconnect participants\n" +
	"• `/kick <meeting ID>` — list the participants, with a Disconnect button beside each\n" +
	"• `/kick <meeting ID> hold <participant> [<participant> …] [-- <reason>]` — move participants to the waiting room, with an Admit button to undo\n" +
	"• `/kick <meeting ID> uninvited` — who is online but not on the invite list, with Disconnect and \"Disconnect all\" buttons\n" +
	"• `/kick <meeting ID> lock [<duration>]` — nobody new joins without the host password or host link; with a duration (10s to 24h: 90s, 10m, 1h30m) it unlocks itself\n" +
	"• `/kick <meeting ID> unlock` — unlock at once\n" +
	"• `/kick <meeting ID> watch`, `unwatch` — follow the meeting live: lists update themselves, uninvited joiners are reported\n" +
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

// InputMessage is the plain-text sentence that says what was wrong with a
// command Parse refused; any other error gets a generic sentence, so nothing
// of it is shown raw.
func InputMessage(err error) string {
	var ie *InputError
	if errors.As(err, &ie) && ie.Msg != "" {
		return capitalize(ie.Msg) // error strings are lower case; a message to a person starts a sentence
	}
	return "kickbot could not understand that command."
}

func capitalize(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}

// Plural returns "1 participant" / "3 participants".
func Plural(n int, one, many string) string { return plural(n, one, many) }

// ErrRequestIDs are Huawei's request IDs carried by a failure, for a
// message about a command that failed before any disconnect call.
func ErrRequestIDs(err error) []string { return requestIDs(nil, err) }

// RequestIDLabel introduces a list of Huawei request IDs.
func RequestIDLabel(ids []string) string {
	if len(ids) == 1 {
		return "Huawei request ID: "
	}
	return "Huawei request IDs: "
}

// AmbiguousIntro is the first sentence shown when names match several
// participants; next tells the caller what to do on that surface.
func AmbiguousIntro(k Kick, amb []Ambiguity, m Markup, next string) string {
	return "Nothing was done: " + ambiguousCount(len(amb)) + " more than one participant of meeting " +
		m.Escape(k.Conference) + ", and kickbot never guesses. " + next
}

// AmbiguousLines lists each ambiguous name and its candidates, a bounded
// number of each.
func AmbiguousLines(amb []Ambiguity, m Markup) []string {
	var lines []string
	for i, a := range amb {
		if i == maxAmbiguousShown {
			lines = append(lines, "…and "+ambiguousCount(len(amb)-i)+" several participants too.")
			break
		}
		lines = append(lines, m.Bold(m.Escape(Clip(a.Target.String(), maxTargetRunes)))+" matches "+
			plural(len(a.Candidates), "participant", "participants")+":")
		for j, p := range a.Candidates {
			if j == maxCandidatesShown {
				lines = append(lines, "  …and "+strconv.Itoa(len(a.Candidates)-j)+" more")
				break
			}
			lines = append(lines, "• "+participantLine(p, m))
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
func participantLine(p meeting.Participant, m Markup) string {
	parts := []string{m.Bold(m.Escape(DisplayName(p.Name)))}
	if ph := ShownPhone(p.Phone); ph != "" {
		parts = append(parts, m.Escape(ph))
	}
	parts = append(parts, p.State.String())
	if role := Role(p); role != "" {
		parts = append(parts, role+" (never disconnected)")
	}
	parts = append(parts, "ID "+m.Code(m.Escape(ShownID(p.ID))))
	return strings.Join(parts, " · ")
}

// Role is "host", "co-host" or "" (anyone kickbot may disconnect).
func Role(p meeting.Participant) string {
	switch {
	case p.Host:
		return "host"
	case p.CoHost:
		return "co-host"
	}
	return ""
}

// ShownPhone is a phone number as shown: one line, clipped ("" for none).
// It is not escaped.
func ShownPhone(phone string) string { return Clip(OneLine(phone), maxPhoneRunes) }

// ShownID is a participant ID as shown: one line, clipped. It is not escaped.
func ShownID(id string) string { return Clip(OneLine(id), meeting.MaxParticipantIDLen) }

// Summary is the one-sentence result of a kick.
func Summary(o Outcome, m Markup) string { return summaryWith(o, m, kickWords) }

// outcomeWords are the words an action's outcome is told in: the phrase
// for each target's result, and the summary's sentences, where %s is the
// meeting (MeetingRef).
type outcomeWords struct {
	phrase map[Result]string
	verb   string // "Disconnected" 2 of 3 participants …
	where  string // … "from %s"
	nobody string
	failed string
}

var kickWords = outcomeWords{phrase: resultPhrase, verb: "Disconnected", where: "from %s",
	nobody: "Nobody was disconnected from %s", failed: "Could not disconnect anyone from %s"}

// summaryWith is the one-sentence result of an action told in w.
func summaryWith(o Outcome, m Markup, w outcomeWords) string {
	ref := MeetingRef(o, m)
	switch o.Status {
	case StatusDone:
		return w.verb + " " + plural(o.Gone(), "participant", "participants") + " " + fmt.Sprintf(w.where, ref) + "."
	case StatusPartial:
		return w.verb + " " + strconv.Itoa(o.Gone()) + " of " + plural(len(o.Targets), "participant", "participants") +
			" " + fmt.Sprintf(w.where, ref) + " (" + countsWith(o, w.phrase) + ")."
	case StatusNothingToDo:
		return fmt.Sprintf(w.nobody, ref) + " (" + countsWith(o, w.phrase) + ")."
	}
	return fmt.Sprintf(w.failed, ref) + "." + FailureSuffix(o, m)
}

// FailureSuffix is " " and the outcome's UserMessage, or "" if it has none.
func FailureSuffix(o Outcome, m Markup) string {
	if o.UserMessage == "" {
		return ""
	}
	return " " + m.Escape(o.UserMessage)
}

// MeetingRef is "meeting 914083136 (Weekly all-hands)".
func MeetingRef(o Outcome, m Markup) string {
	ref := "meeting " + m.Escape(o.Kick.Conference)
	if subj := OneLine(o.Subject); subj != "" {
		ref += " (" + m.Escape(Clip(subj, MaxNameRunes)) + ")"
	}
	return ref
}

// Counts is "2 disconnected, 1 not found": the non-zero results.
func Counts(o Outcome) string { return countsWith(o, resultPhrase) }

func countsWith(o Outcome, resultPhrase map[Result]string) string {
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

// OutcomeLine is "✅ *Jane Doe* · +8613800000000 — disconnected".
func OutcomeLine(t TargetOutcome, m Markup) string { return outcomeLineWith(t, m, resultPhrase) }

func outcomeLineWith(t TargetOutcome, m Markup, resultPhrase map[Result]string) string {
	var label string
	if p := t.Participant; p != nil {
		label = m.Bold(m.Escape(DisplayName(p.Name)))
		if ph := ShownPhone(p.Phone); ph != "" {
			label += " · " + m.Escape(ph)
		}
	} else {
		label = m.Escape(Clip(t.Target.String(), maxTargetRunes))
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
		line += " (by " + m.Mention(t.By) + ", at the same moment)"
	}
	if t.Detail != "" {
		line += ": " + m.Escape(t.Detail)
	}
	return line
}
