package secret

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func TestNoFormOfASecretShowsIt(t *testing.T) {
	const raw = "xoxb-very-secret-value"
	s := New(raw)
	wrapped := struct {
		Token String
		Ptr   *String
	}{s, &s}
	js, err := json.Marshal(wrapped)
	if err != nil {
		t.Fatal(err)
	}
	txt, _ := s.MarshalText()
	forms := map[string]string{
		"%s":   fmt.Sprintf("%s", s),
		"%v":   fmt.Sprintf("%v", s),
		"%+v":  fmt.Sprintf("%+v", wrapped),
		"%#v":  fmt.Sprintf("%#v", wrapped),
		"%q":   fmt.Sprintf("%q", s),
		"%x":   fmt.Sprintf("%x", s),
		"%d":   fmt.Sprintf("%d", s),
		"json": string(js),
		"text": string(txt),
	}
	for name, got := range forms {
		if strings.Contains(got, raw) || strings.Contains(got, fmt.Sprintf("%x", raw)) {
			t.Errorf("%s form reveals the secret: %s", name, got)
		}
		if !strings.Contains(got, Redacted) {
			t.Errorf("%s form = %q, want it to say %s", name, got, Redacted)
		}
	}
	if s.Reveal() != raw {
		t.Errorf("Reveal() = %q, want %q", s.Reveal(), raw)
	}
}

func TestDecodeTrimsAndEmptyIsEmpty(t *testing.T) {
	var s String
	if err := s.Decode("  abc\n"); err != nil {
		t.Fatal(err)
	}
	if s.Reveal() != "abc" {
		t.Errorf("Decode kept white space: %q", s.Reveal())
	}
	if got := New("").String(); got != "" {
		t.Errorf("empty secret prints %q, want empty", got)
	}
	if !New("").IsZero() || s.IsZero() {
		t.Error("IsZero wrong")
	}
}
