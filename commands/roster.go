package commands

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/kickbot/kickbot/meeting"
	"github.com/slack-go/slack"
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

	// maxPageBytes bounds a page's JSON (blocks and fallback text): Slack
	// drops Socket Mode frames of 20 KB, and the team keeps every message
	// under that. Participants choose their own names, so a roster full of
	// long names that escape to many bytes gets shorter pages instead.
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
}

// rosterView is one page of a filtered, sorted roster.
type rosterView struct {
	total   int // participants in the roster
	matches int // participants found by the search
	page    int
	pages   int
	first   int // index among the matches of the page's first participant
	size    int // participants per page
	shown   []meeting.Participant
	matched []*meeting.Participant // every match, sorted
}

// viewRoster filters and sorts the roster (host, then co-hosts, then
// everyone by name, then ID: stable while people join and leave) and cuts
// out the requested page. It runs on every click, on rosters of thousands,
// so all sort keys share one allocation.
func viewRoster(r *meeting.Roster, opts ListOptions, defaultSize, maxSize int) rosterView {
	var ps []meeting.Participant
	if r != nil {
		ps = r.Participants
	}
	size := opts.PageSize
	if size <= 0 {
		size = max(defaultSize, 1)
	}
	if maxSize > 0 && size > maxSize {
		size = maxSize
	}

	type entry struct {
		p          *meeting.Participant
		start, end int32 // the folded name is keys[start:end]
		rank       int8
	}
	entries := make([]entry, len(ps))
	n := 0
	for i := range ps {
		n += len(ps[i].Name)
	}
	buf := make([]byte, 0, n+n/8) // lower-casing rarely grows a name
	for i := range ps {
		p := &ps[i]
		start := len(buf)
		buf = appendFolded(buf, p.Name)
		rank := int8(2)
		if p.Host {
			rank = 0
		} else if p.CoHost {
			rank = 1
		}
		entries[i] = entry{p: p, rank: rank, start: int32(start), end: int32(len(buf))}
	}
	keys := string(buf)
	match := queryMatcher(opts.Query)
	entries = slices.DeleteFunc(entries, func(e entry) bool {
		return match != nil && !match(e.p, keys[e.start:e.end])
	})
	slices.SortFunc(entries, func(a, b entry) int {
		if a.rank != b.rank {
			return int(a.rank) - int(b.rank)
		}
		if c := strings.Compare(keys[a.start:a.end], keys[b.start:b.end]); c != 0 {
			return c
		}
		return strings.Compare(a.p.ID, b.p.ID)
	})

	v := rosterView{total: len(ps), matches: len(entries), matched: make([]*meeting.Participant, len(entries))}
	for i, e := range entries {
		v.matched[i] = e.p
	}
	v.cut(size, opts.Page)
	return v
}

// cut chooses the page of the given size (clamped to the pages there are).
func (v *rosterView) cut(size, page int) {
	v.size = size
	v.pages = max(1, (v.matches+size-1)/size)
	v.page = min(max(page, 0), v.pages-1)
	v.first = v.page * size
	v.shown = v.shown[:0]
	for _, p := range v.matched[v.first:min(v.first+size, len(v.matched))] {
		v.shown = append(v.shown, *p)
	}
}

// appendFolded appends s lower-cased, with white space trimmed and
// collapsed and invisible characters dropped (as normalizeName does), for
// sorting and searching.
func appendFolded(dst []byte, s string) []byte {
	space := false
	start := len(dst)
	for _, r := range s {
		if r < utf8.RuneSelf {
			// ASCII fast path (most names): this runs for every participant
			// on every render of a list.
			switch {
			case r <= ' ' || r == 0x7f:
				space = len(dst) > start
				continue
			case space:
				dst = append(dst, ' ')
				space = false
			}
			if 'A' <= r && r <= 'Z' {
				r += 'a' - 'A'
			}
			dst = append(dst, byte(r))
			continue
		}
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			space = len(dst) > start
			continue
		}
		if r >= 0xad && isInvisible(r) {
			continue
		}
		if space {
			dst = append(dst, ' ')
			space = false
		}
		switch r { // the look-alikes the list shows for * and `, as normalizeName undoes them
		case '\u2217':
			r = '*'
		case '\u02cb':
			r = '`'
		}
		dst = utf8.AppendRune(dst, unicode.ToLower(r))
	}
	return dst
}

