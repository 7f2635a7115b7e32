package slackui

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/kickbot/kickbot/commands"
)

// Block Kit limits of chat.postMessage and chat.update (Slack rejects a
// message that breaks one with invalid_blocks, or msg_blocks_too_long for
// too much text, and the command's outcome would be lost).
const (
	MaxBlocks          = 50   // blocks per message (the outbox merges messages under it too)
	maxSectionRunes    = 3000 // section text
	maxContextElements = 10   // elements per context block
	maxButtonTextRunes = 75
	maxConfirmText     = 300 // confirm dialog text
	maxActionElements  = 25  // elements per actions block
)

// Message is a rendered message: Block Kit blocks plus the plain-text
// fallback Slack shows in notifications. Text is mrkdwn-escaped like the
// blocks.
type Message struct {
	Text   string
	Blocks []slack.Block
}

// mrkdwn is a mrkdwn text object. Verbatim stops Slack from linkifying or
// parsing mentions in what we send; our own <@U…> still work.
func mrkdwn(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, s, false, true)
}

func plainText(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, s, false, false)
}

// section is one mrkdwn section, clipped to Slack's limit.
func section(s string) *slack.SectionBlock {
	return slack.NewSectionBlock(mrkdwn(clipMrkdwn(s, maxSectionRunes)), nil, nil)
}

// contextBlock is a context block of mrkdwn parts; empty parts are skipped.
func contextBlock(parts ...string) slack.Block {
	var els []slack.MixedElement
	for _, p := range parts {
		if p != "" && len(els) < maxContextElements {
			els = append(els, mrkdwn(clipMrkdwn(p, maxSectionRunes)))
		}
	}
	if len(els) == 0 {
		return nil
	}
	return slack.NewContextBlock("", els...)
}

// appendBlocks appends the non-nil blocks.
func appendBlocks(bs []slack.Block, more ...slack.Block) []slack.Block {
	for _, b := range more {
		if b != nil {
			bs = append(bs, b)
		}
	}
	return bs
}

// lineSections packs lines into as few sections as Slack's 3,000-character
// limit allows, using at most room blocks. Lines that do not fit are
// counted in a last "…and N more" section rather than dropped silently.
func lineSections(lines []string, room int) []slack.Block {
	if len(lines) == 0 || room <= 0 {
		return nil
	}
	type chunk struct {
		text  string
		lines int
	}
	var chunks []chunk
	var b strings.Builder
	n, count := 0, 0
	flush := func() {
		if count > 0 {
			chunks = append(chunks, chunk{b.String(), count})
			b.Reset()
			n, count = 0, 0
		}
	}
	for _, l := range lines {
		l = clipMrkdwn(l, maxSectionRunes)
		w := utf8.RuneCountInString(l)
		if count > 0 && n+1+w > maxSectionRunes {
			flush()
		}
		if count > 0 {
			b.WriteByte('\n')
			n++
		}
		b.WriteString(l)
		n += w
		count++
	}
	flush()

	if len(chunks) > room {
		hidden := 0
		for _, c := range chunks[room-1:] {
			hidden += c.lines
		}
		chunks = append(chunks[:room-1], chunk{text: "…and " + strconv.Itoa(hidden) + " more not shown."})
	}
	out := make([]slack.Block, len(chunks))
	for i, c := range chunks {
		out[i] = section(c.text)
	}
	return out
}

// clipMrkdwn shortens mrkdwn to max runes without leaving half of an
// entity (&amp;) or of a <…> link or mention behind.
func clipMrkdwn(s string, max int) string {
	if len(s) <= max || utf8.RuneCountInString(s) <= max {
		return s
	}
	cut := commands.Clip(s, max)
	cut = strings.TrimSuffix(cut, "…")
	if i := strings.LastIndexByte(cut, '<'); i > strings.LastIndexByte(cut, '>') {
		cut = cut[:i]
	}
	if i := strings.LastIndexByte(cut, '&'); i > strings.LastIndexByte(cut, ';') {
		cut = cut[:i]
	}
	return cut + "…"
}

// isSlackID reports a Slack ID (U…, W…, C…, G…): upper-case letters and
// digits. Only such IDs are put into <@…> and <#…> mentions.
func isSlackID(s string) bool {
	if len(s) < 2 || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// userMention mentions a Slack user ID; anything else (the console's
// "console" actor, say) is shown escaped.
func userMention(id string) string {
	switch {
	case isSlackID(id):
		return "<@" + id + ">"
	case id == "":
		return "someone"
	}
	return Escape(id)
}

// channelMention links a channel ID; anything else is shown escaped.
func channelMention(id string) string {
	switch {
	case strings.HasPrefix(id, "D") && isSlackID(id):
		// <#D…> renders as an unreadable link for everyone but the two
		// people in that conversation.
		return "a direct message"
	case isSlackID(id):
		return "<#" + id + ">"
	case id == "":
		return "an unknown channel"
	}
	return Escape(id)
}
