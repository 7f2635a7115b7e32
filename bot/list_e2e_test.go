package bot_test

// End-to-end tests of participant lists (issue 4): `/kick <conference>`
// posts the roster with Disconnect buttons, and clicks on those buttons go
// through the real slack-go Socket Mode client, the bot and the real meeting
// client against the simulator. Every click is built from the buttons in the
// message as Slack shows it at that moment (slackfake's Current), as Slack
// would send it.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/kickbot/kickbot/bot"
	"github.com/kickbot/kickbot/bot/slackfake"
	"github.com/kickbot/kickbot/bot/slackui"
	"github.com/kickbot/kickbot/meeting"
	"github.com/kickbot/kickbot/meeting/meetingtest"
)

// Slack's limits (slack-platform.md §2, §4).
const (
	slackMaxBlocks         = 50
	slackMaxActionElements = 25
	slackMaxSectionText    = 3000
	slackMaxFrame          = 20 * 1024
	slackMaxButtonValue    = 2000
	slackMaxBlockID        = 255
	slackMaxButtonText     = 75
	slackMaxConfirmText    = 300
)

// The Block Kit JSON of a list message, decoded just enough to find and
// press its buttons.
type lvText struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

type lvConfirm struct {
	Title   *lvText `json:"title"`
	Text    *lvText `json:"text"`
	Confirm *lvText `json:"confirm"`
	Deny    *lvText `json:"deny"`
	Style   string  `json:"style"`
}

type lvElement struct {
	Type         string     `json:"type"`
	ActionID     string     `json:"action_id"`
	Value        string     `json:"value"`
	Style        string     `json:"style"`
	Text         *lvText    `json:"text"`
	Confirm      *lvConfirm `json:"confirm"`
	InitialValue string     `json:"initial_value"`
}

type lvBlock struct {
	Type           string            `json:"type"`
	BlockID        string            `json:"block_id"`
	Text           *lvText           `json:"text"`
	Accessory      *lvElement        `json:"accessory"`
	Elements       []json.RawMessage `json:"elements"`
	Element        *lvElement        `json:"element"`
	DispatchAction bool              `json:"dispatch_action"`
}

func (b lvBlock) text() string {
	if b.Text == nil {
		return ""
	}
	return b.Text.Text
}

// lvButton is a pressable element and the block holding it.
type lvButton struct {
	blockID string
	el      lvElement
}

// listView is one version of a list message.
type listView struct {
	t      *testing.T
	msg    slackfake.Message
	blocks []lvBlock
}

func parseList(t *testing.T, m slackfake.Message) *listView {
	t.Helper()
	v := &listView{t: t, msg: m}
	if err := json.Unmarshal(m.Blocks, &v.blocks); err != nil {
		t.Fatalf("list message blocks do not decode: %v\n%s", err, m.Blocks)
	}
	return v
}

// rowRE matches a participant row: "12. *Name*…".
var rowRE = regexp.MustCompile(`^(\d+)\. \*(.*?)\*`)

// rows are the participant rows shown, in order: number and (escaped) name.
func (v *listView) rows() (nums []int, names []string) {
	for _, b := range v.blocks {
		if b.Type != "section" {
			continue
		}
		if m := rowRE.FindStringSubmatch(b.text()); m != nil {
			var n int
			fmt.Sscan(m[1], &n)
			nums, names = append(nums, n), append(names, m[2])
		}
	}
	return nums, names
}

// row is the section of the one participant shown as *name* (name as the
// message spells it, i.e. mrkdwn-escaped).
func (v *listView) row(name string) lvBlock {
	v.t.Helper()
	var found []lvBlock
	for _, b := range v.blocks {
		if m := rowRE.FindStringSubmatch(b.text()); b.Type == "section" && m != nil && m[2] == name {
			found = append(found, b)
		}
	}
	if len(found) != 1 {
		v.t.Fatalf("%d rows for %q in the list; want 1:\n%s", len(found), name, allText(v.msg))
	}
	return found[0]
}

func (v *listView) hasRow(name string) bool {
	_, names := v.rows()
	return slices.Contains(names, name)
}

// disconnect is the Disconnect button of the participant shown as *name*.
func (v *listView) disconnect(name string) lvButton {
	v.t.Helper()
	b := v.row(name)
	if b.Accessory == nil || b.Accessory.ActionID != slackui.ActionDisconnect {
		v.t.Fatalf("row %q has no Disconnect button: %+v", name, b)
	}
	return lvButton{blockID: b.BlockID, el: *b.Accessory}
}

// nav is the button with actionID in the list's actions block(s).
func (v *listView) nav(actionID string) (lvButton, bool) {
	for _, b := range v.blocks {
		if b.Type != "actions" {
			continue
		}
		for _, raw := range b.Elements {
			var el lvElement
			if json.Unmarshal(raw, &el) == nil && el.ActionID == actionID {
				return lvButton{blockID: b.BlockID, el: el}, true
			}
		}
	}
	return lvButton{}, false
}

func (v *listView) mustNav(actionID string) lvButton {
	v.t.Helper()
	b, ok := v.nav(actionID)
	if !ok {
		v.t.Fatalf("the list has no %s button:\n%s", actionID, allText(v.msg))
	}
	return b
}

// search is the search box, pressed with query as its value.
func (v *listView) search(query string) lvButton {
	v.t.Helper()
	for _, b := range v.blocks {
		if b.Type == "input" && b.Element != nil && b.Element.ActionID == slackui.ActionSearch {
			if !b.DispatchAction {
				v.t.Errorf("the search box does not dispatch its action: Slack would never send it")
			}
			el := *b.Element
			el.Value = query
			return lvButton{blockID: b.BlockID, el: el}
		}
	}
	v.t.Fatalf("the list has no search box:\n%s", v.msg.BlocksJSON())
	return lvButton{}
}