// queryMatcher matches a name containing the query (case- and
// space-insensitive; folded is the participant's name through
// appendFolded), an ID starting with it, or, for a query of three or more
// digits, a phone number containing them. nil: no search.
func queryMatcher(query string) func(p *meeting.Participant, folded string) bool {
	q := string(appendFolded(nil, query))
	if q == "" {
		return nil
	}
	digits := phoneDigits(query)
	if len(digits) < 3 {
		digits = ""
	}
	return func(p *meeting.Participant, folded string) bool {
		if strings.Contains(folded, q) || len(p.ID) >= len(q) && strings.EqualFold(p.ID[:len(q)], q) {
			return true
		}
		return digits != "" && strings.Contains(phoneDigits(p.Phone), digits)
	}
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
	v := viewRoster(r, opts, DefaultPageSize, maxPageSize)
	if size := fittingPageSize(r, opts, v); size < v.size {
		v.cut(size, opts.Page)
	}
	return renderPage(r, opts, v)
}

// renderPage renders the page v of the roster.
func renderPage(r *meeting.Roster, opts ListOptions, v rosterView) Message {
	base := ButtonValue{Conference: r.ConferenceID, ListID: opts.ListID, Query: clip(oneLine(opts.Query), maxQueryRunes),
		Page: v.page, ReadAt: max(r.ReadAt.Unix(), 0)} // a zero ReadAt is far before 1970: 0

	head := "*Meeting " + escapeText(r.ConferenceID) + "*"
	if subj := oneLine(r.Subject); subj != "" {
		head += " · " + escapeText(clip(subj, maxNameRunes))
	}
	head += "\n" + plural(v.total, "participant", "participants")
	if base.Query != "" {
		head += " · " + strconv.Itoa(v.matches) + " match “" + escapeText(base.Query) + "”"
	}
	blocks := []slack.Block{section(head)}
	blocks = appendBlocks(blocks, contextBlock(strings.Join(nonEmpty(readAtMrkdwn(r.ReadAt),
		"Page "+strconv.Itoa(v.page+1)+" of "+strconv.Itoa(v.pages),
		"Disconnect asks for confirmation; the host and co-hosts can't be disconnected."), " · ")))
	if search := searchBlock(base); search != nil {
		blocks = append(blocks, search)
	}

	switch {
	case len(v.shown) > 0:
		for i, p := range v.shown {
			blocks = append(blocks, participantSection(r.ConferenceID, v.first+i+1, p, base, opts.ChannelNotes[p.ID]))
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

	text := "Participants of meeting " + Escape(r.ConferenceID) + ": " + strconv.Itoa(v.total) +
		" (page " + strconv.Itoa(v.page+1) + " of " + strconv.Itoa(v.pages) + ")"
	return Message{Text: text, Blocks: blocks}
}

// fittingPageSize is the largest page size, up to v.size, at which every
// page of this roster and search stays within maxPageBytes. It depends on
// the whole list, not on the page, so that all pages have the same size and
// paging stays consistent. It bounds a page by the frame (everything but the
// rows, rendered with the widest page numbers and every navigation button)
// plus page-size times a row built from the most expensive name, phone,
// ID and note in the list.
func fittingPageSize(r *meeting.Roster, opts ListOptions, v rosterView) int {
	if len(v.matched) == 0 || v.size <= 1 {
		return v.size
	}
	worst := meeting.Participant{ID: strings.Repeat("f", 32), State: meeting.StateCalling, Muted: true, Video: true, HandRaised: true}
	nameCost, phoneCost, idCost, noteCost := -1, -1, len(worst.ID), -1
	var note string
	for _, p := range v.matched {
		if c := nameJSONLen(p.Name); c > nameCost {
			nameCost, worst.Name = c, p.Name
		}
		if c := jsonLen(p.Phone); c > phoneCost {
			phoneCost, worst.Phone = c, p.Phone
		}
		if c := queryEscapedLen(p.ID); c > idCost && (ButtonValue{Conference: r.ConferenceID, ParticipantID: p.ID}).validate() == nil {
			idCost, worst.ID = c, p.ID
		}
		if n := opts.ChannelNotes[p.ID]; n != "" {
			if c := jsonLen(n); c > noteCost {
				noteCost, note = c, n
			}
		}
	}
	frameView := rosterView{total: v.total, matches: v.matches, page: 1, pages: maxPage, size: v.size}
	frame := jsonSize(renderPage(r, opts, frameView))
	base := ButtonValue{Conference: r.ConferenceID, ListID: opts.ListID, Page: maxPage, ReadAt: max(r.ReadAt.Unix(), 0)}
	// The row's confirm dialog repeats the name, possibly clipped: count it
	// in full once more, plus a comma between blocks.
	row := jsonSize(participantSection(r.ConferenceID, v.matches, worst, base, note)) + nameCost + 1
	return min(v.size, max(1, (maxPageBytes-frame)/row))
}

// queryEscapedLen is len(url.QueryEscape(s)) without building the string
// (it runs for every participant on every render).
func queryEscapedLen(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '-', c == '_', c == '.', c == '~', c == ' ':
			n++ // unreserved, or ' ' → '+'
		default:
			n += 3
		}
	}
	return n
}

