package commands

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// token is one word of a command: a quoted name, an unquoted word, or the
// reason (everything after "--").
type token struct {
	text   string
	quoted bool
	reason bool
}

// scanner splits command text into tokens. Separators are white space
// (including no-break space) and commas, outside quotes.
type scanner struct {
	s   string
	pos int
}

// reasonMarkers begin the reason when an unquoted word starts with one.
// Slack clients with smart punctuation turn "--" into an em or en dash.
var reasonMarkers = []string{"--", "—", "–"}

// isQuote reports the characters that open or close a quoted name: the
// straight quote and the curly ones Slack clients substitute (“ ” „).
func isQuote(r rune) bool {
	switch r {
	case '"', '“', '”', '„':
		return true
	}
	return false
}

func isSeparator(r rune) bool { return r == ',' || unicode.IsSpace(r) }

// next returns the next token; ok is false at the end of the text.
// peek returns the next token without consuming it; a token that would be
// an error is reported as none (next will report it).
func (sc *scanner) peek() (token, bool) {
	saved := *sc
	tok, ok, err := sc.next()
	*sc = saved
	return tok, ok && err == nil
}

func (sc *scanner) next() (token, bool, *InputError) {
	for sc.pos < len(sc.s) {
		r, w := utf8.DecodeRuneInString(sc.s[sc.pos:])
		if !isSeparator(r) {
			break
		}
		sc.pos += w
	}
	if sc.pos >= len(sc.s) {
		return token{}, false, nil
	}
	rest := sc.s[sc.pos:]
	if r, w := utf8.DecodeRuneInString(rest); isQuote(r) {
		sc.pos += w
		return sc.quoted()
	}
	for _, m := range reasonMarkers {
		if strings.HasPrefix(rest, m) {
			sc.pos = len(sc.s)
			return token{text: rest[len(m):], reason: true}, true, nil
		}
	}
	start := sc.pos
	for sc.pos < len(sc.s) {
		r, w := utf8.DecodeRuneInString(sc.s[sc.pos:])
		if isSeparator(r) {
			break
		}
		if isQuote(r) {
			return token{}, false, inputErrorf("a quote in the middle of %q: put the whole display name in double quotes, e.g. \"Jane Doe\"",
				echo(sc.s[start:sc.pos]+string(r)))
		}
		sc.pos += w
	}
	return token{text: sc.s[start:sc.pos]}, true, nil
}

// quoted reads a name after its opening quote. Any quote character closes
// it; a backslash makes the next quote or backslash literal.
func (sc *scanner) quoted() (token, bool, *InputError) {
	var b strings.Builder
	start := sc.pos
	for sc.pos < len(sc.s) {
		r, w := utf8.DecodeRuneInString(sc.s[sc.pos:])
		sc.pos += w
		switch {
		case r == '\\' && sc.pos < len(sc.s):
			n, nw := utf8.DecodeRuneInString(sc.s[sc.pos:])
			if n == '\\' || isQuote(n) {
				b.WriteRune(n)
				sc.pos += nw
			} else {
				b.WriteRune(r)
			}
		case isQuote(r):
			if sc.pos < len(sc.s) {
				if n, _ := utf8.DecodeRuneInString(sc.s[sc.pos:]); !isSeparator(n) {
					return token{}, false, inputErrorf("text right after the quoted name %q: separate targets with spaces or commas",
						echo(b.String()))
				}
			}
			return token{text: b.String(), quoted: true}, true, nil
		default:
			b.WriteRune(r)
		}
	}
	return token{}, false, inputErrorf("unbalanced quote: the name starting %q has no closing quote", echo(sc.s[start:]))
}
