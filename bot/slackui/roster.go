package slackui

import (
	"bytes"
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/kickbot/kickbot/commands"
	"github.com/kickbot/kickbot/meeting"
)

// Action IDs of the roster message's interactive elements. Every button's
// value, and the search box's block_id, is an encoded ButtonValue.
const (
	ActionDisconnect  = "kickbot_disconnect"   // Disconnect: the value names the participant
	ActionPrev        = "kickbot_prev"         // the value's Page is the page to show
	ActionNext        = "kickbot_next"         // the value's Page is the page to show
	ActionRefresh     = "kickbot_refresh"      // the value's Page is the current page
	ActionClearSearch = "kickbot_clear_search" // show the list without the search
	ActionSearch      = "kickbot_search"       // search box: the action's value is the query; its block_id the ButtonValue
)

// Page sizes. A page is one section per participant plus at most six other
// blocks, so 40 keeps every page under Slack's 50 blocks.
const (
	DefaultPageSize = 20
	maxPageSize     = 40
	maxNoteRunes    = 300
	maxNotesShown   = 10 // notes about participants no longer in the roster

	// maxPageBytes bounds a page's JSON (blocks and fallback text), as
	// encoding/json writes it. Lists go out with chat.postMessage and
	// chat.update, never in a Socket Mode ack, so Socket Mode's 20 KB frame
	// limit does not apply to them. What applies is chat.postMessage's: at
	// most 50 blocks (MaxBlocks), 3,000 characters per section
	// (maxSectionRunes), 2,000 bytes per button value (maxButtonValueLen),
	// and about 13,000 characters of text across the blocks, beyond which
	// Slack answers msg_blocks_too_long. Text is never more characters than
	// the bytes that encode it, so this budget also caps a page's text; it
	// is kept at 19 KB, the value chosen when it was believed to be a frame
	// limit. Participants choose their own names, so a roster full of long
	// names that escape to many bytes gets shorter pages instead.
	maxPageBytes = 19 * 1024
)

// ListOptions says which part of a roster to show, and how.
type ListOptions struct {
	Page     int    // 0-based; clamped to the pages there are
	PageSize int    // ≤ 0: DefaultPageSize; RenderRosterPage caps it at 40
	Query    string // case-insensitive part of a name, digits of a phone number, or start of an ID
	ListID   string // the bot's ID for this list message (letters, digits, - _ .; ≤ 64), carried by every button
	// ChannelNotes are one-line mrkdwn notes written by the bot, keyed by
	// pid, e.g. "disconnected by <@U123>". They are inserted as they are
	// (so mentions work): escape any name in them with Escape. A note for a
	// pid no longer in the roster is listed after the participants.
	ChannelNotes map[string]string
	// LiveNote, when set, marks a list kept current from the meeting's
	// event socket: its time reads "Updated" and the note follows it.
	LiveNote string
}

// RenderRosterPage is the participant list with a Disconnect button (and a
// confirm dialog) beside everyone but the host and co-hosts, a search box
// (an input block that dispatches ActionSearch when Enter is pressed)
// and Previous/Next/Refresh buttons. It stays within Slack's limits for any
// roster size.
func RenderRosterPage(r *meeting.Roster, opts ListOptions) Message {
	if r == nil {
		r = &meeting.Roster{}
	}
	size := opts.PageSize
	if size <= 0 {
		size = DefaultPageSize
	}
	v := commands.ViewRoster(r, opts.Query, opts.Page, min(size, maxPageSize))
	if size := fittingPageSize(r, opts, v); size < v.Size {
		v.Cut(size, opts.Page)
	}
	return renderPage(r, opts, v)
}

