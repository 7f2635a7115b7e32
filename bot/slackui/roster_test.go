package slackui

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/kickbot/kickbot/commands"
	"github.com/kickbot/kickbot/meeting"
)

// buttons returns the decoded value of every button in the message, by action.
func buttons(t *testing.T, m Message) map[string][]ButtonValue {
	t.Helper()
	out := map[string][]ButtonValue{}
	add := func(b *slack.ButtonBlockElement) {
		v, err := DecodeButtonValue(b.Value)
		if err != nil {
			t.Errorf("button %s has an undecodable value %q: %v", b.ActionID, b.Value, err)
		}
		out[b.ActionID] = append(out[b.ActionID], v)
	}
	for _, bl := range m.Blocks {
		switch b := bl.(type) {
		case *slack.SectionBlock:
			if b.Accessory != nil && b.Accessory.ButtonElement != nil {
				add(b.Accessory.ButtonElement)
			}
		case *slack.ActionBlock:
			for _, e := range b.Elements.ElementSet {
				if btn, ok := e.(*slack.ButtonBlockElement); ok {
					add(btn)
				}
			}
		}
	}
	return out
}

func TestRenderRosterPageSample(t *testing.T) {
	r := sampleRoster()
	m := RenderRosterPage(r, ListOptions{ListID: "L1", ChannelNotes: map[string]string{
		carl.ID: "disconnect requested by <@U123> — still in the meeting",
		"gone1": "*Old Name* disconnected by <@U123>",
	}})
	checkSlackLimits(t, m)
	got := visible(t, m)
	mustContain(t, got,
		"*Meeting 914083136* · Weekly all-hands\n9 participants",
		"Read <!date^1764064800^{date_short_pretty} {time_secs}|2025-11-25 10:00:00 UTC> · Page 1 of 1",
		"1. *Alice Chen*\n+8613800000001 · in meeting · *host* — can't be disconnected",
		"2. *Bob Li*\n+8613800000002 · in meeting · *co-host* — can't be disconnected",
		"*&lt;!channel&gt;*\n+86 138-0000-0000 · in meeting",
		"*Carl Berg*\n8613800000006 · being called\ndisconnect requested by <@U123> — still in the meeting",
		"*jane doe* 🔇\nin meeting",
		"Disconnected from this list:\n• *Old Name* disconnected by <@U123>",
		"Disconnect jane doe from meeting 914083136?",
		"Disconnect &lt;!channel&gt; from meeting 914083136?",
		"Search participants (press Enter)",
	)
	bs := buttons(t, m)
	if n := len(bs[ActionDisconnect]); n != 7 {
		t.Errorf("%d Disconnect buttons; want 7 (everyone but the host and co-host)", n)
	}
	for _, v := range bs[ActionDisconnect] {
		if v.ParticipantID == alice.ID || v.ParticipantID == bob.ID {
			t.Errorf("protected participant %s has a Disconnect button", v.ParticipantID)
		}
		if v.Conference != "914083136" || v.ListID != "L1" || v.ReadAt != r.ReadAt.Unix() || v.Page != 0 {
			t.Errorf("Disconnect button value %+v", v)
		}
	}
	if len(bs[ActionPrev])+len(bs[ActionNext]) != 0 || len(bs[ActionRefresh]) != 1 {
		t.Errorf("one page: want only Refresh, got %v", bs)
	}
	var found bool
	for _, bl := range m.Blocks {
		if in, ok := bl.(*slack.InputBlock); ok {
			found = true
			v, err := DecodeButtonValue(in.BlockID)
			if err != nil || v.Conference != "914083136" || v.ListID != "L1" || !in.DispatchAction {
				t.Errorf("search block: id %q → %+v, %v; dispatch %v", in.BlockID, v, err, in.DispatchAction)
			}
		}
	}
	if !found {
		t.Errorf("no search box")
	}
	// Kicking from the list uses the same danger style and confirm dialog.
	raw, _ := json.Marshal(m.Blocks)
	if !strings.Contains(string(raw), `"style":"danger","confirm"`) && !strings.Contains(string(raw), `"confirm":{"title"`) {
		t.Errorf("Disconnect buttons lack a confirm dialog")
	}
}

