package commands

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/kickbot/kickbot/meeting"
)

// Limits of the /kick grammar. They bound the work one command can cause and
// keep every message that echoes the input well inside Slack's limits.
const (
	// maxTextRunes caps the whole command text; Slack allows far more, but
	// 50 quoted names fit comfortably in 2,000 characters.
	maxTextRunes = 2000
	// maxReasonRunes caps the reason, which is repeated in the thread, the
	// parent message, the ops notice and the audit log.
	maxReasonRunes = 500
	// minIDLen keeps short words ("Jane") from passing as participant IDs,
	// so an unquoted name gets a helpful error instead of "not found".
	minIDLen = 8
	// Phone numbers: "+" and 5–20 digits, or 7–20 digits without "+".
	minPlusPhoneDigits = 5
	minBarePhoneDigits = 7
	maxPhoneDigits     = 20
	// maxEchoRunes caps how much of a bad token an error message repeats.
	maxEchoRunes = 40
)

// RequestKind says what a /kick command asks for.
type RequestKind int

// Kinds of request. The zero value is KindHelp: an empty command shows help.
const (
	KindHelp      RequestKind = iota // "/kick" or "/kick help": usage, to the caller only
	KindList                         // "/kick 914083136": the live roster with buttons
	KindKick                         // "/kick 914083136 target…": disconnect
	KindLock                         // "/kick 914083136 lock [10m]": nobody new joins without the host password
	KindUnlock                       // "/kick 914083136 unlock"
	KindHold                         // "/kick 914083136 hold target…": move to the waiting room
	KindUninvited                    // "/kick 914083136 uninvited": who is online but not invited
	KindWatch                        // "/kick 914083136 watch": follow the meeting live
	KindUnwatch                      // "/kick 914083136 unwatch"
)

// Bounds of a lock's duration (Go syntax: 90s, 10m, 1h30m).
const (
	MinLockDuration = 10 * time.Second
	MaxLockDuration = 24 * time.Hour
)

// actionWords are the bare words after the meeting ID that name an action
// rather than a participant; a participant literally named so is written in
// quotes.
var actionWords = map[string]RequestKind{
	"lock": KindLock, "unlock": KindUnlock, "hold": KindHold,
	"uninvited": KindUninvited, "watch": KindWatch, "unwatch": KindUnwatch,
}

// TargetKind says how a target names a participant.
type TargetKind int

// Kinds of target.
const (
	TargetID    TargetKind = iota // a participant ID (pid), matched exactly
	TargetPhone                   // a phone number, matched on its digits
	TargetName                    // a display name, matched case-insensitively
)

// Target is one participant named in a command. Value is normalised: a phone
// number without dashes, a name trimmed with its inner white space collapsed.
type Target struct {
	Kind  TargetKind
	Value string
}