// header is the text of the list's first block and its context line.
func (v *listView) header() string {
	var parts []string
	for _, b := range v.blocks {
		switch b.Type {
		case "section":
			if len(parts) == 0 {
				parts = append(parts, b.text())
			}
		case "context":
			for _, raw := range b.Elements {
				var t lvText
				if json.Unmarshal(raw, &t) == nil {
					parts = append(parts, t.Text)
				}
			}
		}
		if b.Type == "context" {
			break
		}
	}
	return strings.Join(parts, "\n")
}

// openList runs `/kick conf` as user in modChannel and returns the list
// message it posted.
func (h *harness) openList(user, conf string) *listView {
	h.t.Helper()
	_, ack := h.slash(user, modChannel, conf)
	if ackText(ack) != "" {
		h.t.Fatalf("`/kick %s` must be acked bare, got %s", conf, ackText(ack))
	}
	m := h.waitMsg("participant list", func(m slackfake.Message) bool {
		return m.Method == "chat.postMessage" && m.Channel == modChannel && m.ThreadTS == "" &&
			strings.Contains(m.Text, "Participants of meeting "+conf)
	})
	return parseList(h.t, m)
}

// current is the list message as it is now.
func (h *harness) current(v *listView) *listView {
	h.t.Helper()
	m, ok := h.slack.Current(modChannel, v.msg.TS)
	if !ok {
		h.t.Fatalf("list message %s vanished", v.msg.TS)
	}
	return parseList(h.t, m)
}

// press sends the block_actions envelope of user clicking b on list v, as
// Slack would, and waits for its ack.
func (h *harness) press(user string, v *listView, b lvButton) string {
	h.t.Helper()
	label := ""
	if b.el.Text != nil {
		label = b.el.Text.Text
	}
	id := h.slack.BlockAction(slackfake.Action{
		UserID: user, ChannelID: modChannel, MessageTS: v.msg.TS,
		ActionID: b.el.ActionID, BlockID: b.blockID, Value: b.el.Value, Text: label, Style: b.el.Style,
	})
	if _, err := h.slack.WaitAck(h.ctx(), id); err != nil {
		h.t.Fatalf("click %s not acked: %v", b.el.ActionID, err)
	}
	return id
}

// updates counts the chat.update calls on list v so far.
func (h *harness) updates(v *listView) int {
	n := 0
	for _, m := range h.slack.Messages() {
		if m.Method == "chat.update" && m.Channel == modChannel && m.TS == v.msg.TS {
			n++
		}
	}
	return n
}

// waitUpdates waits for the n-th chat.update of list v and returns the list
// as it is then.
func (h *harness) waitUpdates(v *listView, n int) *listView {
	h.t.Helper()
	ts := v.msg.TS
	got, err := h.slack.WaitMessages(h.ctx(), n, func(m slackfake.Message) bool {
		return m.Method == "chat.update" && m.Channel == modChannel && m.TS == ts
	})
	if err != nil {
		h.t.Fatalf("list not updated %d times: %v\nmessages:%s", n, err, h.dumpMessages())
	}
	return parseList(h.t, got[n-1])
}

// navigate presses a paging/search/refresh control and returns the list as
// updated by it.
func (h *harness) navigate(user string, v *listView, b lvButton) *listView {
	h.t.Helper()
	n := h.updates(v)
	h.press(user, v, b)
	return h.waitUpdates(v, n+1)
}

// threadOutcomes counts the kick outcomes in thread replies: each names who
// requested it once, and waiting outcomes may share one reply.
func threadOutcomes(th []slackfake.Message) int {
	n := 0
	for _, m := range th {
		n += strings.Count(allText(m), "Requested by")
	}
	return n
}

// listThread is every reply in the list's thread.
func (h *harness) listThread(v *listView) []slackfake.Message {
	return h.slack.Thread(modChannel, v.msg.TS)
}

// hangUpCalls is how many hang-up requests reached the meeting service.
func (h *harness) hangUpCalls() int { return h.sim.CallCount(meetingtest.EndpointHangUp) }

// rosterReads is how many roster reads reached the meeting service.
func (h *harness) rosterReads() int { return h.sim.CallCount(meetingtest.EndpointRealTimeInfo) }

// checkListLimits fails the test if a message the bot sent breaks one of
// Slack's limits, and returns its block count and size: the JSON of its
// blocks plus its text, which is what goes over the wire.
func checkListLimits(t *testing.T, where string, m slackfake.Message) (blocks, size int) {
	t.Helper()
	size = len(m.Blocks) + len(m.Text)
	if size > slackMaxFrame {
		t.Errorf("%s: %d bytes; Slack's frames stop at %d", where, size, slackMaxFrame)
	}
	blocks = m.BlockCount()
	if blocks == 0 || blocks > slackMaxBlocks {
		t.Errorf("%s: %d blocks; want 1..%d", where, blocks, slackMaxBlocks)
	}
	var bs []lvBlock
	if err := json.Unmarshal(m.Blocks, &bs); err != nil {
		t.Fatalf("%s: blocks do not decode: %v", where, err)
	}
	checkEl := func(w string, el lvElement) {
		if len(el.Value) > slackMaxButtonValue {
			t.Errorf("%s: value of %d bytes", w, len(el.Value))
		}
		if el.Text != nil && utf8.RuneCountInString(el.Text.Text) > slackMaxButtonText {
			t.Errorf("%s: label %q too long", w, el.Text.Text)
		}
		if c := el.Confirm; c != nil && c.Text != nil && utf8.RuneCountInString(c.Text.Text) > slackMaxConfirmText {
			t.Errorf("%s: confirm text of %d characters", w, utf8.RuneCountInString(c.Text.Text))
		}
	}
	for i, b := range bs {
		w := fmt.Sprintf("%s block %d (%s)", where, i, b.Type)
		if len(b.BlockID) > slackMaxBlockID {
			t.Errorf("%s: block_id of %d bytes", w, len(b.BlockID))
		}
		if n := utf8.RuneCountInString(b.text()); n > slackMaxSectionText {
			t.Errorf("%s: text of %d characters", w, n)
		}
		if b.Type == "actions" && (len(b.Elements) == 0 || len(b.Elements) > slackMaxActionElements) {
			t.Errorf("%s: %d elements; want 1..%d", w, len(b.Elements), slackMaxActionElements)
		}
		if b.Accessory != nil {
			checkEl(w, *b.Accessory)
		}
		for _, raw := range b.Elements {
			var el lvElement
			if json.Unmarshal(raw, &el) == nil {
				checkEl(w, el)
			}
		}
	}
	return blocks, size
}

