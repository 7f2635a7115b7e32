package bot_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/kickbot/kickbot/bot/slackfake"
	"github.com/kickbot/kickbot/meeting/meetingtest"
)

// An ambiguous name is answered privately with the candidates and a
// Disconnect button beside each; a click kicks exactly that one, records it
// in the channel, and updates the private list in place.
func TestAmbiguousNameOffersCandidateButtons(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	id, _ := h.slash(moderator, modChannel, h.facts.ConferenceID+` "Jane Doe"`)
	offer := parseList(t, h.private(id))

	if len(h.hangUps()) != 0 {
		t.Fatalf("an ambiguous name hung up %v; it must never guess", h.hangUps())
	}
	_, names := offer.rows()
	if !slices.Equal(names, []string{"Jane Doe", "Jane Doe"}) {
		t.Fatalf("the private answer lists %q; want exactly the two Jane Does", names)
	}
	for _, pid := range []string{meetingtest.SampleJaneDoe1PID, meetingtest.SampleJaneDoe2PID} {
		if !strings.Contains(allText(offer.msg), pid) {
			t.Errorf("the candidates do not show ID %s, so the moderator cannot tell them apart", pid)
		}
	}
	if !strings.Contains(allText(offer.msg), "Click Disconnect beside the one you mean") {
		t.Errorf("the answer does not point to its buttons:\n%s", allText(offer.msg))
	}
	if n := len(h.slack.Thread(modChannel, "")); n != 0 {
		t.Errorf("nothing may be posted in the channel before a choice, got %d messages", n)
	}

	// The second Jane Doe is the one with video (🎥) and no phone.
	var pick lvButton
	for _, b := range offer.blocks {
		if b.Accessory != nil && strings.Contains(b.Accessory.Value, meetingtest.SampleJaneDoe2PID) {
			pick = lvButton{blockID: b.BlockID, el: *b.Accessory}
		}
	}
	if pick.el.ActionID == "" {
		t.Fatalf("no Disconnect button for the second Jane Doe:\n%s", offer.msg.BlocksJSON())
	}
	if pick.el.Confirm == nil {
		t.Errorf("the candidate's Disconnect button has no confirm dialog")
	}
	click := h.slack.BlockAction(slackfake.Action{
		UserID: moderator, ChannelID: modChannel, IsEphemeral: true,
		ActionID: pick.el.ActionID, BlockID: pick.blockID, Value: pick.el.Value,
	})
	if _, err := h.slack.WaitAck(h.ctx(), click); err != nil {
		t.Fatalf("click not acked: %v", err)
	}

	_, reply := h.outcome(modChannel)
	if got := h.hangUps(); !slices.Equal(got, []string{meetingtest.SampleJaneDoe2PID}) {
		t.Fatalf("meeting received hang-ups %v; want only the chosen Jane Doe", got)
	}
	if !strings.Contains(allText(reply), "Jane Doe") {
		t.Errorf("the thread reply does not name Jane Doe:\n%s", allText(reply))
	}
	updated := h.waitMsg("private list replaced after the click", func(m slackfake.Message) bool {
		return m.Method == "response_url" && m.EnvelopeID == click && m.ReplaceOriginal
	})
	if !strings.Contains(allText(updated), "<@"+moderator+">") {
		t.Errorf("the private list does not say who disconnected Jane Doe:\n%s", allText(updated))
	}
	if !slices.ContainsFunc(h.sim.Online(h.facts.ConferenceID), func(p meetingtest.P) bool { return p.ID == meetingtest.SampleJaneDoe1PID }) {
		t.Errorf("the other Jane Doe was disconnected too")
	}
}

// A stranger cannot use a candidate button someone else was shown.
func TestCandidateButtonRechecksTheClicker(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	id, _ := h.slash(moderator, modChannel, h.facts.ConferenceID+` "Jane Doe"`)
	offer := parseList(t, h.private(id))
	var pick lvButton
	for _, b := range offer.blocks {
		if b.Accessory != nil && b.Accessory.Value != "" {
			pick = lvButton{blockID: b.BlockID, el: *b.Accessory}
			break
		}
	}
	click := h.slack.BlockAction(slackfake.Action{
		UserID: stranger, ChannelID: modChannel, IsEphemeral: true,
		ActionID: pick.el.ActionID, BlockID: pick.blockID, Value: pick.el.Value,
	})
	answer := h.private(click)
	if !strings.Contains(allText(answer), "not allowed") {
		t.Errorf("the stranger was not refused:\n%s", allText(answer))
	}
	if n := h.sim.CallCount(meetingtest.EndpointHangUp); n != 0 {
		t.Errorf("a stranger's click made %d hang-up calls", n)
	}
}
