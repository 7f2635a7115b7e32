package commands

import (
	"strings"
	"time"
)

// The sentences of the lock use case, shared by Slack and the console. at
// writes a time for the reader (Slack: a date token in their time zone).

// hostPasswordCaveat is said with every lock: a lock is not a ban.
const hostPasswordCaveat = "People with the host password or the host link can still join."

// LockSummary is the outcome's main sentence.
func LockSummary(o LockOutcome, m Markup, at func(time.Time) string) string {
	conf := m.Escape(o.Request.Conference)
	mtg := "Meeting " + conf
	unlockCmd := m.Code("/kick " + conf + " unlock")
	switch {
	case o.Status == LockAlready:
		s := mtg + " is already locked by " + m.Mention(o.LockedBy)
		if !o.Until.IsZero() {
			s += " until " + at(o.Until)
		}
		return "🔒 " + s + "; nothing was done. If it was unlocked in the meeting app, use " + m.Code("/kick "+conf+" lock") + "."
	case o.Status != LockDone && o.Auto:
		return "⚠️ " + mtg + " should have unlocked itself now, but the unlock failed. " + o.UserMessage +
			" It is still locked: use " + unlockCmd + " or the meeting's own controls."
	case o.Status != LockDone:
		verb := "locked"
		if !o.Request.Lock {
			verb = "unlocked"
		}
		return "❌ " + mtg + " could not be " + verb + ". " + o.UserMessage
	case o.Auto:
		return "🔓 Time is up: " + strings.ToLower(mtg[:1]) + mtg[1:] + " was unlocked automatically at " + at(o.Finished) +
			" (locked by " + m.Mention(o.LockedBy) + "). People can join with the meeting link again."
	case o.Request.Lock:
		var b strings.Builder
		b.WriteString("🔒 " + mtg + " is locked")
		if !o.Until.IsZero() {
			b.WriteString(" for " + FormatDuration(o.Request.Duration) + ", until " + at(o.Until) +
				": nobody new can join. It unlocks itself then; " + unlockCmd + " unlocks it sooner.")
		} else {
			b.WriteString(" until someone unlocks it (" + unlockCmd + "): nobody new can join.")
		}
		b.WriteString(" " + hostPasswordCaveat)
		if o.Unchanged {
			b.WriteString(" (It was already locked.)")
		}
		if !o.Cancelled.IsZero() {
			b.WriteString(" The earlier lock's timer (due " + at(o.Cancelled) + ") is replaced.")
		}
		if o.Err != nil && o.UserMessage != "" {
			// Locked, but its timer could not be recorded (the shared
			// state store failed after the lock).
			b.WriteString(" ⚠️ " + o.UserMessage)
		}
		return b.String()
	default:
		s := "🔓 " + mtg + " is unlocked: people can join with the meeting link again."
		if !o.Cancelled.IsZero() {
			s += " The timer set by " + m.Mention(o.LockedBy) + " (due " + at(o.Cancelled) + ") is cancelled."
		}
		return s
	}
}

// LockHeadline is the parent message's final line: who did what.
func LockHeadline(o LockOutcome, m Markup, at func(time.Time) string) string {
	who, conf := m.Mention(o.Request.Actor), m.Escape(o.Request.Conference)
	switch {
	case o.Auto && o.Status == LockDone:
		return "🔓 " + who + " locked meeting " + conf + "; it unlocked itself at " + at(o.Finished) + "."
	case o.Auto:
		return "⚠️ " + who + " locked meeting " + conf + "; it should have unlocked itself, but it is still locked. Details in the thread."
	case o.Status == LockFailed:
		return "❌ " + who + " could not " + o.Request.Action() + " meeting " + conf + ". Details in the thread."
	case o.Request.Lock && !o.Until.IsZero():
		return "🔒 " + who + " locked meeting " + conf + " for " + FormatDuration(o.Request.Duration) + ", until " + at(o.Until) + "."
	case o.Request.Lock:
		return "🔒 " + who + " locked meeting " + conf + " until it is unlocked."
	default:
		return "🔓 " + who + " unlocked meeting " + conf + "."
	}
}

// LockStarted is what shows while the call runs.
func LockStarted(r LockRequest, m Markup) string {
	return "⏳ " + m.Mention(r.Actor) + " is " + r.Action() + "ing meeting " + m.Escape(r.Conference) + " …"
}

// PendingLocksNotice names the meetings that stay locked because kickbot
// stopped before their timers ran.
func PendingLocksNotice(ps []PendingLock, m Markup, at func(time.Time) string) []string {
	lines := []string{"⚠️ kickbot stopped with " + Plural(len(ps), "auto-unlock timer", "auto-unlock timers") +
		" pending. These meetings stay locked until someone unlocks them (" + m.Code("/kick "+m.Escape("<meeting ID>")+" unlock") + "):"}
	for _, p := range ps {
		lines = append(lines, "• meeting "+m.Escape(p.Conference)+" — locked by "+m.Mention(p.LockedBy)+", was to unlock at "+at(p.Until))
	}
	return lines
}

// FormatDuration writes d the way it was typed: 10m, 1h30m, 90s.
func FormatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}
