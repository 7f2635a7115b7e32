// Package textui renders the core's outcomes as plain text for a terminal
// (kickbot console): no markup and no escaping, since nothing here is
// parsed by Slack, and text chosen by outsiders shown on one line through
// commands.OneLine, so a name cannot forge a line or move the cursor.
//
// The sentences are the core's (commands.Summary, commands.OutcomeLine…),
// so the console and Slack say the same thing.
package textui

import (
	"strconv"
	"strings"

	"github.com/kickbot/kickbot/commands"
	"github.com/kickbot/kickbot/meeting"
)

// Usage is the /kick grammar without Slack's code marks.
func Usage() string { return strings.ReplaceAll(commands.Usage(), "`", "") }

// InputError says what was wrong with a command Parse refused.
func InputError(err error) string { return "⚠️ " + commands.InputMessage(err) }

// Failure tells the caller that a command failed before anything was
// disconnected (the roster could not be read, say). err is explained with
// commands.UserMessage; nothing of it is shown raw.
func Failure(k commands.Kick, err error) string {
	line := "❌ Nothing was done"
	if k.Conference != "" {
		line += " in meeting " + commands.OneLine(k.Conference)
	}
	return line + ". " + commands.UserMessage(commands.InMeeting(k.Conference, err))
}

// Ambiguous shows the candidates for names that match several participants:
// nothing was done, and the caller is told how to name the one they mean.
func Ambiguous(k commands.Kick, amb []commands.Ambiguity) string {
	lines := append([]string{commands.AmbiguousIntro(k, amb, commands.Plain{}, "Run /kick again with the participant ID of the one you mean.")},
		commands.AmbiguousLines(amb, commands.Plain{})...)
	return strings.Join(lines, "\n")
}

// Outcome is a kick's result: the summary, one line per target, the reason
// and Huawei's request IDs.
func Outcome(o commands.Outcome) string {
	var b strings.Builder
	b.WriteString(commands.Summary(o, commands.Plain{}))
	for _, t := range o.Targets {
		b.WriteString("\n  ")
		b.WriteString(commands.OutcomeLine(t, commands.Plain{}))
	}
	if r := commands.OneLine(o.Kick.Reason); r != "" {
		b.WriteString("\nReason: " + r)
	}
	if len(o.RequestIDs) > 0 {
		b.WriteString("\n" + commands.RequestIDLabel(o.RequestIDs) + commands.OneLine(strings.Join(o.RequestIDs, ", ")))
	}
	return b.String()
}

// RosterOptions says which part of a roster to show.
type RosterOptions struct {
	Page     int               // 0-based; clamped to the pages there are
	PageSize int               // ≤ 0: everyone on one page
	Query    string            // as commands.ViewRoster searches
	Notes    map[string]string // plain-text notes keyed by pid, shown beside the participant
}

// Roster is the participant list as numbered plain text, in the order
// commands.NumberedRows gives.
func Roster(r *meeting.Roster, opts RosterOptions) string {
	if r == nil {
		r = &meeting.Roster{}
	}
	v := commands.ViewRoster(r, opts.Query, opts.Page, opts.PageSize)
	var b strings.Builder
	b.WriteString("Meeting " + commands.OneLine(r.ConferenceID))
	if subj := commands.OneLine(r.Subject); subj != "" {
		b.WriteString(" (" + commands.Clip(subj, commands.MaxNameRunes) + ")")
	}
	b.WriteString(": " + commands.Plural(v.Total, "participant", "participants"))
	if !r.ReadAt.IsZero() {
		b.WriteString(", read " + r.ReadAt.UTC().Format("2006-01-02 15:04:05 UTC"))
	}
	if q := commands.Clip(commands.OneLine(opts.Query), commands.MaxQueryRunes); q != "" {
		b.WriteString("\nSearch \"" + q + "\": " + commands.Plural(v.Matches, "match", "matches"))
	}
	if len(v.Shown) == 0 {
		if opts.Query != "" {
			b.WriteString("\nNo participant matches.")
		} else {
			b.WriteString("\nNobody is in the meeting right now.")
		}
	}
	for i, p := range v.Shown {
		b.WriteString("\n" + strconv.Itoa(v.First+i+1) + ". " + participant(p))
		if note := commands.OneLine(opts.Notes[p.ID]); note != "" {
			b.WriteString(" — " + note)
		}
	}
	if v.Pages > 1 {
		b.WriteString("\nPage " + strconv.Itoa(v.Page+1) + " of " + strconv.Itoa(v.Pages) + ": " +
			strconv.Itoa(v.First+1) + "–" + strconv.Itoa(v.First+len(v.Shown)) + " of " + strconv.Itoa(v.Matches))
	}
	return b.String()
}

