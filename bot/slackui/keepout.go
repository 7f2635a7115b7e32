package slackui

import (
	"strconv"
	"strings"

	"github.com/slack-go/slack"

	"github.com/kickbot/kickbot/commands"
	"github.com/kickbot/kickbot/meeting"
)

// Action IDs of the hold outcome's and the uninvited list's buttons. Their
// value is a KeepOutValue: which record kickbot keeps, and a row of it —
// never a participant ID, so a forged value can only name someone kickbot
// itself put in that record.
const (
	ActionAdmit     = "kickbot_admit"     // one person of a hold, back from the waiting room
	ActionAdmitAll  = "kickbot_admit_all" // the whole waiting room
	ActionSweepOne  = "kickbot_sweep_one" // one uninvited row: Disconnect
	ActionSweepAll  = "kickbot_sweep_all" // Disconnect all N of an uninvited list
	ActionHoldOne   = "kickbot_hold_one"  // one uninvited row or join alert: Waiting room
	keepOutValueTag = "k2"                // format version
	maxKeepOutRow   = 9999                // far above KICK_MAX_SWEEP's sensible values
	allRows         = "all"               // the row field of the *_all actions
	maxAdmitButtons = 20                  // one Admit per person up to this; then one Admit all
	maxUninvitedRow = 20                  // rows with buttons in an uninvited list (two blocks each); the rest are counted
	maxCannotTell   = 10                  // "cannot tell" people named; the rest are counted
)

// IsKeepOutAction reports whether actionID belongs to a hold outcome or an
// uninvited list (the bot routes those clicks apart from roster lists).
func IsKeepOutAction(actionID string) bool {
	switch actionID {
	case ActionAdmit, ActionAdmitAll, ActionSweepOne, ActionSweepAll, ActionHoldOne:
		return true
	}
	return false
}

// KeepOutValue is what a hold or uninvited button carries.
type KeepOutValue struct {
	Record string // the bot's record ID (letters, digits, - _ .; ≤ 64)
	Row    int    // index into the record's people; -1 for the *_all actions
}

func encodeKeepOut(record string, row int) string {
	r := allRows
	if row >= 0 {
		r = strconv.Itoa(row)
	}
	return keepOutValueTag + "|" + record + "|" + r
}

// ParseKeepOutAction validates a click on a keep-out button. It accepts only
// the exact encoding the renderers write, and only the row form that fits
// the action (a row for Admit and Disconnect, "all" for the others).
func ParseKeepOutAction(actionID, value string) (KeepOutValue, error) {
	f := strings.Split(value, "|")
	if !IsKeepOutAction(actionID) || len(f) != 3 || f[0] != keepOutValueTag ||
		f[1] == "" || len(f[1]) > maxListIDLen || !isListID(f[1]) {
		return KeepOutValue{}, errButtonValue
	}
	v := KeepOutValue{Record: f[1], Row: -1}
	all := actionID == ActionAdmitAll || actionID == ActionSweepAll
	if all {
		if f[2] != allRows {
			return KeepOutValue{}, errButtonValue
		}
		return v, nil
	}
	n, err := strconv.Atoi(f[2])
	if err != nil || n < 0 || n > maxKeepOutRow || strconv.Itoa(n) != f[2] {
		return KeepOutValue{}, errButtonValue
	}
	v.Row = n
	return v, nil
}

// HoldState is what a hold's parent message shows: the people moved (each
// with an Admit button until someone admits them) and what has happened
// since.
type HoldState struct {
	Record   string                // the bot's record ID for the buttons
	People   []meeting.Participant // who may be in the waiting room
	Notes    map[int]string        // row → mrkdwn note ("↩️ admitted by <@U…>"); a noted row has no button
	AllNote  string                // set once Admit all was used
	NoButton bool                  // render without buttons (the record could not be kept)
	InThread bool                  // posted as a reply in the thread it concerns (a Waiting room click)
}