// checkAcks fails the test if an ack frame was too big for Slack.
func checkAcks(t *testing.T, s *slackfake.Server) {
	t.Helper()
	for _, a := range s.Acks() {
		if a.FrameSize > slackMaxFrame {
			t.Errorf("ack of %s is a %d-byte frame", a.EnvelopeID, a.FrameSize)
		}
	}
}

// TestListClickKicksOneParticipant: the list shows the meeting and its
// people; a click on Carlos's Disconnect disconnects exactly him, and the
// moderator sees it on the list, in its thread, in the ops channel and in the
// audit log.
func TestListClickKicksOneParticipant(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	conf := h.facts.ConferenceID
	v := h.openList(moderator, conf)

	head := v.header()
	for _, want := range []string{"Meeting " + conf, h.facts.Subject, "10 participants", "<!date^", "Page 1 of 1"} {
		if !strings.Contains(head, want) {
			t.Errorf("list header lacks %q:\n%s", want, head)
		}
	}
	_, names := v.rows()
	if len(names) != 2+len(h.facts.Others) {
		t.Errorf("%d rows %v; want one per participant (%d)", len(names), names, 2+len(h.facts.Others))
	}
	for _, p := range append([]meetingtest.P{h.facts.Host, h.facts.CoHost}, h.facts.Others...) {
		if !v.hasRow(slackui.Escape(p.Name)) {
			t.Errorf("no row for %q", p.Name)
		}
	}
	if !strings.Contains(v.row("Wang Wei").text(), "+8613800000000") {
		t.Errorf("Wang Wei's row does not show the phone number: %q", v.row("Wang Wei").text())
	}
	if !strings.Contains(v.row("Dmitri Ivanov").text(), "being called") {
		t.Errorf("Dmitri's row does not say he is being called: %q", v.row("Dmitri Ivanov").text())
	}
	blocks, size := checkListLimits(t, "sample list", v.msg)
	t.Logf("sample list, page 1: %d blocks, %d bytes", blocks, size)

	btn := v.disconnect("Carlos Mendes")
	if btn.el.Style != "danger" {
		t.Errorf("Disconnect button style %q; want danger", btn.el.Style)
	}
	if c := btn.el.Confirm; c == nil || c.Text == nil || c.Text.Text != "Disconnect Carlos Mendes from meeting "+conf+"?" {
		t.Errorf("Disconnect has no confirm dialog naming Carlos and the meeting: %+v", c)
	}

	n := h.updates(v)
	h.press(moderator2, v, btn)
	after := h.waitUpdates(v, n+1)

	if got := h.hangUps(); !slices.Equal(got, []string{meetingtest.SampleCarlosPID}) {
		t.Fatalf("meeting received hang-ups %v; want only Carlos", got)
	}
	if !strings.Contains(after.row("Carlos Mendes").text(), "disconnected by <@"+moderator2+">") {
		t.Errorf("Carlos's row does not say who disconnected him:\n%s", after.row("Carlos Mendes").text())
	}
	if txt := after.row("Wang Wei").text(); strings.Contains(txt, "disconnected") {
		t.Errorf("another row changed: %q", txt)
	}
	thread := h.listThread(v)
	if len(thread) != 1 {
		t.Fatalf("%d replies in the list's thread; want 1 outcome", len(thread))
	}
	if r := allText(thread[0]); !strings.Contains(r, "Carlos Mendes") || !strings.Contains(r, "Disconnected 1 participant") ||
		!strings.Contains(r, "<@"+moderator2+">") {
		t.Errorf("thread reply does not say who disconnected Carlos:\n%s", r)
	}
	ops := h.opsNotice("Disconnected 1 participant")
	if !strings.Contains(allText(ops), "<@"+moderator2+">") || !strings.Contains(allText(ops), conf) {
		t.Errorf("ops notice does not say who kicked in which meeting:\n%s", allText(ops))
	}
	h.eventually("an audit line for the click", func() bool {
		return strings.Contains(h.logs.String(), `"action":"click","user":"`+moderator2+`"`) &&
			strings.Contains(h.logs.String(), meetingtest.SampleCarlosPID)
	})
	checkListLimits(t, "updated sample list", after.msg)
}

// TestListClickByStrangerRefused: whoever clicks is authorized, not whoever
// posted the list; a refused click touches nothing in the meeting.
func TestListClickByStrangerRefused(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	v := h.openList(moderator, h.facts.ConferenceID)
	reads, n := h.rosterReads(), h.updates(v)

	id := h.press(stranger, v, v.disconnect("Carlos Mendes"))
	p := h.private(id)
	if p.User != stranger || !strings.Contains(allText(p), "🚫") {
		t.Errorf("stranger's click not refused privately: %+v", p)
	}
	if h.hangUpCalls() != 0 || len(h.hangUps()) != 0 {
		t.Errorf("a refused click reached the meeting: %d hang-up calls", h.hangUpCalls())
	}
	if got := h.rosterReads(); got != reads {
		t.Errorf("a refused click read the roster (%d reads, was %d)", got, reads)
	}
	if h.updates(v) != n || len(h.listThread(v)) != 0 {
		t.Errorf("a refused click changed the list or replied in its thread")
	}
	h.opsNotice("<@" + stranger + "> was refused")

	// Paging is refused too: strangers do not read the roster through the list.
	id = h.press(stranger, v, v.mustNav(slackui.ActionRefresh))
	h.private(id)
	if got := h.rosterReads(); got != reads {
		t.Errorf("a stranger's Refresh read the roster")
	}
}

