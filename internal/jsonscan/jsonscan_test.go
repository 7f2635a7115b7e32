package jsonscan

import (
	"encoding/json"
	"testing"
)

func TestSkipValue(t *testing.T) {
	tests := []struct {
		in     string
		at     int
		end    int
		ok     bool
		reason string
	}{
		{`"a\"b" ,`, 0, 6, true, "string with an escaped quote"},
		{`{"a":[1,{"b":"}"}],"c":null}x`, 0, 28, true, "nested, a bracket inside a string"},
		{`[1, 2]`, 0, 6, true, "array"},
		{`-12.5e3,`, 0, 7, true, "number"},
		{`true}`, 0, 4, true, "literal"},
		{`{"a":1`, 0, 6, false, "unterminated object"},
		{`"abc`, 0, 4, false, "unterminated string"},
		{`,`, 0, 0, false, "no value"},
		{``, 0, 0, false, "empty"},
		{`x"`, 5, 5, false, "past the end"},
	}
	for _, tt := range tests {
		end, ok := SkipValue([]byte(tt.in), tt.at)
		if end != tt.end || ok != tt.ok {
			t.Errorf("%s: SkipValue(%q) = %d, %v; want %d, %v", tt.reason, tt.in, end, ok, tt.end, tt.ok)
		}
	}
}

// FuzzSkipValue: on valid JSON, SkipValue steps over exactly the value.
func FuzzSkipValue(f *testing.F) {
	for _, s := range []string{`{"a":[1,"]"]}`, `"x\\"`, `123`, `null`, `[{}, [], ""]`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !json.Valid([]byte(s)) {
			return
		}
		b := []byte(s)
		i := SkipSpace(b, 0)
		end, ok := SkipValue(b, i)
		if !ok || SkipSpace(b, end) != len(b) {
			t.Fatalf("SkipValue(%q) = %d, %v; want the whole value", s, end, ok)
		}
	})
}
