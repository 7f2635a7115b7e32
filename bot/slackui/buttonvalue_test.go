package slackui

import (
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/kickbot/kickbot/commands"
)

// pid1 is a participant ID shaped like Huawei's.
const pid1 = "ba9acb1e216d11eabc5165c2b91ad427"

func TestButtonValueRoundTrip(t *testing.T) {
	for _, v := range []ButtonValue{
		{Conference: "914083136", ParticipantID: pid1, ListID: "L1700000000.42", Page: 3, ReadAt: 1764064800},
		{Conference: "914083136", ListID: "list-1", Query: "Jane | Doe +86 100% “é”"},
		{Conference: "a", ParticipantID: "weird|pid&with%chars é", Page: maxPage},
		{Conference: strings.Repeat("9", 64), ParticipantID: strings.Repeat("é", 64), ListID: strings.Repeat("L", 64),
			Query: strings.Repeat("𝄞", 100), Page: maxPage, ReadAt: 1 << 62},
	} {
		s, err := EncodeButtonValue(v)
		if err != nil {
			t.Fatalf("EncodeButtonValue(%+v): %v", v, err)
		}
		if len(s) > 2000 {
			t.Errorf("encoded value is %d bytes; Slack allows 2000", len(s))
		}
		got, err := DecodeButtonValue(s)
		if err != nil || got != v {
			t.Errorf("DecodeButtonValue(%q) = %+v, %v; want %+v", s, got, err, v)
		}
	}
	s, _ := EncodeButtonValue(ButtonValue{Conference: "914083136", ParticipantID: pid1, ListID: "L1", Page: 1, ReadAt: 1764064800})
	if want := "k1|914083136|" + pid1 + "|L1|1|1764064800|"; s != want {
		t.Errorf("encoding = %q, want the compact %q", s, want)
	}
}

func TestButtonValueRefuses(t *testing.T) {
	valid, err := EncodeButtonValue(ButtonValue{Conference: "914083136", ParticipantID: pid1, ListID: "L1", Page: 1, ReadAt: 5})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{
		"", "garbage", "k1", "k2|914083136|" + pid1 + "|L1|1|5|",
		valid + "|", strings.TrimSuffix(valid, "|"),
		"k1||" + pid1 + "|L1|1|5|",                    // no conference
		"k1|914-083|" + pid1 + "|L1|1|5|",             // conference not alnum
		"k1|914083136|" + pid1 + "|L 1|1|5|",          // list ID with a space
		"k1|914083136|" + pid1 + "|L1|-1|5|",          // negative page
		"k1|914083136|" + pid1 + "|L1|01|5|",          // non-canonical number
		"k1|914083136|" + pid1 + "|L1|+1|5|",          // non-canonical number
		"k1|914083136|" + pid1 + "|L1|1|-5|",          // negative time
		"k1|914083136|" + pid1 + "|L1|100001|5|",      // page out of range
		"k1|914083136|" + pid1 + "|L1|99999999999|5|", // overflow
		"k1|914083136|%ZZ|L1|1|5|",                    // bad escape
		"k1|914083136|%61bc|L1|1|5|",                  // non-canonical escape of "abc"
		"k1|914083136|a%0Ab|L1|1|5|",                  // control character
		"k1|914083136|%FF|L1|1|5|",                    // not UTF-8
		"k1|914083136|" + strings.Repeat("a", 129) + "|L1|1|5|",
		"k1|914083136|" + pid1 + "|L1|1|5|" + strings.Repeat("q", 101),
		valid + strings.Repeat(" ", 2000),
	} {
		if v, err := DecodeButtonValue(s); err == nil {
			t.Errorf("DecodeButtonValue(%q) = %+v; want an error", commands.Clip(s, 80), v)
		}
	}
	for _, v := range []ButtonValue{
		{}, {Conference: "9 1"}, {Conference: "1", ListID: "a/b"}, {Conference: "1", Page: -1},
		{Conference: "1", ReadAt: -1}, {Conference: "1", ParticipantID: "a\nb"}, {Conference: "1", Query: strings.Repeat("x", 101)},
	} {
		if s, err := EncodeButtonValue(v); err == nil {
			t.Errorf("EncodeButtonValue(%+v) = %q; want an error", v, s)
		}
	}
}

func FuzzDecodeButtonValue(f *testing.F) {
	for _, v := range []ButtonValue{
		{Conference: "914083136", ParticipantID: pid1, ListID: "L1", Page: 2, ReadAt: 1764064800},
		{Conference: "914083136", Query: "jane doe +86"},
	} {
		s, _ := EncodeButtonValue(v)
		f.Add(s)
	}
	f.Add("k1|1|%ZZ|||0|")
	f.Add("k1|1||||0|%E2%80%9C")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		v, err := DecodeButtonValue(s)
		if err != nil {
			return
		}
		again, err := EncodeButtonValue(v)
		if err != nil || again != s {
			t.Fatalf("decoded %q to %+v, which encodes to %q, %v", s, v, again, err)
		}
		if len(s) > 2000 || v.Conference == "" || v.Page < 0 || v.ReadAt < 0 {
			t.Fatalf("accepted %q as %+v", s, v)
		}
	})
}

func TestParseAction(t *testing.T) {
	m := RenderRosterPage(bigRoster(50), ListOptions{ListID: "L9", Page: 1, Query: "participant"})
	var search *slack.InputBlock
	for _, b := range m.Blocks {
		if in, ok := b.(*slack.InputBlock); ok {
			search = in
		}
	}
	if search == nil {
		t.Fatal("no search box")
	}
	bs := buttons(t, m)
	kick, prev := bs[ActionDisconnect][0], bs[ActionPrev][0]
	kickValue, _ := EncodeButtonValue(kick)
	prevValue, _ := EncodeButtonValue(prev)

	got, err := ParseAction(ActionSearch, search.BlockID, "  Jane \u00a0 Doe ")
	if err != nil || got.Query != "Jane Doe" || got.ListID != "L9" || got.Conference != "914083136" || got.Page != 0 {
		t.Errorf("search: %+v, %v", got, err)
	}
	if got, err := ParseAction(ActionDisconnect, "any", kickValue); err != nil || got != kick || got.ParticipantID == "" {
		t.Errorf("disconnect: %+v, %v", got, err)
	}
	if got, err := ParseAction(ActionPrev, "", prevValue); err != nil || got.Page != 0 || got.Query != "participant" {
		t.Errorf("prev: %+v, %v", got, err)
	}
	for _, tc := range []struct{ action, block, value string }{
		{"other_action", "", prevValue},
		{ActionDisconnect, "", prevValue},       // Disconnect without a participant
		{ActionNext, "", kickValue},             // a page button naming a participant
		{ActionSearch, kickValue, "jane"},       // search state naming a participant
		{ActionSearch, "garbage", "jane"},       // forged block_id
		{ActionSearch, search.BlockID, "a\x00"}, // control character in the query
		{ActionRefresh, "", "k1|914083136||L9|0|0|%ZZ"},
	} {
		if v, err := ParseAction(tc.action, tc.block, tc.value); err == nil {
			t.Errorf("ParseAction(%q, %q, %q) = %+v; want an error", tc.action, commands.Clip(tc.block, 30), commands.Clip(tc.value, 30), v)
		}
	}
}