// TestListDoubleClickOneDisconnect: the same user clicking twice, the same
// envelope redelivered and two moderators clicking the same row at once each
// make one disconnect call and one outcome.
func TestListDoubleClickOneDisconnect(t *testing.T) {
	for _, tc := range []struct {
		name          string
		first, second string
	}{
		{"same user twice", moderator, moderator},
		{"two moderators", moderator, moderator2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, harnessOpts{})
			// A slow meeting keeps the first click in flight while the second arrives.
			h.sim.SetLatency(meetingtest.EndpointHangUp, 100*time.Millisecond)
			v := h.openList(moderator, h.facts.ConferenceID)
			btn := v.disconnect("Carlos Mendes")
			n := h.updates(v)
			ids := map[string]string{}
			// Both clicks are in the socket before either is handled.
			a := h.slack.BlockAction(slackfake.Action{UserID: tc.first, ChannelID: modChannel, MessageTS: v.msg.TS,
				ActionID: btn.el.ActionID, BlockID: btn.blockID, Value: btn.el.Value, Style: btn.el.Style})
			b := h.slack.BlockAction(slackfake.Action{UserID: tc.second, ChannelID: modChannel, MessageTS: v.msg.TS,
				ActionID: btn.el.ActionID, BlockID: btn.blockID, Value: btn.el.Value, Style: btn.el.Style})
			ids[a], ids[b] = tc.first, tc.second

			refused := h.waitMsg("the second clicker's answer", func(m slackfake.Message) bool {
				return m.Method == "response_url" && (m.EnvelopeID == a || m.EnvelopeID == b)
			})
			h.waitUpdates(v, n+1)
			winner := ids[a]
			if refused.EnvelopeID == a {
				winner = ids[b]
			}
			if txt := allText(refused); !strings.Contains(txt, "Carlos Mendes") || !strings.Contains(txt, "already") ||
				!strings.Contains(txt, "<@"+winner+">") {
				t.Errorf("second clicker not told it is already done or in progress by %s:\n%s", winner, txt)
			}
			if h.hangUpCalls() != 1 || !slices.Equal(h.hangUps(), []string{meetingtest.SampleCarlosPID}) {
				t.Errorf("%d hang-up calls for %v; want one for Carlos", h.hangUpCalls(), h.hangUps())
			}
			if got := len(h.listThread(v)); got != 1 {
				t.Errorf("%d outcomes in the thread; want 1", got)
			}
			if got := h.updates(v); got != n+1 {
				t.Errorf("list updated %d times; want once", got-n)
			}
			if !strings.Contains(h.current(v).row("Carlos Mendes").text(), "disconnected by <@"+winner+">") {
				t.Errorf("row does not credit %s", winner)
			}
			for _, m := range h.slack.Messages() {
				if m.Method == "response_url" && m.EnvelopeID != refused.EnvelopeID {
					t.Errorf("the winning click was also answered privately: %s", allText(m))
				}
			}

			// A click after it is all done is told so, and calls nothing.
			late := h.press(tc.second, v, h.current(v).disconnect("Carlos Mendes"))
			if txt := allText(h.private(late)); !strings.Contains(txt, "was already disconnected by <@"+winner+">") {
				t.Errorf("late click answer: %s", txt)
			}
			if h.hangUpCalls() != 1 {
				t.Errorf("late click reached the meeting")
			}
		})
	}

	t.Run("redelivered envelope", func(t *testing.T) {
		h := newHarness(t, harnessOpts{})
		v := h.openList(moderator, h.facts.ConferenceID)
		n := h.updates(v)
		id := h.press(moderator, v, v.disconnect("Carlos Mendes"))
		if !h.slack.Redeliver(id) {
			t.Fatal("redeliver failed")
		}
		h.eventually("the redelivery acked", func() bool { return h.slack.AckCount(id) >= 2 })
		h.waitUpdates(v, n+1)
		if h.hangUpCalls() != 1 {
			t.Errorf("%d hang-up calls; want 1", h.hangUpCalls())
		}
		if got := len(h.listThread(v)); got != 1 {
			t.Errorf("%d outcomes in the thread; want 1", got)
		}
		if got := h.updates(v); got != n+1 {
			t.Errorf("list updated %d times; want once", got-n)
		}
		for _, m := range h.slack.Messages() {
			if m.Method == "response_url" {
				t.Errorf("a redelivery was answered: %s", allText(m))
			}
		}
	})
}