func TestRenderRosterPageBig(t *testing.T) {
	r := bigRoster(3000)
	for _, tc := range []struct {
		opts      ListOptions
		wantPage  string
		wantFirst string
		prev      bool
		next      bool
		shown     int
	}{
		{ListOptions{ListID: "L"}, "Page 1 of 151", "1. *Alice Chen*", false, true, 20},
		{ListOptions{ListID: "L", Page: 1}, "Page 2 of 151", "21. *Participant 0019*", true, true, 20},
		{ListOptions{ListID: "L", Page: 500}, "Page 151 of 151", "3001. *Participant 2999*", true, false, 2},
		{ListOptions{ListID: "L", Query: "participant 29"}, "Page 1 of 5", "1. *Participant 2900*", false, true, 20},
		{ListOptions{ListID: "L", Query: "+86 139 0000 2999"}, "Page 1 of 1", "1. *Participant 0001*", false, false, 1},
		{ListOptions{ListID: "L", Query: "nobody"}, "Page 1 of 1", "No participant matches “nobody”.", false, false, 0},
	} {
		t.Run(fmt.Sprintf("%+v", tc.opts), func(t *testing.T) {
			m := RenderRosterPage(r, tc.opts)
			size := checkSlackLimits(t, m)
			got := visible(t, m)
			mustContain(t, got, tc.wantPage, tc.wantFirst, "3002 participants")
			bs := buttons(t, m)
			if (len(bs[ActionPrev]) == 1) != tc.prev || (len(bs[ActionNext]) == 1) != tc.next {
				t.Errorf("prev/next buttons = %d/%d, want %v/%v", len(bs[ActionPrev]), len(bs[ActionNext]), tc.prev, tc.next)
			}
			for _, v := range bs[ActionNext] {
				if v.Query != tc.opts.Query || v.Page < 1 {
					t.Errorf("Next button value %+v loses the search or page", v)
				}
			}
			if tc.opts.Query != "" && len(bs[ActionClearSearch]) != 1 {
				t.Errorf("search without a Clear search button")
			}
			sections := strings.Count(got, "\n+86")
			if sections != tc.shown {
				t.Errorf("%d participants shown, want %d", sections, tc.shown)
			}
			if size > 20*1024 {
				t.Errorf("page JSON is %d bytes, over the 20 KB the page budget promises", size)
			}
		})
	}
	// A page size beyond what fits in a frame is cut to what does.
	m := RenderRosterPage(r, ListOptions{ListID: "L", Page: -3, PageSize: 1000})
	size := checkSlackLimits(t, m)
	shown := strings.Count(visible(t, m), "\n+86")
	if shown < DefaultPageSize || shown > maxPageSize || size > maxPageBytes {
		t.Errorf("page size 1000: %d participants in %d bytes; want %d..%d within %d bytes", shown, size, DefaultPageSize, maxPageSize, maxPageBytes)
	}
	mustContain(t, visible(t, m), fmt.Sprintf("Page 1 of %d", (3002+shown-1)/shown))
}

