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

// Text chosen by outsiders — participants' display names and phone numbers,
// the meeting subject, IDs the meeting service returns, names and reasons
// typed into /kick and echoed back — is shown only through oneLine (plain
// text: the console, confirm dialogs) and, in mrkdwn, through escapeText
// (which calls it). The policy, and why:
//
//   - Control characters (newlines, tabs, C1 codes) and the Unicode line and
//     paragraph separators become a space, and runs of white space collapse:
//     a name must never start a line of its own, where "x\n✅ Everyone —
//     disconnected" would read like a line of kickbot's, "> x" like a quote,
//     or a terminal escape could move the cursor.
//   - Invisible format characters are removed: every character of Unicode
//     category Cf — the bidi embeddings, overrides and isolates (U+202A–
//     U+202E, U+2066–U+2069), the direction marks U+200E, U+200F, U+061C,
//     zero-width space and joiners (U+200B–U+200D), word joiner and
//     invisible operators (U+2060–U+2064), U+FEFF, soft hyphen, tags — and
//     Unicode's other default-ignorable code points (Hangul fillers, U+034F).
//     A bidi override in a name would otherwise reverse the rest of the
//     line (the ID, the result), and zero-width characters only serve to
//     make two different names look the same. They are removed rather than
//     shown as a marker because the name matching (normalizeName) ignores
//     them too: what a moderator sees is exactly what they can type, and
//     two participants who look alike both match, so kickbot reports them
//     as ambiguous instead of guessing. Real right-to-left names need none
//     of these characters to display; the cost is that emoji joined with
//     U+200D show as their separate parts, and Persian or Indic names lose
//     their zero-width non-joiners (the letters remain).
//   - Invalid UTF-8 becomes U+FFFD.
func oneLine(s string) string {
	if isNormalizedName(s) {
		return s // already one clean line (the common case): no allocation
	}
	clean := strings.Map(func(r rune) rune {
		switch {
		case r < utf8.RuneSelf:
			if r < 0x20 || r == 0x7f {
				return ' '
			}
			return r
		case unicode.IsControl(r):
			return ' '
		case isInvisible(r):
			return -1
		}
		return r
	}, s)
	return strings.Join(strings.Fields(clean), " ")
}

// isInvisible reports the characters oneLine removes (see there): format
// characters and other default-ignorable code points. Variation selectors
// stay, since emoji need them and they cannot reorder or hide anything.
func isInvisible(r rune) bool {
	return r >= 0xad && (unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r))
}

// markupLookalikes replaces the two mrkdwn markers that could let outsider
// text reshape the rest of its line with characters that look the same but
// mean nothing to Slack: a "*" in a name would end the name's bold early
// (so "Bob* · ID `f00…` · *x" reads as if the row showed another ID), and
// a "`" pairs with the backticks around the real ID. "_" and "~" are left
// alone: inside the name's bold they can only italicise or strike the name
// itself, and "_" is common in real names. Slack has no escape for them.
var markupLookalikes = strings.NewReplacer("*", "\u2217", "`", "\u02cb")

// escapeText is untrusted text made safe for mrkdwn: one line without
// invisible characters (oneLine), & < > escaped (so "<!channel>", "<@U1>",
// "<#C1>" and "<http://evil|click>" stay text), "*" and "`" replaced by
// look-alikes. It is not clipped.
func escapeText(s string) string { return Escape(markupLookalikes.Replace(oneLine(s))) }

// NameMrkdwn is a participant's display name as kickbot shows it in mrkdwn:
// in bold, on one line, clipped, escaped as escapeText does. Use it for any
// name put into a Slack message outside this package.
func NameMrkdwn(name string) string { return "*" + escapeText(displayName(name)) + "*" }

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