// TestListTamperedButtonRefused: a button value is not trusted. Values the
// list never carried are refused and nothing is called on the meeting.
func TestListTamperedButtonRefused(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	conf := h.facts.ConferenceID
	// Another meeting the moderator could kick in, to forge values for.
	h.sim.AddConference("555000111").Running().Host(meetingtest.P{Name: "Other Host"}).
		Participant(meetingtest.P{ID: "0123456789abcdef0123456789abcdef", Name: "Other Person"})
	v := h.openList(moderator, conf)
	carlos := v.disconnect("Carlos Mendes")
	orig, err := slackui.DecodeButtonValue(carlos.el.Value)
	if err != nil {
		t.Fatalf("Carlos's button value does not decode: %v", err)
	}
	forge := func(f func(*slackui.ButtonValue)) string {
		bv := orig
		f(&bv)
		s, err := slackui.EncodeButtonValue(bv)
		if err != nil {
			t.Fatalf("forge: %v", err)
		}
		return s
	}
	enc := strings.Split(carlos.el.Value, "|")
	withField := func(i int, s string) string {
		f := slices.Clone(enc)
		f[i] = s
		return strings.Join(f, "|")
	}
	cases := []struct {
		name, actionID, value string
		want                  string
	}{
		{"other conference", slackui.ActionDisconnect, forge(func(b *slackui.ButtonValue) { b.Conference = "555000111" }), "does not match"},
		{"pid of another meeting", slackui.ActionDisconnect, forge(func(b *slackui.ButtonValue) {
			b.ParticipantID = "0123456789abcdef0123456789abcdef"
		}), "does not match"},
		{"pid not in the list", slackui.ActionDisconnect, forge(func(b *slackui.ButtonValue) { b.ParticipantID = strings.Repeat("f", 32) }), "does not match"},
		{"host pid", slackui.ActionDisconnect, forge(func(b *slackui.ButtonValue) { b.ParticipantID = meetingtest.SampleHostPID }), "cannot be disconnected"},
		{"co-host pid", slackui.ActionDisconnect, forge(func(b *slackui.ButtonValue) { b.ParticipantID = meetingtest.SampleCoHostPID }), "cannot be disconnected"},
		{"invalid pid", slackui.ActionDisconnect, withField(2, "%00%0A"), "not one kickbot recognises"},
		{"pid with a pipe", slackui.ActionDisconnect, withField(2, meetingtest.SampleCarlosPID+"|x"), "not one kickbot recognises"},
		{"garbage", slackui.ActionDisconnect, "<!channel> rm -rf /", "not one kickbot recognises"},
		{"empty", slackui.ActionDisconnect, "", "not one kickbot recognises"},
		{"other list", slackui.ActionDisconnect, forge(func(b *slackui.ButtonValue) { b.ListID = "0000000000000000" }), "no longer active"},
		{"unknown action", "kickbot_kick_everyone", carlos.el.Value, "not one kickbot recognises"},
		{"page button carrying a pid", slackui.ActionNext, carlos.el.Value, "not one kickbot recognises"},
	}
	reads, n := h.rosterReads(), h.updates(v)
	for _, tc := range cases {
		id := h.slack.BlockAction(slackfake.Action{UserID: moderator, ChannelID: modChannel, MessageTS: v.msg.TS,
			ActionID: tc.actionID, BlockID: carlos.blockID, Value: tc.value})
		if txt := allText(h.private(id)); !strings.Contains(txt, tc.want) {
			t.Errorf("%s: answer %q; want it to say %q", tc.name, txt, tc.want)
		}
	}
	if h.hangUpCalls() != 0 {
		t.Errorf("tampered clicks made %d hang-up calls: %v", h.hangUpCalls(), h.sim.HangUpIDs("555000111"))
	}
	if h.rosterReads() != reads || h.updates(v) != n || len(h.listThread(v)) != 0 {
		t.Errorf("tampered clicks touched the meeting or the list")
	}

	// The genuine button still works afterwards.
	h.press(moderator, v, carlos)
	h.waitUpdates(v, n+1)
	if !slices.Equal(h.hangUps(), []string{meetingtest.SampleCarlosPID}) {
		t.Errorf("hang-ups %v; want Carlos", h.hangUps())
	}
}

// TestListPagingLargeMeeting pages through a 3,000-participant meeting: every
// page is inside Slack's limits, everyone is listed exactly once, and
// Previous goes back.
func TestListPagingLargeMeeting(t *testing.T) {
	t.Parallel()
	// Lenient Slack, and kickbot's pacing off: this pages through all 151
	// pages to check each one's content and size; at Slack's Tier 3 pace
	// (which the outbox tests cover) that alone would take three minutes.
	// Slack's size and Block Kit limits stay on.
	// Paging 151 pages in seconds is faster than any person clicks, so the
	// per-user limit on page clicks (120 a minute) is raised too.
	h := newHarness(t, harnessOpts{slackOpts: []slackfake.Option{slackfake.Lenient()},
		cfg: bot.Config{Outbox: bot.Unpaced(), UserNavRateLimit: 1000}})
	const conf, n = "777000333", 3000
	h.sim.AddConference(conf).Running().Subject("Town hall").
		Host(meetingtest.P{Name: "Hana Host"}).CoHost(meetingtest.P{Name: "Cole Cohost"}).Participants(n)
	total := n + 2
	pages := (total + slackui.DefaultPageSize - 1) / slackui.DefaultPageSize

	v := h.openList(moderator, conf)
	blocks, size := checkListLimits(t, "page 1", v.msg)
	t.Logf("3,000-participant list, page 1: %d blocks, %d bytes", blocks, size)
	if !strings.Contains(v.header(), fmt.Sprintf("%d participants", total)) {
		t.Errorf("header does not count everyone:\n%s", v.header())
	}
	if _, ok := v.nav(slackui.ActionPrev); ok {
		t.Errorf("page 1 has a Previous button")
	}

	seen := map[string]int{}
	next := 1
	maxBlocks, maxSize := 0, 0
	for page := 1; ; page++ {
		if want := fmt.Sprintf("Page %d of %d", page, pages); !strings.Contains(v.header(), want) {
			t.Fatalf("header lacks %q:\n%s", want, v.header())
		}
		b, s := checkListLimits(t, fmt.Sprintf("page %d", page), v.msg)
		maxBlocks, maxSize = max(maxBlocks, b), max(maxSize, s)
		nums, names := v.rows()
		if len(names) == 0 {
			t.Fatalf("page %d shows nobody", page)
		}
		for i, name := range names {
			if nums[i] != next {
				t.Fatalf("page %d: row %d numbered %d; want %d", page, i, nums[i], next)
			}
			next++
			seen[name]++
		}
		nb, ok := v.nav(slackui.ActionNext)
		if !ok {
			if page != pages {
				t.Fatalf("no Next button on page %d of %d", page, pages)
			}
			break
		}
		v = h.navigate(moderator, v, nb)
	}
	t.Logf("pages 1..%d: at most %d blocks and %d bytes", pages, maxBlocks, maxSize)
	if len(seen) != total || next-1 != total {
		t.Errorf("paging showed %d distinct names in %d rows; want all %d once", len(seen), next-1, total)
	}
	for name, c := range seen {
		if c != 1 {
			t.Errorf("%s listed %d times", name, c)
		}
	}
	if seen["Hana Host"] != 1 || seen["Participant 0001"] != 1 || seen[fmt.Sprintf("Participant %04d", n)] != 1 {
		t.Errorf("host or generated participants missing")
	}

	// Previous from the last page.
	back := h.navigate(moderator, v, v.mustNav(slackui.ActionPrev))
	if want := fmt.Sprintf("Page %d of %d", pages-1, pages); !strings.Contains(back.header(), want) {
		t.Errorf("Previous: header lacks %q:\n%s", want, back.header())
	}
	nums, _ := back.rows()
	if len(nums) == 0 || nums[0] != (pages-2)*slackui.DefaultPageSize+1 {
		t.Errorf("Previous shows rows %v", nums)
	}
	checkListLimits(t, "previous page", back.msg)
	checkAcks(t, h.slack)
	if h.hangUpCalls() != 0 {
		t.Errorf("paging made hang-up calls")
	}
	if p := h.slack.Oversized(); p != 0 {
		t.Errorf("%d oversized frames", p)
	}

	// Search in the big list, and kick from the search result.
	found := h.navigate(moderator, back, back.search("participant 2999"))
	if _, names := found.rows(); !slices.Equal(names, []string{"Participant 2999"}) {
		t.Fatalf("search for participant 2999 shows %v", names)
	}
	checkListLimits(t, "search result", found.msg)
	u := h.updates(v)
	h.press(moderator, found, found.disconnect("Participant 2999"))
	after := h.waitUpdates(v, u+1)
	if h.hangUpCalls() != 1 || len(h.sim.HangUpIDs(conf)) != 1 {
		t.Errorf("hang-ups %v; want one", h.sim.HangUpIDs(conf))
	}
	if !strings.Contains(after.row("Participant 2999").text(), "disconnected by <@"+moderator+">") {
		t.Errorf("search result row not updated:\n%s", allText(after.msg))
	}
	if slices.ContainsFunc(h.sim.Online(conf), func(p meetingtest.P) bool { return p.Name == "Participant 2999" }) {
		t.Errorf("Participant 2999 is still in the meeting")
	}
}