// TestRenderRosterPageByteBudget: participants pick their names, so a page
// of the longest names made of the characters that escape to the most bytes
// still fits the page budget (maxPageBytes); pages just get shorter, and paging
// still shows everyone once.
func TestRenderRosterPageByteBudget(t *testing.T) {
	for _, name := range []string{
		strings.Repeat("<&>", 40),               // 120 characters, 9–10 JSON bytes each once escaped
		strings.Repeat("長い名前の参加者", 12),          // 96 three-byte characters
		strings.Repeat("\"\\\u2028", 40),        // quotes, backslashes, line separators
		strings.Repeat("<!channel> ", 10) + "x", // mentions
	} {
		r := &meeting.Roster{ConferenceID: "914083136", Subject: strings.Repeat("<&>", 40), ReadAt: time.Unix(1764064800, 0)}
		r.Participants = append(r.Participants, alice)
		notes := map[string]string{}
		for i := range 100 {
			p := meeting.Participant{ID: fmt.Sprintf("%032x", i), Name: fmt.Sprintf("%s %03d", name, i),
				Phone: strings.Repeat("<", 40), State: meeting.StateCalling, Muted: true, Video: true, HandRaised: true}
			r.Participants = append(r.Participants, p)
			notes[p.ID] = "⚠️ <@U123> asked to disconnect *" + Escape(p.Name) + "*, but they are still in the meeting"
		}
		for i := range 12 {
			notes[fmt.Sprintf("gone%02d", i)] = "✅ *" + Escape(name) + "* disconnected by <@U123>"
		}
		query := strings.Repeat("<", 100) // matches nobody, but rides on every navigation button
		for _, opts := range []ListOptions{
			{ListID: strings.Repeat("L", 64), ChannelNotes: notes},
			{ListID: strings.Repeat("L", 64), ChannelNotes: notes, Query: query},
			{ListID: strings.Repeat("L", 64), ChannelNotes: notes, Query: name[:len(name)/2]},
		} {
			seen := map[string]bool{}
			pages := 0
			for page := 0; ; page++ {
				opts.Page = page
				m := RenderRosterPage(r, opts)
				if size := checkSlackLimits(t, m); size > 20*1024 {
					t.Errorf("%.12q… page %d: %d bytes", name, page, size)
				}
				bs := buttons(t, m)
				for _, v := range bs[ActionDisconnect] {
					seen[v.ParticipantID] = true
				}
				if len(bs[ActionNext]) == 0 {
					pages = page + 1
					break
				}
			}
			if opts.Query != query && len(seen) != 100 {
				t.Errorf("%.12q… query %.12q: paging showed %d of 100 participants", name, opts.Query, len(seen))
			}
			t.Logf("%.12q… query %.12q: %d pages", name, opts.Query, pages)
		}
	}
}

func TestRenderRosterPageEdges(t *testing.T) {
	empty := RenderRosterPage(&meeting.Roster{ConferenceID: "914083136"}, ListOptions{ListID: "L"})
	checkSlackLimits(t, empty)
	mustContain(t, visible(t, empty), "0 participants", "Nobody is in the meeting right now.")
	mustNotContain(t, visible(t, empty), "Read <!date")

	checkSlackLimits(t, RenderRosterPage(nil, ListOptions{}))

	// Hostile and oversized names, phones and notes stay escaped and bounded.
	r := &meeting.Roster{ConferenceID: "914083136", Subject: strings.Repeat("<!channel>", 50), ReadAt: time.Unix(1764064800, 0)}
	for i := range 40 {
		r.Participants = append(r.Participants, meeting.Participant{
			ID: fmt.Sprintf("%032x", i), Name: strings.Repeat("<!here>&", 30), Phone: strings.Repeat("<@U1>", 40),
		})
	}
	r.Participants = append(r.Participants, meeting.Participant{ID: strings.Repeat("x", 300), Name: "!Odd ID"})
	notes := map[string]string{fmt.Sprintf("%032x", 0): strings.Repeat("note <@U123> ", 100)}
	for i := range 30 {
		notes[fmt.Sprintf("gone%02d", i)] = "gone by <@U123>"
	}
	m := RenderRosterPage(r, ListOptions{ListID: "L", PageSize: 40, Query: strings.Repeat("<", 150), ChannelNotes: notes})
	checkSlackLimits(t, m)
	m = RenderRosterPage(r, ListOptions{ListID: "L", PageSize: 40, ChannelNotes: notes})
	size := checkSlackLimits(t, m)
	got := visible(t, m)
	mustContain(t, got, "…and 20 more", "_No button: this participant's ID is unusual._")
	t.Logf("hostile page of 40: %d blocks, %d bytes", len(m.Blocks), size)

	// A list ID that cannot be encoded yields no buttons rather than bad ones.
	m = RenderRosterPage(sampleRoster(), ListOptions{ListID: "not a valid id"})
	checkSlackLimits(t, m)
	if bs := buttons(t, m); len(bs) != 0 {
		t.Errorf("buttons rendered with an invalid list ID: %v", bs)
	}
}

