package commands

import (
	"strings"
	"testing"
	"time"
)

func TestParseActions(t *testing.T) {
	cases := []struct {
		text string
		want Request
	}{
		{"914083136 lock", Request{Kind: KindLock, Conference: "914083136"}},
		{"914083136 LOCK 10m", Request{Kind: KindLock, Conference: "914083136", Duration: 10 * time.Minute}},
		{"914083136 lock 1h30m -- raid", Request{Kind: KindLock, Conference: "914083136", Duration: 90 * time.Minute, Reason: "raid"}},
		{"914083136 unlock", Request{Kind: KindUnlock, Conference: "914083136"}},
		{"914083136 uninvited", Request{Kind: KindUninvited, Conference: "914083136"}},
		{"914083136 watch", Request{Kind: KindWatch, Conference: "914083136"}},
		{"914083136 unwatch", Request{Kind: KindUnwatch, Conference: "914083136"}},
		{`914083136 hold "Jane Doe" +8613800000000 -- flooding`, Request{Kind: KindHold, Conference: "914083136",
			Targets: []Target{{Kind: TargetName, Value: "Jane Doe"}, {Kind: TargetPhone, Value: "+8613800000000"}}, Reason: "flooding"}},
		// A participant literally named "lock" is written in quotes: a kick.
		{`914083136 "lock"`, Request{Kind: KindKick, Conference: "914083136", Targets: []Target{{Kind: TargetName, Value: "lock"}}}},
		{`914083136 "hold" "watch"`, Request{Kind: KindKick, Conference: "914083136",
			Targets: []Target{{Kind: TargetName, Value: "hold"}, {Kind: TargetName, Value: "watch"}}}},
	}
	for _, tc := range cases {
		got, err := Parse(tc.text, testMaxTargets)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.text, err)
			continue
		}
		if got.Kind != tc.want.Kind || got.Conference != tc.want.Conference || got.Duration != tc.want.Duration ||
			got.Reason != tc.want.Reason || len(got.Targets) != len(tc.want.Targets) {
			t.Errorf("Parse(%q) = %+v, want %+v", tc.text, got, tc.want)
			continue
		}
		for i := range got.Targets {
			if got.Targets[i] != tc.want.Targets[i] {
				t.Errorf("Parse(%q) target %d = %+v, want %+v", tc.text, i, got.Targets[i], tc.want.Targets[i])
			}
		}
	}
}

func TestParseActionErrors(t *testing.T) {
	cases := []struct{ text, want string }{
		{"914083136 lock 5s", "a lock lasts from 10s to 24h"},
		{"914083136 lock 25h", "a lock lasts from 10s to 24h"},
		{"914083136 lock soon", `"soon" is not a duration`},
		{"914083136 lock 10m 20m", `takes no participants`},
		{"914083136 unlock ba9acb1e216d11eabc5165c2b91ad427", `"ba9acb1e216d11eabc5165c2b91ad427" after "unlock"`},
		{`914083136 uninvited "Jane"`, `a participant named "uninvited" is written in quotes`},
		{"914083136 hold", "name at least one participant to send to the waiting room"},
		{"914083136 hold -- spam", "name at least one participant to send to the waiting room"},
	}
	for _, tc := range cases {
		_, err := Parse(tc.text, testMaxTargets)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q) error = %v, want one containing %q", tc.text, err, tc.want)
		}
	}
}