// TestListSearchAndClear: the search box narrows the list; Clear search
// restores it.
func TestListSearchAndClear(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	v := h.openList(moderator, h.facts.ConferenceID)
	_, all := v.rows()

	found := h.navigate(moderator, v, v.search("  JANE   doe "))
	if _, names := found.rows(); !slices.Equal(names, []string{"Jane Doe", "Jane Doe"}) {
		t.Errorf("search for jane doe shows %v", names)
	}
	if !strings.Contains(found.header(), "2 match") {
		t.Errorf("search header does not count matches:\n%s", found.header())
	}
	byPhone := h.navigate(moderator, found, found.search("138 0000 0004"))
	if _, names := byPhone.rows(); !slices.Equal(names, []string{"Carlos Mendes"}) {
		t.Errorf("search by phone digits shows %v", names)
	}
	none := h.navigate(moderator, byPhone, byPhone.search("nobody here"))
	if _, names := none.rows(); len(names) != 0 || !strings.Contains(allText(none.msg), "No participant matches") {
		t.Errorf("a search matching nobody shows %v", names)
	}
	cleared := h.navigate(moderator, none, none.mustNav(slackui.ActionClearSearch))
	if _, names := cleared.rows(); !slices.Equal(names, all) {
		t.Errorf("Clear search shows %v; want %v", names, all)
	}
	if _, ok := cleared.nav(slackui.ActionClearSearch); ok {
		t.Errorf("Clear search button still shown without a search")
	}
	if h.hangUpCalls() != 0 {
		t.Errorf("searching made hang-up calls")
	}
}

// TestListRefreshRereads: after someone leaves, Refresh re-reads the roster
// and the row is gone.
func TestListRefreshRereads(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	conf := h.facts.ConferenceID
	v := h.openList(moderator, conf)
	if !v.hasRow("Wang Wei") {
		t.Fatal("Wang Wei missing before he left")
	}
	h.sim.Leave(conf, meetingtest.SamplePhonePID)
	h.sim.Join(conf, meetingtest.P{ID: "abcdefabcdefabcdefabcdefabcdef01", Name: "Late Comer"})
	reads := h.rosterReads()
	after := h.navigate(moderator, v, v.mustNav(slackui.ActionRefresh))
	if h.rosterReads() <= reads {
		t.Errorf("Refresh did not read the roster")
	}
	if after.hasRow("Wang Wei") {
		t.Errorf("Wang Wei still listed after he left and the list was refreshed")
	}
	if !after.hasRow("Late Comer") {
		t.Errorf("a newcomer is not listed after Refresh")
	}
	if !strings.Contains(after.header(), "10 participants") {
		t.Errorf("header after refresh:\n%s", after.header())
	}
}

// TestListHostRowsHaveNoButton: the host and co-host are marked and cannot
// be clicked away; everyone else has a button.
func TestListHostRowsHaveNoButton(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	v := h.openList(moderator, h.facts.ConferenceID)
	for name, role := range map[string]string{"Alice Chen": "host", "Bob Li": "co-host"} {
		r := v.row(name)
		if r.Accessory != nil {
			t.Errorf("%s (%s) has a button: %+v", name, role, r.Accessory)
		}
		if !strings.Contains(r.text(), "*"+role+"*") {
			t.Errorf("%s not marked as %s: %q", name, role, r.text())
		}
	}
	_, names := v.rows()
	for _, name := range names {
		// The two Jane Does are covered by the count below.
		if name != "Alice Chen" && name != "Bob Li" && name != "Jane Doe" {
			r := v.row(name)
			if r.Accessory == nil || r.Accessory.ActionID != slackui.ActionDisconnect {
				t.Errorf("%s has no Disconnect button", name)
			}
		}
	}
	buttons := 0
	for _, b := range v.blocks {
		if b.Accessory != nil && b.Accessory.ActionID == slackui.ActionDisconnect {
			buttons++
		}
	}
	if buttons != len(h.facts.Others) {
		t.Errorf("%d Disconnect buttons; want %d (everyone but the host and co-host)", buttons, len(h.facts.Others))
	}
}

