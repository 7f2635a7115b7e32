package slackui

import (
	"strings"
	"unicode/utf8"

	"github.com/kickbot/kickbot/commands"
)

// mrkdwnEscaper replaces the three characters Slack gives a meaning in
// mrkdwn and message text. It is immutable, so sharing it is safe.
var mrkdwnEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// Escape makes untrusted text inert in Slack mrkdwn: & < > become &amp; &lt;
// &gt;, so a participant named "<!channel>" cannot ping anyone and "<@U1>"
// cannot mention. Nothing else is changed: Slack decodes only these three.
func Escape(s string) string { return mrkdwnEscaper.Replace(s) }

// markupLookalikes replaces the two mrkdwn markers that could let outsider
// text reshape the rest of its line with characters that look the same but
// mean nothing to Slack: a "*" in a name would end the name's bold early
// (so "Bob* · ID `f00…` · *x" reads as if the row showed another ID), and
// a "`" pairs with the backticks around the real ID. "_" and "~" are left
// alone: inside the name's bold they can only italicise or strike the name
// itself, and "_" is common in real names. Slack has no escape for them.
var markupLookalikes = strings.NewReplacer("*", "\u2217", "`", "\u02cb")

// escapeText is untrusted text made safe for mrkdwn: one line without
// invisible characters (OneLine), & < > escaped (so "<!channel>", "<@U1>",
// "<#C1>" and "<http://evil|click>" stay text), "*" and "`" replaced by
// look-alikes. It is not clipped.
func escapeText(s string) string { return Escape(markupLookalikes.Replace(commands.OneLine(s))) }

// NameMrkdwn is a participant's display name as kickbot shows it in mrkdwn:
// in bold, on one line, clipped, escaped as escapeText does. Use it for any
// name put into a Slack message outside this package.
func NameMrkdwn(name string) string { return "*" + escapeText(commands.DisplayName(name)) + "*" }

// escapeClip escapes s and bounds the escaped result to max runes, cutting
// only between whole characters so no entity such as "&amp;" is split.
func escapeClip(s string, max int) string {
	esc := Escape(s)
	if utf8.RuneCountInString(esc) <= max {
		return esc
	}
	var b strings.Builder
	n := 0
	for _, r := range s {
		piece := Escape(string(r))
		w := utf8.RuneCountInString(piece)
		if n+w > max-1 {
			break
		}
		b.WriteString(piece)
		n += w
	}
	b.WriteString("…")
	return b.String()
}
