package commands

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/kickbot/kickbot/meeting"
)

func id(v string) Target    { return Target{Kind: TargetID, Value: v} }
func phone(v string) Target { return Target{Kind: TargetPhone, Value: v} }
func name(v string) Target  { return Target{Kind: TargetName, Value: v} }

const pid1 = "ba9acb1e216d11eabc5165c2b91ad427"

func TestParseAccepts(t *testing.T) {
	tests := []struct {
		name string
		text string
		want Request
	}{
		{"empty is help", "", Request{Kind: KindHelp}},
		{"blank is help", "  \t ", Request{Kind: KindHelp}},
		{"help", "help", Request{Kind: KindHelp}},
		{"HELP with junk", "HELP me please", Request{Kind: KindHelp}},
		{"--help", "--help", Request{Kind: KindHelp}},
		{"list", "914083136", Request{Kind: KindList, Conference: "914083136"}},
		{"list with spaces", "  914083136  ", Request{Kind: KindList, Conference: "914083136"}},
		{"list dashed conference", "914-083-136", Request{Kind: KindList, Conference: "914083136"}},
		{"letters in conference", "abcDEF123", Request{Kind: KindList, Conference: "abcDEF123"}},
		{"design example",
			`914083136 ba9acb1e216d11eabc5165c2b91ad427 "Jane Doe" +8613800000000 -- spamming`,
			Request{Kind: KindKick, Conference: "914083136",
				Targets: []Target{id(pid1), name("Jane Doe"), phone("+8613800000000")}, Reason: "spamming"}},
		{"commas and spaces", `914083136 "Jane Doe",+8613800000000 ,, ` + pid1,
			Request{Kind: KindKick, Conference: "914083136",
				Targets: []Target{name("Jane Doe"), phone("+8613800000000"), id(pid1)}}},
		{"comma inside a name", `1 "Doe, Jane"`,
			Request{Kind: KindKick, Conference: "1", Targets: []Target{name("Doe, Jane")}}},
		{"curly quotes", "914083136 “Jane Doe” „Bob Li”",
			Request{Kind: KindKick, Conference: "914083136", Targets: []Target{name("Jane Doe"), name("Bob Li")}}},
		{"escaped quote and backslash", `1 "Jane \"JD\" Doe" "a\\b" "c\d"`,
			Request{Kind: KindKick, Conference: "1", Targets: []Target{name(`Jane "JD" Doe`), name(`a\b`), name(`c\d`)}}},
		{"name trimmed and collapsed", "1 \"  Jane \u00a0  Doe \"",
			Request{Kind: KindKick, Conference: "1", Targets: []Target{name("Jane Doe")}}},
		{"duplicates collapse", `1 "Jane Doe" "jane  doe" +8613800000000 +86-138-0000-0000 ` + pid1 + " " + pid1,
			Request{Kind: KindKick, Conference: "1",
				Targets: []Target{name("Jane Doe"), phone("+8613800000000"), id(pid1)}}},
		{"bare digits are a phone", "1 13800000000 1380000",
			Request{Kind: KindKick, Conference: "1", Targets: []Target{phone("13800000000"), phone("1380000")}}},
		{"short plus phone", "1 +12345",
			Request{Kind: KindKick, Conference: "1", Targets: []Target{phone("+12345")}}},
		{"long digits are an id", "1 123456789012345678901",
			Request{Kind: KindKick, Conference: "1", Targets: []Target{id("123456789012345678901")}}},
		{"uuid-like id", "1 3f2a-77b1_c9",
			Request{Kind: KindKick, Conference: "1", Targets: []Target{id("3f2a-77b1_c9")}}},
		{"slack escapes unescaped", `1 "Tom &amp; Jerry" "&lt;!channel&gt;" -- a &lt; b &amp;amp; c`,
			Request{Kind: KindKick, Conference: "1",
				Targets: []Target{name("Tom & Jerry"), name("<!channel>")}, Reason: "a < b &amp; c"}},
		{"reason trimmed and collapsed", "1 " + pid1 + " --   too   loud\n\tagain  ",
			Request{Kind: KindKick, Conference: "1", Targets: []Target{id(pid1)}, Reason: "too loud again"}},
		{"reason glued to dashes", "1 " + pid1 + " --spam",
			Request{Kind: KindKick, Conference: "1", Targets: []Target{id(pid1)}, Reason: "spam"}},
		{"em dash from smart punctuation", "1 " + pid1 + " — spam",
			Request{Kind: KindKick, Conference: "1", Targets: []Target{id(pid1)}, Reason: "spam"}},
		{"empty reason", "1 " + pid1 + " --",
			Request{Kind: KindKick, Conference: "1", Targets: []Target{id(pid1)}}},
		{"quotes and dashes inside the reason", `1 "Jane" -- said "hi" -- twice`,
			Request{Kind: KindKick, Conference: "1", Targets: []Target{name("Jane")}, Reason: `said "hi" -- twice`}},
		{"dashes inside a name are not a reason", `1 "-- Jane --"`,
			Request{Kind: KindKick, Conference: "1", Targets: []Target{name("-- Jane --")}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.text, 50)
			if err != nil {
				t.Fatalf("Parse(%q) error = %v, want %+v", tt.text, err, tt.want)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse(%q)\n got  %+v\n want %+v", tt.text, got, tt.want)
			}
		})
	}
}