// TestListChannelNameIsHarmless: a participant named <!channel> is shown,
// and can be kicked, without any message pinging the channel.
func TestListChannelNameIsHarmless(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	v := h.openList(moderator, h.facts.ConferenceID)
	btn := v.disconnect("&lt;!channel&gt;")
	if c := btn.el.Confirm; c == nil || c.Text == nil || !strings.Contains(c.Text.Text, "&lt;!channel&gt;") {
		t.Errorf("confirm dialog does not name the participant harmlessly: %+v", c)
	}
	n := h.updates(v)
	h.press(moderator, v, btn)
	after := h.waitUpdates(v, n+1)
	if !slices.Equal(h.hangUps(), []string{meetingtest.SampleChannelPID}) {
		t.Fatalf("hang-ups %v; want the <!channel> participant", h.hangUps())
	}
	if !strings.Contains(after.row("&lt;!channel&gt;").text(), "disconnected by") {
		t.Errorf("row not updated: %s", after.row("&lt;!channel&gt;").text())
	}
	h.opsNotice("Disconnected 1 participant")
	sent := 0
	for _, m := range h.slack.Messages() {
		for _, s := range m.Texts() {
			sent++
			for _, bad := range []string{"<!channel>", "<!here>", "<!everyone>", "<!subteam"} {
				if strings.Contains(s, bad) {
					t.Errorf("%s in %s sent %q unescaped: %q", m.Method, m.Channel, bad, s)
				}
			}
		}
	}
	if sent == 0 || !strings.Contains(allText(h.listThread(v)[0]), "&lt;!channel&gt;") {
		t.Errorf("the outcome does not name the participant (escaped)")
	}
}

// testClock is a clock the test moves forward; it starts at the real time
// so tokens and timestamps look ordinary.
type testClock struct{ offset atomic.Int64 }

func (c *testClock) now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *testClock) advance(d time.Duration) { c.offset.Add(int64(d)) }

// TestListStaleRefused: a list older than ListMaxAge refuses to act and asks
// for a refresh; after Refresh the same row's button works.
func TestListStaleRefused(t *testing.T) {
	clock := &testClock{}
	h := newHarness(t, harnessOpts{
		cfg:        bot.Config{ListMaxAge: 5 * time.Minute},
		botOpts:    []bot.Option{bot.WithClock(clock.now)},
		meetingCfg: func(c *meeting.Config) { c.Now = clock.now },
	})
	v := h.openList(moderator, h.facts.ConferenceID)
	clock.advance(6 * time.Minute)

	id := h.press(moderator, v, v.disconnect("Carlos Mendes"))
	if txt := allText(h.private(id)); !strings.Contains(txt, "Refresh") || !strings.Contains(txt, "too old") {
		t.Errorf("stale click answer %q; want it to ask for a Refresh", txt)
	}
	if h.hangUpCalls() != 0 || len(h.listThread(v)) != 0 {
		t.Errorf("a stale list acted")
	}

	fresh := h.navigate(moderator, v, v.mustNav(slackui.ActionRefresh))
	n := h.updates(v)
	h.press(moderator, fresh, fresh.disconnect("Carlos Mendes"))
	h.waitUpdates(v, n+1)
	if !slices.Equal(h.hangUps(), []string{meetingtest.SampleCarlosPID}) {
		t.Errorf("after Refresh the click did not disconnect Carlos: %v", h.hangUps())
	}
}

// TestListParticipantAlreadyGone: a click on someone who left in the
// meantime says so; it is not an error and nothing is hung up.
func TestListParticipantAlreadyGone(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	conf := h.facts.ConferenceID
	v := h.openList(moderator, conf)
	h.sim.Leave(conf, meetingtest.SampleCarlosPID)

	n := h.updates(v)
	id := h.press(moderator, v, v.disconnect("Carlos Mendes"))
	after := h.waitUpdates(v, n+1)
	if h.hangUpCalls() != 0 {
		t.Errorf("a hang-up was sent for someone already gone: %v", h.hangUps())
	}
	thread := h.listThread(v)
	if len(thread) != 1 {
		t.Fatalf("%d thread replies; want 1", len(thread))
	}
	reply := allText(thread[0])
	for _, bad := range []string{"❌", "Could not", "failed", "error"} {
		if strings.Contains(reply, bad) {
			t.Errorf("already-gone reported as an error (%q):\n%s", bad, reply)
		}
	}
	if !strings.Contains(reply, "not found in the meeting") {
		t.Errorf("thread reply does not say the participant is no longer in the meeting:\n%s", reply)
	}
	if note := after.row("Carlos Mendes").text(); !strings.Contains(note, "already left") {
		t.Errorf("Carlos's row does not say he already left:\n%s", note)
	}
	for _, m := range h.slack.Messages() {
		if m.Method == "response_url" && m.EnvelopeID == id {
			t.Errorf("already-gone answered privately as a failure: %s", allText(m))
		}
	}
}

// TestListLongSearchStaysSmall: participants choose their names; a list of
// long non-Latin names, searched with a long query, keeps every page inside
// Slack's frame limit and still shows everyone once.
func TestListLongSearchStaysSmall(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	const conf, n = "888000444", 45
	long := strings.Repeat("長い名前の参加者", 8) // 64 characters, 192 bytes
	b := h.sim.AddConference(conf).Running().Host(meetingtest.P{Name: "Host"})
	for i := range n {
		b.Participant(meetingtest.P{Name: fmt.Sprintf("%s %02d", long, i), Phone: fmt.Sprintf("+86137%08d", i)})
	}
	v := h.openList(moderator, conf)
	checkListLimits(t, "long names", v.msg)
	v = h.navigate(moderator, v, v.search(long))
	seen := map[string]int{}
	for page := 1; ; page++ {
		blocks, size := checkListLimits(t, fmt.Sprintf("search page %d", page), v.msg)
		if page == 1 {
			t.Logf("page of a 64-character search among 64-character names: %d blocks, %d bytes", blocks, size)
		}
		_, names := v.rows()
		if len(names) == 0 {
			t.Fatalf("search page %d is empty", page)
		}
		for _, name := range names {
			seen[name]++
		}
		next, ok := v.nav(slackui.ActionNext)
		if !ok {
			break
		}
		v = h.navigate(moderator, v, next)
	}
	if len(seen) != n {
		t.Errorf("the search showed %d of %d participants", len(seen), n)
	}
	for name, c := range seen {
		if c != 1 {
			t.Errorf("%s shown %d times", name, c)
		}
	}
	checkAcks(t, h.slack)
}