// renderPage renders the page v of the roster.
func renderPage(r *meeting.Roster, opts ListOptions, v commands.RosterView) Message {
	base := ButtonValue{Conference: r.ConferenceID, ListID: opts.ListID, Query: commands.Clip(commands.OneLine(opts.Query), commands.MaxQueryRunes),
		Page: v.Page, ReadAt: max(r.ReadAt.Unix(), 0)} // a zero ReadAt is far before 1970: 0

	head := "*Meeting " + escapeText(r.ConferenceID) + "*"
	if subj := commands.OneLine(r.Subject); subj != "" {
		head += " · " + escapeText(commands.Clip(subj, commands.MaxNameRunes))
	}
	head += "\n" + commands.Plural(v.Total, "participant", "participants")
	if base.Query != "" {
		head += " · " + strconv.Itoa(v.Matches) + " match “" + escapeText(base.Query) + "”"
	}
	blocks := []slack.Block{section(head)}
	readAt := readAtMrkdwn(r.ReadAt)
	if opts.LiveNote != "" && readAt != "" {
		readAt = "Updated" + strings.TrimPrefix(readAt, "Read")
	}
	blocks = appendBlocks(blocks, contextBlock(strings.Join(nonEmpty(readAt, opts.LiveNote,
		"Page "+strconv.Itoa(v.Page+1)+" of "+strconv.Itoa(v.Pages),
		"Disconnect asks for confirmation; the host and co-hosts can't be disconnected."), " · ")))
	if search := searchBlock(base); search != nil {
		blocks = append(blocks, search)
	}

	switch {
	case len(v.Shown) > 0:
		for i, p := range v.Shown {
			blocks = append(blocks, participantSection(r.ConferenceID, v.First+i+1, p, base, opts.ChannelNotes[p.ID]))
		}
	case base.Query != "":
		blocks = append(blocks, section("No participant matches “"+escapeText(base.Query)+"”."))
	default:
		blocks = append(blocks, section("Nobody is in the meeting right now."))
	}
	if notes := absentNotes(r, opts.ChannelNotes); len(notes) > 0 {
		blocks = append(blocks, section("Disconnected from this list:\n"+strings.Join(notes, "\n")))
	}
	blocks = appendBlocks(blocks, navBlock(v, base))

	text := "Participants of meeting " + Escape(r.ConferenceID) + ": " + strconv.Itoa(v.Total) +
		" (page " + strconv.Itoa(v.Page+1) + " of " + strconv.Itoa(v.Pages) + ")"
	return Message{Text: text, Blocks: blocks}
}

// fittingPageSize is the largest page size, up to v.Size, at which every
// page of this roster and search stays within maxPageBytes. It depends on
// the whole list, not on the page, so that all pages have the same size and
// paging stays consistent. It bounds a page by the frame (everything but the
// rows, rendered with the widest page numbers and every navigation button)
// plus page-size times a row built from the most expensive name, phone,
// ID and note in the list.
func fittingPageSize(r *meeting.Roster, opts ListOptions, v commands.RosterView) int {
	if len(v.Matched) == 0 || v.Size <= 1 {
		return v.Size
	}
	worst := meeting.Participant{ID: strings.Repeat("f", 32), State: meeting.StateCalling, Muted: true, Video: true, HandRaised: true}
	nameCost, phoneCost, idCost, noteCost := -1, -1, len(worst.ID), -1
	var note string
	m := newJSONMeter()
	for _, p := range v.Matched {
		if c := m.len(escapeText(commands.DisplayName(p.Name))); c > nameCost {
			nameCost, worst.Name = c, p.Name
		}
		if c := m.len(p.Phone); c > phoneCost {
			phoneCost, worst.Phone = c, p.Phone
		}
		if c := len(url.QueryEscape(p.ID)); c > idCost && (ButtonValue{Conference: r.ConferenceID, ParticipantID: p.ID}).validate() == nil {
			idCost, worst.ID = c, p.ID
		}
		if n := opts.ChannelNotes[p.ID]; n != "" {
			if c := m.len(n); c > noteCost {
				noteCost, note = c, n
			}
		}
	}
	frameView := commands.RosterView{Total: v.Total, Matches: v.Matches, Page: 1, Pages: maxPage, Size: v.Size}
	frame := jsonSize(renderPage(r, opts, frameView))
	base := ButtonValue{Conference: r.ConferenceID, ListID: opts.ListID, Page: maxPage, ReadAt: max(r.ReadAt.Unix(), 0)}
	// The row's confirm dialog repeats the name, possibly clipped: count it
	// in full once more, plus a comma between blocks.
	row := jsonSize(participantSection(r.ConferenceID, v.Matches, worst, base, note)) + nameCost + 1
	return min(v.Size, max(1, (maxPageBytes-frame)/row))
}