// nameJSONLen bounds, without allocating (it runs for every participant
// on every click), the JSON bytes of NameMrkdwn(name) without its stars.
func nameJSONLen(name string) int {
	n, runes := 0, 0
	for _, r := range name {
		if r >= 0xad && isInvisible(r) {
			continue // removed, and not counted against maxNameRunes either
		}
		if runes == maxNameRunes {
			return n + len("…")
		}
		runes++
		switch {
		case r == '*':
			n += len("\u2217")
		case r == '`':
			n += len("\u02cb")
		case r == '&':
			n += len(`\u0026amp;`)
		case r == '<' || r == '>':
			n += len(`\u0026lt;`)
		case r == '"' || r == '\\':
			n += 2
		case r == utf8.RuneError || r == '\u2028' || r == '\u2029':
			n += 6
		default:
			n += utf8.RuneLen(r)
		}
	}
	return max(n, len("(no name)"))
}

// jsonSize is the size of v as encoding/json (and so slack-go) writes it.
func jsonSize(v any) int {
	b, err := json.Marshal(v)
	if err != nil {
		return maxPageBytes // cannot happen for blocks; count it as too big
	}
	return len(b)
}

// jsonLen bounds the bytes encoding/json writes for the string s, without
// quotes: it escapes <, > and & (to \u003c…), control characters, quotes,
// backslashes, U+2028, U+2029 and invalid UTF-8.
func jsonLen(s string) int {
	n := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				n += 2
			case c < 0x20 || c == '<' || c == '>' || c == '&':
				n += 6
			default:
				n++
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || r == '\u2028' || r == '\u2029' {
			n += 6
		} else {
			n += size
		}
		i += size
	}
	return n
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
		WithMaxLength(maxQueryRunes).
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
	if ph := oneLine(p.Phone); ph != "" {
		b.WriteString(escapeText(clip(ph, maxPhoneRunes)) + " · ")
	}
	b.WriteString(p.State.String())
	if role := roleOf(p); role != "" {
		b.WriteString(" · *" + role + "* — can't be disconnected")
	}
	if note = clipMrkdwn(oneLine(note), maxNoteRunes); note != "" {
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
		plainText(prefix+escapeClip(displayName(p.Name), budget)+suffix),
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
		if !present[pid] && oneLine(notes[pid]) != "" {
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
		out = append(out, "• "+clipMrkdwn(oneLine(notes[pid]), maxNoteRunes))
	}
	return out
}

// navBlock holds Previous, Next, Refresh and Clear search.
func navBlock(v rosterView, base ButtonValue) slack.Block {
	var els []slack.BlockElement
	add := func(action, label string, page int, query string) {
		bv := base
		bv.Page, bv.Query = page, query
		if value, err := EncodeButtonValue(bv); err == nil {
			els = append(els, slack.NewButtonBlockElement(action, value, plainText(label)))
		}
	}
	if v.page > 0 {
		add(ActionPrev, "◀ Previous", v.page-1, base.Query)
	}
	if v.page < v.pages-1 {
		add(ActionNext, "Next ▶", v.page+1, base.Query)
	}
	add(ActionRefresh, "Refresh", v.page, base.Query)
	if base.Query != "" {
		add(ActionClearSearch, "Clear search", 0, "")
	}
	if len(els) == 0 {
		return nil
	}
	return slack.NewActionBlock("", els...)
}

