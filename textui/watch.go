package textui

import (
	"strings"

	"github.com/kickbot/kickbot/commands"
	"github.com/kickbot/kickbot/meeting"
)

// WatchEvent is one line for a change in a watched meeting, or "" for
// changes a terminal does not show (mute, video, waiting room, invite list).
// Names and phones come from the meeting: they pass through the same
// neutralising as a list's rows.
func WatchEvent(ev meeting.Event) string {
	at := ev.At.Local().Format("15:04:05")
	conf := commands.OneLine(ev.ConferenceID)
	switch ev.Kind {
	case meeting.EventJoined:
		return "→ " + at + " joined meeting " + conf + ": " + participant(ev.Participant)
	case meeting.EventLeft:
		return "← " + at + " left meeting " + conf + ": " + leaver(ev.Participant)
	case meeting.EventStale:
		return "⚠️ " + at + " live updates of meeting " + conf + " are interrupted; kickbot reconnects (lists and kicks read the meeting meanwhile)."
	case meeting.EventLive:
		return "👀 " + at + " live updates of meeting " + conf + " are back."
	case meeting.EventEnded:
		return "🏁 " + at + " meeting " + conf + " ended; the watch stopped."
	}
	return ""
}

// leaver is "Jane Doe · +8613800000003 · ID c000…": who left, without the
// state they were last seen in.
func leaver(p meeting.Participant) string {
	parts := []string{commands.DisplayName(p.Name)}
	if ph := commands.ShownPhone(p.Phone); ph != "" {
		parts = append(parts, ph)
	}
	return strings.Join(append(parts, "ID "+commands.ShownID(p.ID)), " · ")
}