func BenchmarkRenderRosterPage(b *testing.B) {
	r := bigRoster(3000)
	opts := ListOptions{ListID: "L1764064800", Page: 70}
	b.ReportAllocs()
	for b.Loop() {
		m := RenderRosterPage(r, opts)
		if len(m.Blocks) == 0 {
			b.Fatal("no blocks")
		}
	}
}

func BenchmarkRenderRosterPageSearch(b *testing.B) {
	r := bigRoster(3000)
	opts := ListOptions{ListID: "L1764064800", Query: "participant 1"}
	b.ReportAllocs()
	for b.Loop() {
		RenderRosterPage(r, opts)
	}
}

func TestRowNote(t *testing.T) {
	done := sampleOutcome(t, []commands.Target{name("<!channel>"), id(alice.ID)}, nil)
	stuck := sampleOutcome(t, []commands.Target{id(carl.ID)}, map[string]bool{carl.ID: true})
	left := sampleOutcome(t, []commands.Target{id("c0ffee00000000000000000000000000")}, nil) // listed, then left
	for _, tc := range []struct {
		o    commands.Outcome
		pid  string
		want string
	}{
		{done, evil.ID, "✅ *&lt;!channel&gt;* disconnected by <@U123>"},
		{done, alice.ID, "🛡️ *Alice Chen* can't be disconnected (the host is never disconnected)"},
		{stuck, carl.ID, "⚠️ <@U123> asked to disconnect *Carl Berg*, but they are still in the meeting"},
		{done, "nobody", "❓ <@U123> tried to disconnect this participant, who was not found"},
		{left, "c0ffee00000000000000000000000000", "👋 already left the meeting when <@U123> tried to disconnect them"},
		{left, carl.ID, "❓ <@U123> tried to disconnect this participant, who was not found"},
	} {
		if got := RowNote(tc.o, tc.pid); got != tc.want {
			t.Errorf("RowNote(%s)\n got  %q\n want %q", tc.pid, got, tc.want)
		}
	}
	// Notes render on the list: beside a present participant, listed when gone.
	m := RenderRosterPage(sampleRoster(), ListOptions{ListID: "L", ChannelNotes: map[string]string{
		carl.ID: RowNote(stuck, carl.ID), "gone": RowNote(done, evil.ID)}})
	checkSlackLimits(t, m)
	mustContain(t, visible(t, m), "being called\n⚠️ <@U123> asked to disconnect *Carl Berg*",
		"Disconnected from this list:\n• ✅ *&lt;!channel&gt;* disconnected by <@U123>")
}

// Long participant IDs that grow when query-escaped shrink the page too:
// the page-size guard must count the IDs it puts in every button.
func TestRenderRosterPageCountsLongIDs(t *testing.T) {
	r := &meeting.Roster{ConferenceID: "914083136", ReadAt: time.Unix(1764064800, 0)}
	for i := range 200 {
		id := fmt.Sprintf("%03d", i) + strings.Repeat("-%", 58) + "1"
		r.Participants = append(r.Participants, meeting.Participant{ID: id, Name: fmt.Sprintf("P %03d", i)})
	}
	m := RenderRosterPage(r, ListOptions{ListID: "L1", PageSize: 40})
	if size := checkSlackLimits(t, m); size > 20*1024 {
		t.Errorf("a page of 120-character IDs is %d bytes, over the page budget", size)
	}
	if n := len(buttons(t, m)[ActionDisconnect]); n == 0 {
		t.Errorf("no Disconnect buttons: the long IDs were refused instead of paged")
	}
}
