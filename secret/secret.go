// Package secret holds credentials in a type that cannot be printed by
// accident: every string, fmt and JSON form of it is redacted.
package secret

import (
	"fmt"
	"strings"
)

// Redacted is what every printable form of a non-empty String shows.
const Redacted = "[REDACTED]"

// String is a credential (token, key, password). Call Reveal to get the value
// where it must be sent on the wire; nothing else shows it.
type String struct {
	value string
}

// New wraps v.
func New(v string) String { return String{value: v} }

// Reveal returns the raw value. Use it only to put the secret on the wire.
func (s String) Reveal() string { return s.value }

// IsZero reports whether no value is set.
func (s String) IsZero() bool { return s.value == "" }

// String implements fmt.Stringer with a redacted form.
func (s String) String() string {
	if s.value == "" {
		return ""
	}
	return Redacted
}

// GoString keeps %#v redacted too.
func (s String) GoString() string { return `secret.String("` + s.String() + `")` }

// Format makes every verb (%s, %v, %q, %x, %d …) print the redacted form.
func (s String) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		fmt.Fprintf(f, "%q", s.String())
		return
	}
	_, _ = f.Write([]byte(s.String()))
}

// MarshalJSON keeps JSON output (structured logs, debug dumps) redacted.
func (s String) MarshalJSON() ([]byte, error) { return []byte(`"` + s.String() + `"`), nil }

// MarshalText keeps encoding.TextMarshaler users redacted.
func (s String) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Decode lets envconfig fill a String from the environment. It trims
// surrounding white space, which secret files usually end with.
func (s *String) Decode(v string) error {
	s.value = strings.TrimSpace(v)
	return nil
}
