package meeting

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"

	"github.com/kickbot/kickbot/internal/jsonscan"
)

// A small reader over JSON that is already known to be valid (json.Valid
// has checked it): the roster's hot path walks arrays and objects with it
// and hands each field's raw value to that field's own UnmarshalJSON, with
// no reflection and no second validation pass. Keys match as encoding/json
// matches them: an exact name first, else one equal under Unicode case
// folding (the first such field in declaration order), a later duplicate
// replacing an earlier one.

// skipSpace, skipString and skipValue are jsonscan's, for input that
// json.Valid has checked: they always find what they look for.
func skipSpace(b []byte, i int) int { return jsonscan.SkipSpace(b, i) }

func skipString(b []byte, i int) int {
	end, _ := jsonscan.SkipString(b, i)
	return end
}

func skipValue(b []byte, i int) int {
	end, _ := jsonscan.SkipValue(b, i)
	return end
}

// eachElement calls f with each element of the array that starts at b[i]
// ('['), stopping early when f returns false.
func eachElement(b []byte, i int, f func(v []byte) bool) {
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		return
	}
	for i < len(b) {
		end := skipValue(b, i)
		if !f(b[i:end]) {
			return
		}
		i = skipSpace(b, end)
		if i >= len(b) || b[i] != ',' {
			return
		}
		i = skipSpace(b, i+1)
	}
}

// eachMember calls f with each key (decoded) and raw value of the object
// that starts at b[i] ('{').
func eachMember(b []byte, i int, f func(key, v []byte)) {
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return
	}
	for i < len(b) {
		kend := skipString(b, i)
		key := b[i+1 : kend-1]
		if bytes.IndexByte(key, '\\') >= 0 || !utf8.Valid(key) {
			var s string
			_ = json.Unmarshal(b[i:kend], &s) // valid JSON: cannot fail
			key = []byte(s)
		}
		i = skipSpace(b, kend)
		i = skipSpace(b, i+1) // the colon
		end := skipValue(b, i)
		f(key, b[i:end])
		i = skipSpace(b, end)
		if i >= len(b) || b[i] != ',' {
			return
		}
		i = skipSpace(b, i+1)
	}
}

// fieldIndex is the index in names of the field key selects, as
// encoding/json selects it, or -1.
func fieldIndex(names []string, key []byte) int {
	for i, n := range names {
		if string(key) == n {
			return i
		}
	}
	for i, n := range names {
		if bytes.EqualFold(key, []byte(n)) {
			return i
		}
	}
	return -1
}
