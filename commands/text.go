package commands

import (
	"strconv"
	"unicode"
	"unicode/utf8"
)

// MaxNameRunes is how much of a display name is shown: Huawei caps names at
// 96 characters, so anything longer is not a real name and is clipped.
const MaxNameRunes = 96

// Clip shortens s to at most max runes, marking the cut with "…".
func Clip(s string, max int) string {
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

// Text chosen by outsiders — participants' display names and phone numbers,
// the meeting subject, IDs the meeting service returns, names and reasons
// typed into /kick and echoed back — is shown only through OneLine (plain
// text: the console, confirm dialogs) and, in Slack's mrkdwn, through the
// Slack renderer's escaping (bot/slackui, which calls it). The policy, and why:
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
//     shown as a marker because the name matching (NormalizeName) ignores
//     them too: what a moderator sees is exactly what they can type, and
//     two participants who look alike both match, so kickbot reports them
//     as ambiguous instead of guessing. Real right-to-left names need none
//     of these characters to display; the cost is that emoji joined with
//     U+200D show as their separate parts, and Persian or Indic names lose
//     their zero-width non-joiners (the letters remain).
//   - Invalid UTF-8 becomes U+FFFD.
func OneLine(s string) string {
	if isNormalizedName(s) {
		return s // already one clean line (the common case): no allocation
	}
	return string(appendLine(make([]byte, 0, len(s)), s, 0))
}

// lineRule says what appendLine does beyond OneLine's rules.
type lineRule uint8

const (
	unfoldLookalikes lineRule = 1 << iota // "∗" and "ˋ" (how Slack messages show * and `) back to * and `
	lowerCase                             // for sorting and searching
)

// appendLine appends s to dst as OneLine shows it (white space and control
// characters collapsed to single spaces, trimmed; invisible characters
// dropped; invalid UTF-8 as U+FFFD), and as rules adds. It is the one
// implementation of OneLine, NormalizeName and the roster's folded names,
// in one pass: it runs for every participant on every render of a list.
func appendLine(dst []byte, s string, rules lineRule) []byte {
	space := false
	start := len(dst)
	for _, r := range s {
		if r < utf8.RuneSelf { // ASCII fast path (most names)
			switch {
			case r <= ' ' || r == 0x7f:
				space = len(dst) > start
				continue
			case space:
				dst = append(dst, ' ')
				space = false
			}
			if rules&lowerCase != 0 && 'A' <= r && r <= 'Z' {
				r += 'a' - 'A'
			}
			dst = append(dst, byte(r))
			continue
		}
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			space = len(dst) > start
			continue
		}
		if IsInvisible(r) {
			continue
		}
		if space {
			dst = append(dst, ' ')
			space = false
		}
		if rules&unfoldLookalikes != 0 {
			switch r {
			case '\u2217':
				r = '*'
			case '\u02cb':
				r = '`'
			}
		}
		if rules&lowerCase != 0 {
			r = unicode.ToLower(r)
		}
		dst = utf8.AppendRune(dst, r)
	}
	return dst
}

// IsInvisible reports the characters OneLine removes (see there): format
// characters and other default-ignorable code points. Variation selectors
// stay, since emoji need them and they cannot reorder or hide anything.
func IsInvisible(r rune) bool {
	return r >= 0xad && (unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r))
}

// DisplayName is a participant's name as shown anywhere: one line, clipped,
// and never empty. It is not escaped.
func DisplayName(name string) string {
	n := Clip(OneLine(name), MaxNameRunes)
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