// participant is "Jane Doe · +8613800000003 · in meeting · muted, video · ID c000…".
func participant(p meeting.Participant) string {
	parts := []string{commands.DisplayName(p.Name)}
	if ph := commands.ShownPhone(p.Phone); ph != "" {
		parts = append(parts, ph)
	}
	parts = append(parts, p.State.String())
	if role := commands.Role(p); role != "" {
		parts = append(parts, role+" (can't be disconnected)")
	}
	var flags []string
	for _, f := range []struct {
		on   bool
		name string
	}{{p.Muted, "muted"}, {p.Video, "video"}, {p.HandRaised, "hand raised"}} {
		if f.on {
			flags = append(flags, f.name)
		}
	}
	if len(flags) > 0 {
		parts = append(parts, strings.Join(flags, ", "))
	}
	return strings.Join(append(parts, "ID "+commands.ShownID(p.ID)), " · ")
}

// HoldOutcome is a hold's result: the summary, one line per target, the
// reason and Huawei's request IDs; admit names the console word that undoes
// it, shown when someone was moved.
func HoldOutcome(o commands.Outcome, admit string) string {
	var b strings.Builder
	b.WriteString(commands.HoldSummary(o, commands.Plain{}))
	for _, t := range o.Targets {
		b.WriteString("\n  " + commands.HoldOutcomeLine(t, commands.Plain{}))
	}
	if r := commands.OneLine(o.Kick.Reason); r != "" {
		b.WriteString("\nReason: " + r)
	}
	if len(o.RequestIDs) > 0 {
		b.WriteString("\n" + commands.RequestIDLabel(o.RequestIDs) + commands.OneLine(strings.Join(o.RequestIDs, ", ")))
	}
	if w := o.Waiting(); len(w) > 0 && admit != "" {
		b.WriteString("\nTo undo:")
		for i, p := range w {
			b.WriteString("\n" + strconv.Itoa(i+1) + ". " + commands.DisplayName(p.Name) + " — " + admit + " " + strconv.Itoa(i+1))
		}
	}
	return b.String()
}

// Admit is the result of admitting someone back from the waiting room.
func Admit(o commands.AdmitOutcome) string { return commands.AdmitLine(o, commands.Plain{}) }

// Uninvited is who is online but not on the invite list, numbered, then
// the people kickbot cannot tell about (never swept).
func Uninvited(v commands.UninvitedView) string {
	if !v.Known {
		return "⚠️ kickbot could not read the invite list of meeting " + commands.OneLine(v.Conference) +
			", so it cannot tell who is uninvited. Nothing is offered to disconnect."
	}
	var b strings.Builder
	b.WriteString("Meeting " + commands.OneLine(v.Conference) + ": " +
		commands.Plural(len(v.Uninvited), "participant is", "participants are") + " online but not on the invite list; " +
		strconv.Itoa(v.Invited) + " invited")
	for i, p := range v.Uninvited {
		b.WriteString("\n" + strconv.Itoa(i+1) + ". " + participant(p))
	}
	if len(v.CannotTell) > 0 {
		b.WriteString("\nCannot tell (no user ID or full phone number to match; never swept):")
		for _, p := range v.CannotTell {
			b.WriteString("\n  " + participant(p))
		}
	}
	return b.String()
}