// RenderHoldParent is the parent message of a hold once it is over: the
// summary and, for each person moved, an Admit button (up to 20; beyond,
// one Admit all for the whole waiting room), so a mistake is undone in one
// click.
func RenderHoldParent(o commands.Outcome, st HoldState) Message {
	who := userMention(o.Kick.Actor)
	line := statusMarker(o.Status) + " " + who + ": " + commands.HoldSummary(o, mrkdwnMarkup{})
	blocks := []slack.Block{section(line)}
	if len(st.People) > 0 {
		hint := "Clicked by mistake? Admit lets them back in. Details in the thread."
		if st.InThread {
			hint = "Clicked by mistake? Admit lets them back in."
		}
		blocks = append(blocks, contextBlock(hint))
	}
	switch {
	case len(st.People) == 0:
	case len(st.People) <= maxAdmitButtons:
		for i, p := range st.People {
			text := NameMrkdwn(p.Name)
			if ph := commands.ShownPhone(p.Phone); ph != "" {
				text += " · " + escapeText(ph)
			}
			var acc *slack.Accessory
			if note := st.Notes[i]; note != "" || st.AllNote != "" {
				if note == "" {
					note = st.AllNote
				}
				text += "\n" + clipMrkdwn(commands.OneLine(note), maxNoteRunes)
			} else if !st.NoButton {
				acc = slack.NewAccessory(slack.NewButtonBlockElement(ActionAdmit, encodeKeepOut(st.Record, i), plainText("Admit")).
					WithStyle(slack.StylePrimary))
			} else {
				text += " — in the waiting room"
			}
			blocks = append(blocks, slack.NewSectionBlock(mrkdwn(clipMrkdwn(text, maxSectionRunes)), nil, acc))
		}
	default:
		lines := make([]string, len(st.People))
		for i, p := range st.People {
			lines[i] = "• " + NameMrkdwn(p.Name)
		}
		blocks = append(blocks, lineSections(lines, MaxBlocks-len(blocks)-2)...)
		if st.AllNote != "" {
			blocks = append(blocks, section(clipMrkdwn(commands.OneLine(st.AllNote), maxNoteRunes)))
		} else if !st.NoButton {
			confirm := slack.NewConfirmationBlockObject(plainText("Admit everyone waiting?"),
				plainText("This lets everyone in the waiting room of meeting "+Escape(o.Kick.Conference)+
					" in, not only the "+strconv.Itoa(len(st.People))+" moved here."),
				plainText("Admit all"), plainText("Cancel"))
			blocks = append(blocks, slack.NewActionBlock("",
				slack.NewButtonBlockElement(ActionAdmitAll, encodeKeepOut(st.Record, -1), plainText("Admit all")).WithConfirm(confirm)))
		}
	}
	return Message{Text: line, Blocks: appendBlocks(blocks, reasonContext(o.Kick.Reason))}
}

// RenderHoldOutcome is a hold's thread reply: the summary, one line per
// target, the reason, who asked and Huawei's request IDs.
func RenderHoldOutcome(o commands.Outcome) Message {
	head := commands.HoldSummary(o, mrkdwnMarkup{})
	lines := make([]string, len(o.Targets))
	for i, t := range o.Targets {
		lines[i] = commands.HoldOutcomeLine(t, mrkdwnMarkup{})
	}
	footer := contextBlock(reasonPart(o.Kick.Reason), "Requested by "+userMention(o.Kick.Actor), requestIDPart(o.RequestIDs))
	blocks := []slack.Block{section(head)}
	blocks = append(blocks, lineSections(lines, MaxBlocks-len(blocks)-1)...)
	return Message{Text: head, Blocks: appendBlocks(blocks, footer)}
}

// RenderHoldStarted is a hold's parent while the move runs.
func RenderHoldStarted(k commands.Kick) Message {
	line := "⏳ " + userMention(k.Actor) + " is moving " + commands.Plural(len(k.Targets), "participant", "participants") +
		" of meeting " + Escape(k.Conference) + " to the waiting room …"
	return Message{Text: line, Blocks: appendBlocks([]slack.Block{section(line)}, reasonContext(k.Reason))}
}