func TestParseRefuses(t *testing.T) {
	tests := []struct {
		name    string
		text    string
		max     int
		wantMsg string // a substring the user must see
	}{
		{"unbalanced quote", `914083136 "Jane Doe`, 50, `unbalanced quote: the name starting "Jane Doe"`},
		{"unbalanced curly quote", "914083136 “Jane Doe", 50, "unbalanced quote"},
		{"empty name", `914083136 ""`, 50, "empty name in quotes"},
		{"blank name", `914083136 "   "`, 50, "empty name in quotes"},
		{"unquoted name", "914083136 Jane", 50, `unrecognised target "Jane": put display names in double quotes`},
		{"unquoted two words", "914083136 Jane Doe", 50, `unrecognised target "Jane"`},
		{"quote inside word", `914083136 Jane"Doe"`, 50, `a quote in the middle of "Jane\""`},
		{"text after quote", `914083136 "Jane"Doe`, 50, `text right after the quoted name "Jane"`},
		{"too many targets", "914083136 +1111111 +2222222 +3333333", 2, "too many participants: at most 2 per command"},
		{"bad conference", "914083136! " + pid1, 50, `"914083136!" is not a meeting ID`},
		{"quoted conference", `"914083136" ` + pid1, 50, "the meeting ID must not be in quotes"},
		{"conference too long", strings.Repeat("9", 65), 50, "the meeting ID is too long (at most 64"},
		{"reason first", "-- spam", 50, "the meeting ID must come first"},
		{"reason without targets", "914083136 -- spam", 50, "name at least one participant before \"--\""},
		{"plus with too few digits", "1 +1234", 50, `"+1234" is not a phone number: use + and 5 to 20 digits`},
		{"plus with letters", "1 +86abc", 50, `"+86abc" is not a phone number`},
		{"short number", "1 12345", 50, `unrecognised target "12345"`},
		{"id without digit", "1 abcdefghij", 50, `unrecognised target "abcdefghij"`},
		{"id too long", "1 " + strings.Repeat("a1", 65), 50, "unrecognised target"},
		{"control character", "914083136 \x07" + pid1, 50, "control character (U+0007)"},
		{"escape sequence", "914083136 \"\x1b[31mJane\"", 50, "control character (U+001B)"},
		{"invalid utf-8", "914083136 \xff", 50, "not valid text"},
		{"5000 characters", "914083136 \"" + strings.Repeat("a", 5000) + "\"", 50,
			"the command is too long (5012 characters; at most 2000)"},
		{"reason too long", "1 " + pid1 + " -- " + strings.Repeat("x", 501), 50,
			"the reason is too long (501 characters; at most 500)"},
		{"long bad token echoed short", "1 " + strings.Repeat("é", 300), 50, `unrecognised target "` + strings.Repeat("é", 39) + `…"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.text, tt.max)
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("Parse(%q) = %+v, %v; want *InputError containing %q", tt.text, got, err, tt.wantMsg)
			}
			if !strings.Contains(ie.Msg, tt.wantMsg) {
				t.Errorf("Parse(%q) error\n got  %q\n want it to contain %q", tt.text, ie.Msg, tt.wantMsg)
			}
			if utf8.RuneCountInString(ie.Msg) > 300 {
				t.Errorf("error message is %d characters; want a short one: %q", utf8.RuneCountInString(ie.Msg), ie.Msg)
			}
		})
	}
}

// testMaxTargets is the cap the tests parse with (configuration's default
// in production comes from config.Defaults).
const testMaxTargets = 50

// TestParseLimit: the cap passed is the cap applied; a cap below 1 (a
// caller that forgot the configuration) allows one target, not more.
func TestParseLimit(t *testing.T) {
	var b strings.Builder
	b.WriteString("914083136")
	for i := range testMaxTargets + 1 {
		b.WriteString(" +86138000" + string(rune('0'+i/10)) + string(rune('0'+i%10)) + "00")
	}
	_, err := Parse(b.String(), testMaxTargets)
	if err == nil || !strings.Contains(err.Error(), "at most 50") {
		t.Fatalf("Parse(51 targets, 50) error = %v, want the limit of 50", err)
	}
	b.Reset()
	b.WriteString("914083136")
	for i := range testMaxTargets {
		b.WriteString(" +86138000" + string(rune('0'+i/10)) + string(rune('0'+i%10)) + "00")
	}
	got, err := Parse(b.String(), testMaxTargets)
	if err != nil || len(got.Targets) != 50 {
		t.Fatalf("Parse(50 targets, 50) = %d targets, %v; want 50, nil", len(got.Targets), err)
	}
	if _, err := Parse("914083136 +8613800000000 +8613800000001", 0); err == nil || !strings.Contains(err.Error(), "at most 1") {
		t.Errorf("Parse(2 targets, 0) error = %v, want the limit of 1", err)
	}
}

func TestTargetStringRoundTrips(t *testing.T) {
	for _, tg := range []Target{id(pid1), phone("+8613800000000"), phone("13800000000"),
		name(`Jane "JD" Doe`), name(`back\slash`), name("“curly”"), name("-- dashes")} {
		req, err := Parse("1 "+tg.String(), 50)
		if err != nil || len(req.Targets) != 1 || req.Targets[0] != tg {
			t.Errorf("Parse(%q) = %+v, %v; want target %+v", "1 "+tg.String(), req.Targets, err, tg)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"", "help", "914083136",
		`914083136 ba9acb1e216d11eabc5165c2b91ad427 "Jane Doe" +8613800000000 -- spamming`,
		`1 "a\"b" “c” „d” 'e'`, `1 "unterminated`, `1 "x"y`, `1 x"y"`, "1 +123 12345678 -- ",
		"1 &amp;lt; &lt;!channel&gt; — why", "1,2,3", "\x00", "1 \"\u00a0\"", "1 --", "-- x",
		"914-083-136 +86-138-0000-0000", "1 \"\\", "1 \"a\\“\"",
	} {
		f.Add(s, 3)
	}
	f.Fuzz(func(t *testing.T, text string, max int) {
		if max > 100 || max < -1 {
			max = max % 100
		}
		req, err := Parse(text, max)
		if err != nil {
			var ie *InputError
			if !errors.As(err, &ie) || ie.Msg == "" {
				t.Fatalf("Parse(%q) error %T %v; want a non-empty *InputError", text, err, err)
			}
			return
		}
		limit := max
		if limit <= 0 {
			limit = 1
		}
		switch req.Kind {
		case KindHelp:
			if req.Conference != "" || len(req.Targets) != 0 || req.Reason != "" {
				t.Fatalf("help request carries data: %+v", req)
			}
			return
		case KindList:
			if len(req.Targets) != 0 || req.Reason != "" {
				t.Fatalf("list request carries targets or reason: %+v", req)
			}
		case KindKick:
			if len(req.Targets) == 0 || len(req.Targets) > limit {
				t.Fatalf("kick with %d targets (limit %d): %q", len(req.Targets), limit, text)
			}
		default:
			t.Fatalf("unknown kind %d", req.Kind)
		}
		if !isAlnum(req.Conference) || len(req.Conference) > meeting.MaxConferenceIDLen {
			t.Fatalf("conference %q is not 1–64 letters and digits", req.Conference)
		}
		if req.Reason != strings.TrimSpace(req.Reason) || utf8.RuneCountInString(req.Reason) > maxReasonRunes {
			t.Fatalf("reason %q is not trimmed or too long", req.Reason)
		}
		for i, a := range req.Targets {
			if a.Value == "" || a.Value != strings.TrimSpace(a.Value) {
				t.Fatalf("target %d has an untrimmed or empty value %q", i, a.Value)
			}
			for _, b := range req.Targets[:i] {
				if containsTarget([]Target{b}, a) {
					t.Fatalf("duplicate targets %+v and %+v in %q", b, a, text)
				}
			}
		}
		// What Parse produced reads back the same, as Slack would send it.
		var again strings.Builder
		again.WriteString(req.Conference)
		for _, tg := range req.Targets {
			again.WriteString(" " + tg.String())
		}
		if req.Kind == KindKick && req.Reason != "" {
			again.WriteString(" -- " + req.Reason)
		}
		re, err := Parse(slackEscaped(again.String()), max)
		if err != nil || !reflect.DeepEqual(re, req) {
			t.Fatalf("re-parsing %q gave %+v, %v; want %+v", again.String(), re, err, req)
		}
	})
}

// slackEscaped is command text as Slack sends it: with & < > escaped.
func slackEscaped(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// The 2,000-character cap is on what the user typed, not on Slack's
// escaped form of it: "&" arrives as "&amp;".
func TestParseCapCountsTypedCharacters(t *testing.T) {
	typed := `914083136 "` + strings.Repeat("&", 1900) + `"`
	req, err := Parse(slackEscaped(typed), testMaxTargets)
	if err != nil {
		t.Fatalf("a %d-character command was refused after Slack escaped it: %v", len(typed), err)
	}
	if got := req.Targets[0].Value; got != strings.Repeat("&", 1900) {
		t.Errorf("name = %.20q…, want 1,900 ampersands", got)
	}
	over := `914083136 "` + strings.Repeat("&", 1989) + `"` // 2,001 typed, 9,957 escaped
	_, err = Parse(slackEscaped(over), testMaxTargets)
	if err == nil || !strings.Contains(err.Error(), "(2001 characters; at most 2000)") {
		t.Errorf("a 2,001-character command: err = %v, want too long counting typed characters", err)
	}
}

// Names that read the same once invisible characters are dropped are one
// target, as Resolve would match them.
func TestParseCollapsesInvisiblyDifferentNames(t *testing.T) {
	req, err := Parse("914083136 \"Jane\u200bDoe\" \"janedoe\"", testMaxTargets)
	if err != nil {
		t.Fatal(err)
	}
	if len(req.Targets) != 1 {
		t.Errorf("targets = %v, want one", req.Targets)
	}
}