// jsonSize is the size of v as encoding/json (and so slack-go) writes it.
func jsonSize(v any) int {
	b, err := json.Marshal(v)
	if err != nil {
		return maxPageBytes // cannot happen for blocks; count it as too big
	}
	return len(b)
}

// jsonMeter measures strings as encoding/json writes them (and so
// slack-go sends them), reusing one encoder and buffer: fittingPageSize
// measures every listed participant's name, phone and note on every render.
type jsonMeter struct {
	buf bytes.Buffer
	enc *json.Encoder
	s   string // what is measured, encoded through a pointer so no string is boxed
}

// writtenAsIs reports text encoding/json writes unchanged: printable ASCII
// without the characters it escapes (" and \, and < > & as HTML-safe JSON).
func writtenAsIs(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}

func newJSONMeter() *jsonMeter {
	m := &jsonMeter{}
	m.enc = json.NewEncoder(&m.buf)
	return m
}

// len is the bytes encoding/json writes for s, without its quotes.
func (m *jsonMeter) len(s string) int {
	if writtenAsIs(s) {
		return len(s) // most names and phones: no need to run the encoder
	}
	m.buf.Reset()
	m.s = s
	if m.enc.Encode(&m.s) != nil {
		return maxPageBytes // cannot happen for a string; count it as too big
	}
	return m.buf.Len() - len(`""`+"\n")
}

// readAtMrkdwn shows the read time in each reader's own time zone, with a
// UTC fallback for clients that cannot.
func readAtMrkdwn(t time.Time) string {
	if t.IsZero() || t.Unix() < 0 {
		return ""
	}
	return "Read <!date^" + strconv.FormatInt(t.Unix(), 10) + "^{date_short_pretty} {time_secs}|" +
		t.UTC().Format("2006-01-02 15:04:05 UTC") + ">"
}

func nonEmpty(parts ...string) []string {
	return slices.DeleteFunc(parts, func(s string) bool { return s == "" })
}

// searchBlock is the search box. Its block_id carries the list's state,
// since an input's action has no value of its own but the query.
func searchBlock(base ButtonValue) slack.Block {
	v := base
	v.Query, v.Page = "", 0
	id, err := EncodeButtonValue(v)
	if err != nil || len(id) > 255 {
		return nil
	}
	input := slack.NewPlainTextInputBlockElement(plainText("Part of a name, phone digits or an ID"), ActionSearch).
		WithMaxLength(commands.MaxQueryRunes).
		WithDispatchActionConfig(&slack.DispatchActionConfig{TriggerActionsOn: []string{"on_enter_pressed"}})
	if base.Query != "" {
		input = input.WithInitialValue(base.Query)
	}
	return slack.NewInputBlock(id, plainText("Search participants (press Enter)"), nil, input).
		WithDispatchAction(true)
}

// participantSection is one participant: number, name, flags, phone, state,
// role or note, and a Disconnect button unless protected.
func participantSection(conf string, n int, p meeting.Participant, base ButtonValue, note string) slack.Block {
	var b strings.Builder
	b.WriteString(strconv.Itoa(n) + ". " + NameMrkdwn(p.Name))
	for _, f := range []struct {
		on   bool
		flag string
	}{{p.Muted, " 🔇"}, {p.Video, " 🎥"}, {p.HandRaised, " ✋"}} {
		if f.on {
			b.WriteString(f.flag)
		}
	}
	b.WriteString("\n")
	if ph := commands.ShownPhone(p.Phone); ph != "" {
		b.WriteString(escapeText(ph) + " · ")
	}
	b.WriteString(p.State.String())
	if role := commands.Role(p); role != "" {
		b.WriteString(" · *" + role + "* — can't be disconnected")
	}
	if note = clipMrkdwn(commands.OneLine(note), maxNoteRunes); note != "" {
		b.WriteString("\n" + note)
	}

	var acc *slack.Accessory
	if !p.Protected() {
		// A Disconnect names a participant of a list; the click acts on the
		// list as the bot keeps it, so the button need not carry the page or
		// the search (which could be 900 bytes on each of the page's buttons).
		v := base
		v.ParticipantID, v.Query, v.Page = p.ID, "", 0
		if value, err := EncodeButtonValue(v); err == nil {
			acc = slack.NewAccessory(disconnectButton(conf, p, value))
		} else {
			b.WriteString("\n_No button: this participant's ID is unusual._")
		}
	}
	return slack.NewSectionBlock(mrkdwn(clipMrkdwn(b.String(), maxSectionRunes)), nil, acc)
}