// String renders the target the way it can be typed: names in double quotes
// with inner quotes and backslashes escaped, so Parse reads it back.
func (t Target) String() string {
	if t.Kind != TargetName {
		return t.Value
	}
	var b strings.Builder
	b.Grow(len(t.Value) + 2)
	b.WriteByte('"')
	for _, r := range t.Value {
		if r == '\\' || isQuote(r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	b.WriteByte('"')
	return b.String()
}

// Request is a parsed /kick command.
type Request struct {
	Kind       RequestKind
	Conference string        // KindList and KindKick
	Targets    []Target      // KindKick, KindHold: 1..maxTargets, no duplicates, in typed order
	Reason     string        // optional, one line, trimmed
	Duration   time.Duration // KindLock: 0 = until unlocked
}

// InputError is a mistake in the command text. Msg is short, specific and
// safe to show to the user (it is plain text; escape it for mrkdwn).
type InputError struct {
	Msg string
}

func (e *InputError) Error() string { return e.Msg }

func inputErrorf(format string, args ...any) *InputError {
	return &InputError{Msg: fmt.Sprintf(format, args...)}
}

// slackUnescaper undoes the only escaping Slack applies to command text.
// One pass, so "&amp;lt;" becomes "&lt;" and not "<".
var slackUnescaper = strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">")

// Parse reads the text of a /kick command (everything after "/kick"). The
// grammar is documented in Usage. maxTargets is the configured cap
// (KICK_MAX_TARGETS, config.Defaults when unset); below 1 it is 1, so a
// caller that forgot it does the least work, not the most.
// Every error is an *InputError; nothing is called and nothing is guessed.
func Parse(text string, maxTargets int) (Request, error) {
	maxTargets = max(maxTargets, 1)
	req, ierr := parse(text, maxTargets)
	if ierr != nil {
		return Request{}, ierr
	}
	return req, nil
}

func parse(text string, maxTargets int) (Request, *InputError) {
	if !utf8.ValidString(text) {
		return Request{}, inputErrorf("the command contains bytes that are not valid text")
	}
	// The cap is on what the user typed: Slack sends & < > as 5- or
	// 4-character entities, so a raw text up to 5× the cap may still fit.
	// Counting the raw text first bounds the work on huge payloads.
	if n := utf8.RuneCountInString(text); n > 5*maxTextRunes {
		return Request{}, inputErrorf("the command is too long (%d characters; at most %d)", n, maxTextRunes)
	}
	typed := slackUnescaper.Replace(text)
	if m := utf8.RuneCountInString(typed); m > maxTextRunes {
		return Request{}, inputErrorf("the command is too long (%d characters; at most %d)", m, maxTextRunes)
	}
	for _, r := range text {
		if unicode.IsControl(r) && !unicode.IsSpace(r) {
			return Request{}, inputErrorf("the command contains a control character (%U); type it again without it", r)
		}
	}
	sc := scanner{s: typed}

	first, ok, err := sc.next()
	if err != nil {
		return Request{}, err
	}
	if !ok {
		return Request{Kind: KindHelp}, nil
	}
	if !first.quoted && isHelpWord(first.text) {
		return Request{Kind: KindHelp}, nil
	}
	if first.reason {
		return Request{}, inputErrorf("the meeting ID must come first, e.g. /kick 914083136 \"Jane Doe\" -- spamming")
	}
	conf, err := parseConference(first)
	if err != nil {
		return Request{}, err
	}

	req := Request{Kind: KindList, Conference: conf}
	if tok, ok := sc.peek(); ok && !tok.quoted && !tok.reason {
		if kind, isAction := actionWords[strings.ToLower(tok.text)]; isAction {
			_, _, _ = sc.next()
			req.Kind = kind
		}
	}
	switch req.Kind {
	case KindLock, KindUnlock, KindUninvited, KindWatch, KindUnwatch:
		return parseActionRest(&sc, req)
	}
	sawReason := false
	for {
		tok, ok, err := sc.next()
		if err != nil {
			return Request{}, err
		}
		if !ok {
			break
		}
		if tok.reason {
			sawReason = true
			req.Reason = strings.Join(strings.Fields(tok.text), " ")
			if n := utf8.RuneCountInString(req.Reason); n > maxReasonRunes {
				return Request{}, inputErrorf("the reason is too long (%d characters; at most %d)", n, maxReasonRunes)
			}
			break
		}
		t, err := parseTarget(tok)
		if err != nil {
			return Request{}, err
		}
		if containsTarget(req.Targets, t) {
			continue
		}
		if len(req.Targets) == maxTargets {
			return Request{}, inputErrorf("too many participants: at most %d per command", maxTargets)
		}
		req.Targets = append(req.Targets, t)
	}
	switch {
	case req.Kind == KindHold && len(req.Targets) == 0:
		return Request{}, inputErrorf("name at least one participant to send to the waiting room, e.g. /kick %s hold \"Jane Doe\"", conf)
	case len(req.Targets) > 0 && req.Kind == KindList:
		req.Kind = KindKick
	case sawReason && len(req.Targets) == 0:
		return Request{}, inputErrorf("name at least one participant before \"--\", e.g. /kick %s \"Jane Doe\" -- spamming", conf)
	}
	return req, nil
}

// parseActionRest reads what may follow an action word that takes no
// participants: a duration for lock, then an optional reason.
func parseActionRest(sc *scanner, req Request) (Request, *InputError) {
	word := actionName(req.Kind)
	for {
		tok, ok, err := sc.next()
		if err != nil {
			return Request{}, err
		}
		if !ok {
			return req, nil
		}
		if tok.reason {
			req.Reason = strings.Join(strings.Fields(tok.text), " ")
			if n := utf8.RuneCountInString(req.Reason); n > maxReasonRunes {
				return Request{}, inputErrorf("the reason is too long (%d characters; at most %d)", n, maxReasonRunes)
			}
			return req, nil
		}
		if req.Kind == KindLock && req.Duration == 0 && !tok.quoted {
			d, perr := time.ParseDuration(tok.text)
			if perr != nil {
				return Request{}, inputErrorf("%q is not a duration: use Go's form, e.g. /kick %s lock 10m (or 90s, 1h30m)", echo(tok.text), req.Conference)
			}
			if d < MinLockDuration || d > MaxLockDuration {
				return Request{}, inputErrorf("a lock lasts from %s to %s (got %s); without a duration it lasts until unlocked", MinLockDuration, "24h", d)
			}
			req.Duration = d
			continue
		}
		return Request{}, inputErrorf("%q after %q: %s takes no participants (a participant named %q is written in quotes)", echo(tok.text), word, word, word)
	}
}

// actionName is the word that asks for kind.
func actionName(kind RequestKind) string {
	for w, k := range actionWords {
		if k == kind {
			return w
		}
	}
	return ""
}

func isHelpWord(s string) bool {
	switch strings.ToLower(s) {
	case "help", "-h", "--help", "?":
		return true
	}
	return false
}

// parseConference accepts letters and digits; dashes between digit groups
// are dropped, because meeting IDs are often written 914-083-136.
func parseConference(tok token) (string, *InputError) {
	if tok.quoted {
		return "", inputErrorf("the meeting ID must not be in quotes")
	}
	s := tok.text
	if d, ok := digitGroups(s); ok {
		s = d
	}
	if len(s) > meeting.MaxConferenceIDLen {
		return "", inputErrorf("the meeting ID is too long (at most %d letters and digits)", meeting.MaxConferenceIDLen)
	}
	if !isAlnum(s) {
		return "", inputErrorf("%q is not a meeting ID: use its letters and digits, e.g. 914083136", echo(tok.text))
	}
	return s, nil
}

// parseTarget classifies one token. Phone numbers are checked before IDs, so
// a token of 7–20 digits is always a phone number.
func parseTarget(tok token) (Target, *InputError) {
	if tok.quoted {
		name := strings.Join(strings.Fields(tok.text), " ")
		if name == "" {
			return Target{}, inputErrorf("empty name in quotes: put the participant's display name between the quotes")
		}
		if NormalizeName(name) == "" {
			// Only invisible characters (zero-width, bidi controls): names
			// are matched without them (see Resolve), so it names nobody.
			return Target{}, inputErrorf("the name in quotes has only invisible characters: type the participant's display name as it is shown")
		}
		return Target{Kind: TargetName, Value: name}, nil
	}
	s := tok.text
	if strings.HasPrefix(s, "+") {
		if d, ok := digitGroups(s[1:]); ok && len(d) >= minPlusPhoneDigits && len(d) <= maxPhoneDigits {
			return Target{Kind: TargetPhone, Value: "+" + d}, nil
		}
		return Target{}, inputErrorf("%q is not a phone number: use + and %d to %d digits, e.g. +8613800000000",
			echo(s), minPlusPhoneDigits, maxPhoneDigits)
	}
	if d, ok := digitGroups(s); ok && len(d) >= minBarePhoneDigits && len(d) <= maxPhoneDigits {
		return Target{Kind: TargetPhone, Value: d}, nil
	}
	if isID(s) {
		return Target{Kind: TargetID, Value: s}, nil
	}
	return Target{}, inputErrorf("unrecognised target %q: put display names in double quotes, e.g. \"Jane Doe\"", echo(s))
}

// isID: 8–128 ASCII letters, digits, '-' or '_', with at least one digit
// (Huawei's pids are 32 hex characters).
func isID(s string) bool {
	if len(s) < minIDLen || len(s) > meeting.MaxParticipantIDLen {
		return false
	}
	digit := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			digit = true
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '-', c == '_':
		default:
			return false
		}
	}
	return digit
}

// ValidConference reports a conference ID as Parse returns it: 1–64 ASCII
// letters and digits.
func ValidConference(s string) bool { return len(s) <= meeting.MaxConferenceIDLen && isAlnum(s) }

func isAlnum(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// digitGroups accepts digits with single dashes between them ("138-0000-0000")
// and returns the digits alone.
func digitGroups(s string) (string, bool) {
	if s == "" {
		return "", false
	}
	var b strings.Builder
	b.Grow(len(s))
	prevDash := true // forbids a leading dash
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			b.WriteByte(c)
			prevDash = false
		case c == '-' && !prevDash:
			prevDash = true
		default:
			return "", false
		}
	}
	if prevDash {
		return "", false
	}
	return b.String(), true
}

// containsTarget reports a duplicate: same kind and value, names compared
// case-insensitively as Resolve compares them.
func containsTarget(ts []Target, t Target) bool {
	for _, u := range ts {
		if u.Kind != t.Kind {
			continue
		}
		if u.Value == t.Value || t.Kind == TargetName && strings.EqualFold(NormalizeName(u.Value), NormalizeName(t.Value)) {
			return true
		}
	}
	return false
}

// echo shortens user input repeated in an error message.
func echo(s string) string { return Clip(s, maxEchoRunes) }
