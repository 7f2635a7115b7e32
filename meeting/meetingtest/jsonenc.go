package meetingtest

import (
	"strconv"
	"unicode/utf8"
)

// realTimeInfo is the one reply that can be large (3,000 participants is
// ~350 KB), so it is encoded by hand into a pre-sized buffer: about five times
// faster than reflection and one allocation. TestRealTimeJSONMatchesEncodingJSON
// (jsonenc_test.go) proves the bytes equal encoding/json's for realTimeReply.

// appendRealTime appends the realTimeInfo JSON for the given roster; with
// ids, participants carry userUUID and accountID (WithRosterUserIDs).
func appendRealTime(dst []byte, invited []attendee, roster []P, chairID string, coHosts []string, ids bool) []byte {
	dst = append(dst, `{"attendees":[`...)
	for i, a := range invited {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"accountID":`...)
		dst = appendJSONString(dst, a.accountID)
		dst = append(dst, `,"userUUID":`...)
		dst = appendJSONString(dst, a.userUUID)
		dst = append(dst, `,"name":`...)
		dst = appendJSONString(dst, a.name)
		dst = append(dst, `,"phone":`...)
		dst = appendJSONString(dst, a.phone)
		dst = append(dst, '}')
	}
	dst = append(dst, `],"participants":[`...)
	for i, p := range roster {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"pid":`...)
		dst = appendJSONString(dst, p.ID)
		dst = append(dst, `,"name":`...)
		dst = appendJSONString(dst, p.Name)
		dst = append(dst, `,"phone":`...)
		dst = appendJSONString(dst, p.Phone)
		dst = append(dst, `,"state":`...)
		dst = strconv.AppendInt(dst, int64(p.State), 10)
		dst = append(dst, `,"video":`...)
		dst = strconv.AppendInt(dst, int64(b2i(p.Video)), 10)
		dst = append(dst, `,"mute":`...)
		dst = strconv.AppendInt(dst, int64(b2i(p.Muted)), 10)
		dst = append(dst, `,"hand":`...)
		dst = strconv.AppendInt(dst, int64(b2i(p.Hand)), 10)
		if ids {
			dst = append(dst, `,"userUUID":`...)
			dst = appendJSONString(dst, p.UserUUID)
			dst = append(dst, `,"accountID":`...)
			dst = appendJSONString(dst, p.AccountID)
		}
		dst = append(dst, '}')
	}
	dst = append(dst, `],"confInfo":{"chairID":`...)
	dst = appendJSONString(dst, chairID)
	dst = append(dst, `,"coHosts":[`...)
	for i, id := range coHosts {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONString(dst, id)
	}
	return append(dst, "]}}"...)
}

const hexDigits = "0123456789abcdef"

// appendJSONString quotes s exactly as encoding/json does (HTML-safe: <, >
// and & escaped; invalid UTF-8 becomes U+FFFD; U+2028/U+2029 escaped).
// Names are untrusted text, so this matters.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' && b != '<' && b != '>' && b != '&' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