func disconnectButton(conf string, p meeting.Participant, value string) *slack.ButtonBlockElement {
	prefix, suffix := "Disconnect ", " from meeting "+Escape(conf)+"?"
	budget := maxConfirmText - len([]rune(prefix)) - len([]rune(suffix))
	confirm := slack.NewConfirmationBlockObject(
		plainText("Disconnect participant?"),
		plainText(prefix+escapeClip(commands.DisplayName(p.Name), budget)+suffix),
		plainText("Disconnect"),
		plainText("Cancel"),
	).WithStyle(slack.StyleDanger)
	return slack.NewButtonBlockElement(ActionDisconnect, value, plainText("Disconnect")).
		WithStyle(slack.StyleDanger).WithConfirm(confirm)
}

// absentNotes are the notes about pids that are no longer in the roster,
// sorted so the message does not reshuffle between updates.
func absentNotes(r *meeting.Roster, notes map[string]string) []string {
	if len(notes) == 0 {
		return nil
	}
	present := make(map[string]bool, len(r.Participants))
	for _, p := range r.Participants {
		present[p.ID] = true
	}
	var pids []string
	for pid := range notes {
		if !present[pid] && commands.OneLine(notes[pid]) != "" {
			pids = append(pids, pid)
		}
	}
	slices.Sort(pids)
	var out []string
	for i, pid := range pids {
		if i == maxNotesShown {
			out = append(out, "…and "+strconv.Itoa(len(pids)-i)+" more")
			break
		}
		out = append(out, "• "+clipMrkdwn(commands.OneLine(notes[pid]), maxNoteRunes))
	}
	return out
}

// navBlock holds Previous, Next, Refresh and Clear search.
func navBlock(v commands.RosterView, base ButtonValue) slack.Block {
	var els []slack.BlockElement
	add := func(action, label string, page int, query string) {
		bv := base
		bv.Page, bv.Query = page, query
		if value, err := EncodeButtonValue(bv); err == nil {
			els = append(els, slack.NewButtonBlockElement(action, value, plainText(label)))
		}
	}
	if v.Page > 0 {
		add(ActionPrev, "◀ Previous", v.Page-1, base.Query)
	}
	if v.Page < v.Pages-1 {
		add(ActionNext, "Next ▶", v.Page+1, base.Query)
	}
	add(ActionRefresh, "Refresh", v.Page, base.Query)
	if base.Query != "" {
		add(ActionClearSearch, "Clear search", 0, "")
	}
	if len(els) == 0 {
		return nil
	}
	return slack.NewActionBlock("", els...)
}

// RowNote is the note a list shows beside a participant after a kick from
// the list (for ListOptions.ChannelNotes): "✅ disconnected by <@U123>".
// It is mrkdwn with the participant's name escaped.
func RowNote(o commands.Outcome, pid string) string {
	who := userMention(o.Kick.Actor)
	for _, t := range o.Targets {
		// A list row names someone by pid; if the live roster read for the
		// kick no longer had them, they left on their own: not an error.
		if t.Participant == nil && t.Result == commands.ResultNotFound && t.Target.Kind == commands.TargetID && t.Target.Value == pid {
			return "👋 already left the meeting when " + who + " tried to disconnect them"
		}
		if t.Participant == nil || t.Participant.ID != pid {
			continue
		}
		name := NameMrkdwn(t.Participant.Name)
		switch t.Result {
		case commands.ResultGone:
			return "✅ " + name + " disconnected by " + who
		case commands.ResultStillPresent:
			return "⚠️ " + who + " asked to disconnect " + name + ", but they are still in the meeting"
		case commands.ResultUnconfirmed:
			return "❔ " + who + " asked to disconnect " + name + "; the meeting accepted it, but kickbot could not confirm they left"
		case commands.ResultRefused:
			return "🛡️ " + name + " can't be disconnected (" + Escape(t.Detail) + ")"
		default:
			return "❌ " + who + " could not disconnect " + name + ": " + Escape(t.Detail)
		}
	}
	return "❓ " + who + " tried to disconnect this participant, who was not found"
}