// RenderHoldNotice is a hold's ops notice.
func RenderHoldNotice(o commands.Outcome, permalink string) Message {
	line := statusMarker(o.Status) + " " + userMention(o.Kick.Actor) + " in " + channelMention(o.Kick.Channel) + ": " +
		commands.HoldSummary(o, mrkdwnMarkup{})
	if link := threadLink(permalink); link != "" {
		line += " " + link
	}
	return Message{Text: line, Blocks: appendBlocks([]slack.Block{section(line)},
		contextBlock(reasonPart(o.Kick.Reason), requestIDPart(o.RequestIDs)))}
}

// RenderHoldAmbiguous answers a hold whose name matched several people:
// nothing was moved; the caller is shown the candidates with their IDs.
func RenderHoldAmbiguous(k commands.Kick, amb []commands.Ambiguity) Message {
	return renderAmbiguous(k, amb, "Nobody was moved. Run the hold again with the participant ID of the one you mean.")
}

// RenderAdmit is the thread reply (and, with the link, the ops notice) for
// an Admit or Admit all.
func RenderAdmit(o commands.AdmitOutcome, permalink string) Message {
	line := commands.AdmitLine(o, mrkdwnMarkup{})
	if link := threadLink(permalink); link != "" {
		line += " " + link
	}
	var ids []string
	if o.RequestID != "" {
		ids = []string{o.RequestID}
	}
	return Message{Text: line, Blocks: appendBlocks([]slack.Block{section(line)}, contextBlock(requestIDPart(ids)))}
}

// UninvitedState is what an uninvited list shows besides the view.
type UninvitedState struct {
	Record   string                // the bot's record ID for the buttons; "" = no buttons
	Take     []meeting.Participant // the sweep snapshot: who Disconnect all takes
	Left     int                   // uninvited people beyond KICK_MAX_SWEEP, not in Take
	Notes    map[int]string        // row of Take → mrkdwn note; a noted row has no button
	SweptBy  string                // Slack user ID of whoever pressed Disconnect all
	MaxSweep int                   // KICK_MAX_SWEEP, for the sentence about Left
}