// RenderRosterText is the participant list as numbered plain text for a
// terminal, in the order NumberedRows gives. It searches and pages like
// RenderRosterPage, but with PageSize ≤ 0 it lists everyone.
func RenderRosterText(r *meeting.Roster, opts ListOptions) string {
	if r == nil {
		r = &meeting.Roster{}
	}
	v := viewRoster(r, opts, len(r.Participants), 0)
	var b strings.Builder
	b.WriteString("Meeting " + oneLine(r.ConferenceID))
	if subj := oneLine(r.Subject); subj != "" {
		b.WriteString(" (" + clip(subj, maxNameRunes) + ")")
	}
	b.WriteString(": " + plural(v.total, "participant", "participants"))
	if !r.ReadAt.IsZero() {
		b.WriteString(", read " + r.ReadAt.UTC().Format("2006-01-02 15:04:05 UTC"))
	}
	if q := clip(oneLine(opts.Query), maxQueryRunes); q != "" {
		b.WriteString("\nSearch \"" + q + "\": " + plural(v.matches, "match", "matches"))
	}
	if len(v.shown) == 0 {
		if opts.Query != "" {
			b.WriteString("\nNo participant matches.")
		} else {
			b.WriteString("\nNobody is in the meeting right now.")
		}
	}
	for i, p := range v.shown {
		b.WriteString("\n" + strconv.Itoa(v.first+i+1) + ". " + participantText(p))
		if note := oneLine(opts.ChannelNotes[p.ID]); note != "" {
			b.WriteString(" — " + note)
		}
	}
	if v.pages > 1 {
		b.WriteString("\nPage " + strconv.Itoa(v.page+1) + " of " + strconv.Itoa(v.pages) + ": " +
			strconv.Itoa(v.first+1) + "–" + strconv.Itoa(v.first+len(v.shown)) + " of " + strconv.Itoa(v.matches))
	}
	return b.String()
}

// NumberedRows is the roster in the order the lists number it (host,
// co-hosts, then by name and ID): row n of RenderRosterText (without a
// search) is NumberedRows(r)[n-1].
func NumberedRows(r *meeting.Roster) []meeting.Participant {
	if r == nil {
		return nil
	}
	return viewRoster(r, ListOptions{}, len(r.Participants), 0).shown
}

// RowNote is the note a list shows beside a participant after a kick from
// the list (for ListOptions.ChannelNotes): "✅ disconnected by <@U123>".
// It is mrkdwn with the participant's name escaped.
func RowNote(o Outcome, pid string) string {
	who := userMention(o.Kick.Actor)
	for _, t := range o.Targets {
		// A list row names someone by pid; if the live roster read for the
		// kick no longer had them, they left on their own: not an error.
		if t.Participant == nil && t.Result == ResultNotFound && t.Target.Kind == TargetID && t.Target.Value == pid {
			return "👋 already left the meeting when " + who + " tried to disconnect them"
		}
		if t.Participant == nil || t.Participant.ID != pid {
			continue
		}
		name := NameMrkdwn(t.Participant.Name)
		switch t.Result {
		case ResultGone:
			return "✅ " + name + " disconnected by " + who
		case ResultStillPresent:
			return "⚠️ " + who + " asked to disconnect " + name + ", but they are still in the meeting"
		case ResultUnconfirmed:
			return "❔ " + who + " asked to disconnect " + name + "; the meeting accepted it, but kickbot could not confirm they left"
		case ResultRefused:
			return "🛡️ " + name + " can't be disconnected (" + Escape(t.Detail) + ")"
		default:
			return "❌ " + who + " could not disconnect " + name + ": " + Escape(t.Detail)
		}
	}
	return "❓ " + who + " tried to disconnect this participant, who was not found"
}

// participantText is "Jane Doe · +8613800000003 · in meeting · muted, video · ID c000…".
func participantText(p meeting.Participant) string {
	parts := []string{displayName(p.Name)}
	if ph := oneLine(p.Phone); ph != "" {
		parts = append(parts, clip(ph, maxPhoneRunes))
	}
	parts = append(parts, p.State.String())
	if role := roleOf(p); role != "" {
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
	parts = append(parts, "ID "+clip(oneLine(p.ID), maxIDLen))
	return strings.Join(parts, " · ")
}