// TestListRejoinedParticipantCanBeKickedAgain: a finished disconnect stops
// repeated clicks on the list that showed it, but once a Refresh shows the
// participant back in the meeting (same pid), their new row works.
func TestListRejoinedParticipantCanBeKickedAgain(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	conf := h.facts.ConferenceID
	v := h.openList(moderator, conf)
	n := h.updates(v)
	h.press(moderator, v, v.disconnect("Carlos Mendes"))
	v = h.waitUpdates(v, n+1)

	h.sim.Join(conf, meetingtest.P{ID: meetingtest.SampleCarlosPID, Name: "Carlos Mendes", Phone: "+8613800000004"})
	// The old row is still on the list: clicking it again is a repeat.
	id := h.press(moderator2, v, v.disconnect("Carlos Mendes"))
	if txt := allText(h.private(id)); !strings.Contains(txt, "already disconnected") {
		t.Errorf("a repeat click on the old row: %q", txt)
	}
	if h.hangUpCalls() != 1 {
		t.Fatalf("%d hang-up calls; want 1", h.hangUpCalls())
	}

	v = h.navigate(moderator2, v, v.mustNav(slackui.ActionRefresh))
	if strings.Contains(v.row("Carlos Mendes").text(), "disconnected by") {
		t.Errorf("after Refresh Carlos's new row still shows the old note")
	}
	n = h.updates(v)
	h.press(moderator2, v, v.disconnect("Carlos Mendes"))
	h.waitUpdates(v, n+1)
	if got := h.hangUps(); !slices.Equal(got, []string{meetingtest.SampleCarlosPID, meetingtest.SampleCarlosPID}) {
		t.Errorf("hang-ups %v; want Carlos twice (he came back)", got)
	}
	// Two outcomes; if Slack's pace made them wait, they may share a reply.
	if th := h.listThread(v); threadOutcomes(th) != 2 || !strings.Contains(allText(th[len(th)-1]), "<@"+moderator2+">") {
		t.Errorf("second kick not reported in the thread (%d outcomes in %d replies)", threadOutcomes(th), len(th))
	}
}

// TestListClickFailureShownAndRetryable: when the meeting service fails the
// disconnect, the row and the thread say so, and the button can be tried
// again (the failed attempt does not count as done).
func TestListClickFailureShownAndRetryable(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	v := h.openList(moderator, h.facts.ConferenceID)
	h.sim.FailNext(meetingtest.EndpointHangUp, 20, meetingtest.Fault{Status: http.StatusInternalServerError})

	n := h.updates(v)
	h.press(moderator, v, v.disconnect("Carlos Mendes"))
	v = h.waitUpdates(v, n+1)
	if txt := v.row("Carlos Mendes").text(); !strings.Contains(txt, "could not disconnect") || strings.Contains(txt, "disconnected by") {
		t.Errorf("row after a failed disconnect: %q", txt)
	}
	if th := h.listThread(v); len(th) != 1 || !strings.Contains(allText(th[0]), "Could not disconnect") {
		t.Errorf("thread does not report the failure: %d replies", len(th))
	}
	if !slices.ContainsFunc(h.sim.Online(h.facts.ConferenceID), func(p meetingtest.P) bool { return p.ID == meetingtest.SampleCarlosPID }) {
		t.Fatalf("Carlos left although every hang-up failed")
	}
	h.sim.ClearFaults()
	h.press(moderator2, v, v.disconnect("Carlos Mendes"))
	v = h.waitUpdates(v, n+2)
	if txt := v.row("Carlos Mendes").text(); !strings.Contains(txt, "disconnected by <@"+moderator2+">") {
		t.Errorf("the retry did not disconnect Carlos: %q", txt)
	}
	if th := h.listThread(v); threadOutcomes(th) != 2 {
		t.Errorf("%d outcomes in the thread; want the failure and the success", threadOutcomes(th))
	}
}

// Refresh keeps the record of who was disconnected from the list; only a
// participant who is back in the meeting loses the note (it would be wrong).
func TestListRefreshKeepsWhoWasDisconnected(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	conf := h.facts.ConferenceID
	v := h.openList(moderator, conf)
	for _, name := range []string{"Carlos Mendes", "Wang Wei"} {
		n := h.updates(v)
		h.press(moderator, v, h.current(v).disconnect(name))
		h.waitUpdates(v, n+1)
	}
	h.sim.Join(conf, meetingtest.P{ID: meetingtest.SamplePhonePID, Name: "Wang Wei", Phone: "+8613800000000"})

	after := h.navigate(moderator, v, v.mustNav(slackui.ActionRefresh))
	text := allText(after.msg)
	if !strings.Contains(text, "Carlos Mendes") || !strings.Contains(text, "<@"+moderator+">") {
		t.Errorf("after Refresh the list no longer says Carlos was disconnected by the moderator:\n%s", text)
	}
	if row := after.row("Wang Wei").text(); strings.Contains(row, "disconnected") {
		t.Errorf("Wang Wei rejoined, yet his row still says %q", row)
	}
}

// TestUnknownMeetingReadsTheSameForListsAndKicks: a list, an uninvited
// list, a watch and a kick of a meeting that does not exist all tell the moderator
// "Meeting <ID> was not found" (issue 12: a list used to say "The meeting
// was not found" where a kick named it).
func TestUnknownMeetingReadsTheSameForListsAndKicks(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{watch: fastWatch()})
	const unknown = "99999999"
	want := "Meeting " + unknown + " was not found — check the meeting ID."
	for _, text := range []string{unknown, unknown + " uninvited", unknown + " watch", unknown + " " + meetingtest.SampleCarlosPID} {
		id, _ := h.slash(moderator, modChannel, text)
		if got := allText(h.private(id)); !strings.Contains(got, want) {
			t.Errorf("/kick %s: private answer = %q, want it to contain %q", text, got, want)
		}
	}
}
