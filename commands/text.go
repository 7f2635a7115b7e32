package commands

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxNameRunes is how much of a display name is shown: Huawei caps names at
// 96 characters, so anything longer is not a real name and is clipped.
const maxNameRunes = 96

// mrkdwnEscaper replaces the three characters Slack gives a meaning in
// mrkdwn and message text. It is immutable, so sharing it is safe.
var mrkdwnEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// Escape makes untrusted text inert in Slack mrkdwn: & < > become &amp; &lt;
// &gt;, so a participant named "<!channel>" cannot ping anyone and "<@U1>"
// cannot mention. Nothing else is changed: Slack decodes only these three.
func Escape(s string) string { return mrkdwnEscaper.Replace(s) }

// clip shortens s to at most max runes, marking the cut with "…".
func clip(s string, max int) string {
	if max <= 0 {
		return ""
	}
	if len(s) <= max || utf8.RuneCountInString(s) <= max {
		return s
	}
	n := 0
	for i := range s {
		if n == max-1 {
			return s[:i] + "…"
		}
		n++
	}
	return s
}

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

// oneLine turns untrusted text into a single line: control characters
// (newlines included) become spaces and runs of white space collapse. A
// display name with a newline could otherwise forge a line of its own in a
// result list, or move the cursor in a terminal.
func oneLine(s string) string {
	clean := strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(clean), " ")
}

// displayName is a participant's name as shown anywhere: one line, clipped,
// and never empty. It is not escaped.
func displayName(name string) string {
	n := clip(oneLine(name), maxNameRunes)
	if n == "" {
		return "(no name)"
	}
	return n
}

// plural returns "1 participant" / "3 participants".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