// RenderUninvited is the uninvited list: who is online but not on the
// invite list, a Disconnect button on each row, the "cannot tell" people
// apart (never swept), and "Disconnect all N" for the whole snapshot, with a
// confirm dialog naming N.
func RenderUninvited(v commands.UninvitedView, st UninvitedState) Message {
	head := "*Meeting " + escapeText(v.Conference) + "*"
	if subj := commands.OneLine(v.Subject); subj != "" {
		head += " · " + escapeText(commands.Clip(subj, commands.MaxNameRunes))
	}
	text := "Uninvited participants of meeting " + Escape(v.Conference)
	if !v.Known {
		line := "⚠️ kickbot could not read the invite list of meeting " + Escape(v.Conference) +
			", so it cannot tell who is uninvited. Nothing is offered to disconnect."
		return Message{Text: line, Blocks: []slack.Block{section(line)}}
	}
	n := len(v.Uninvited)
	head += "\n" + commands.Plural(n, "participant is", "participants are") + " online but not on the invite list"
	if len(v.CannotTell) > 0 {
		head += " · " + strconv.Itoa(len(v.CannotTell)) + " cannot tell"
	}
	head += " · " + strconv.Itoa(v.Invited) + " invited"
	blocks := []slack.Block{section(head)}
	blocks = appendBlocks(blocks, contextBlock(strings.Join(nonEmpty(readAtMrkdwn(v.ReadAt),
		"Matched by user ID where both lists have one, else by full phone number. The host and co-hosts are never included."), " · ")))
	if n == 0 {
		blocks = append(blocks, section("Everyone online is on the invite list (or cannot be told apart: see below)."))
	}
	for i, p := range st.Take {
		if i == maxUninvitedRow {
			break
		}
		row := strconv.Itoa(i+1) + ". " + NameMrkdwn(p.Name)
		if ph := commands.ShownPhone(p.Phone); ph != "" {
			row += " · " + escapeText(ph)
		}
		row += " · ID " + escapeText(commands.ShownID(p.ID))
		buttons := false
		if note := st.Notes[i]; note != "" {
			row += "\n" + clipMrkdwn(commands.OneLine(note), maxNoteRunes)
		} else {
			buttons = st.Record != "" && st.SweptBy == ""
		}
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn(clipMrkdwn(row, maxSectionRunes)), nil, nil))
		if buttons {
			// A section takes one accessory: the row's two buttons go in
			// an actions block under it.
			value := encodeKeepOut(st.Record, i)
			blocks = append(blocks, slack.NewActionBlock("",
				sweepOneButton(v.Conference, p, value), waitingRoomButton(value)))
		}
	}
	if more := len(st.Take) - maxUninvitedRow; more > 0 {
		blocks = append(blocks, section("…and "+commands.Plural(more, "more uninvited participant", "more uninvited participants")+
			" not shown here; *Disconnect all* includes them."))
	}
	if st.Left > 0 {
		blocks = append(blocks, section("⚠️ "+commands.Plural(st.Left, "more uninvited participant is", "more uninvited participants are")+
			" not included: one sweep takes at most "+strconv.Itoa(st.MaxSweep)+" (KICK_MAX_SWEEP). Run the command again afterwards for the rest."))
	}
	if len(v.CannotTell) > 0 {
		lines := []string{"*Cannot tell* (no user ID or full phone number to match; never swept):"}
		for i, p := range v.CannotTell {
			if i == maxCannotTell {
				lines = append(lines, "…and "+strconv.Itoa(len(v.CannotTell)-i)+" more")
				break
			}
			lines = append(lines, "• "+NameMrkdwn(p.Name)+" · ID "+escapeText(commands.ShownID(p.ID)))
		}
		blocks = append(blocks, section(clipMrkdwn(strings.Join(lines, "\n"), maxSectionRunes)))
	}
	switch {
	case st.SweptBy != "":
		blocks = append(blocks, section("🧹 "+userMention(st.SweptBy)+" pressed *Disconnect all "+strconv.Itoa(len(st.Take))+"*; the outcome is in the thread."))
	case st.Record != "" && len(st.Take) > 0:
		count := strconv.Itoa(len(st.Take))
		confirm := slack.NewConfirmationBlockObject(plainText("Disconnect all "+count+"?"),
			plainText("Disconnect the "+count+" uninvited participants listed for meeting "+Escape(v.Conference)+
				", including any not shown on screen? Nobody who joined after this list was drawn is included."),
			plainText("Disconnect "+count), plainText("Cancel")).WithStyle(slack.StyleDanger)
		blocks = append(blocks, slack.NewActionBlock("",
			slack.NewButtonBlockElement(ActionSweepAll, encodeKeepOut(st.Record, -1), plainText("Disconnect all "+count)).
				WithStyle(slack.StyleDanger).WithConfirm(confirm)))
	}
	return Message{Text: text + ": " + strconv.Itoa(n), Blocks: blocks}
}

// waitingRoomButton moves one person to the waiting room (a hold of one,
// undone by the Admit button its outcome carries).
func waitingRoomButton(value string) *slack.ButtonBlockElement {
	return slack.NewButtonBlockElement(ActionHoldOne, value, plainText("Waiting room"))
}

// JoinAlertWaitingRoom is the actions block under a join alert's row: the
// Waiting room button for the one person the alert is about (record's row
// 0).
func JoinAlertWaitingRoom(record string) slack.Block {
	return slack.NewActionBlock("", waitingRoomButton(encodeKeepOut(record, 0)))
}

func sweepOneButton(conf string, p meeting.Participant, value string) *slack.ButtonBlockElement {
	b := disconnectButton(conf, p, value)
	b.ActionID = ActionSweepOne
	return b
}
