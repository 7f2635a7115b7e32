package bot

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/kickbot/kickbot/bot/slackui"
	"github.com/kickbot/kickbot/commands"
	"github.com/kickbot/kickbot/meeting"
)

// realisticRoster is n participants as a big meeting has them: 32-hex pids,
// full names, most with a phone number.
func realisticRoster(n int) *meeting.Roster {
	r := &meeting.Roster{ConferenceID: "914083136", Subject: "All hands", ReadAt: time.Unix(1_700_000_000, 123_456_789)}
	rnd := rand.New(rand.NewPCG(1, 2))
	first := []string{"Jane", "Carlos", "Wei", "Amara", "Olga", "Ravi", "Lucía", "Kenji", "Fatima", "Tom", "Ngozi", "Piotr"}
	last := []string{"Doe", "Mendes", "Zhang", "Okafor", "Ivanova", "Sharma", "García", "Tanaka", "Haddad", "Smith", "Kowalski"}
	for i := range n {
		// pids are random hex (they do not compress); names repeat as
		// real ones do, with a random suffix for uniqueness.
		p := meeting.Participant{ID: fmt.Sprintf("%016x%016x", rnd.Uint64(), rnd.Uint64()),
			Name:  fmt.Sprintf("%s %s %d", first[rnd.IntN(len(first))], last[rnd.IntN(len(last))], rnd.IntN(1000)),
			State: meeting.State(i % 3), Muted: i%2 == 0, Video: i%5 == 0}
		if i%4 != 0 {
			p.Phone = fmt.Sprintf("+86138%08d", rnd.IntN(100_000_000))
		}
		r.Participants = append(r.Participants, p)
	}
	r.Participants[0].Host = true
	r.Participants[1].CoHost = true
	return r
}

// TestListWireRoundTrip: what the shared store holds of a list reads back
// as the same list: roster (who is protected, what a row shows, when it
// was read), page, search, notes, live note, and a private list's
// candidates, intro and outro blocks.
func TestListWireRoundTrip(t *testing.T) {
	roster := realisticRoster(7)
	roster.Participants[2].HandRaised = true
	roster.Participants[3].Anonymous = true
	p := roster.Participants[4]
	rec := &listRecord{id: "abc123", channel: "CMOD", ts: "1700000000.000100", conference: "914083136", page: 2, query: "Number",
		notes: map[string]string{p.ID: "disconnected by <@U1>"}, created: time.Unix(1_700_000_000, 42), live: "🟢 Live",
		ephemeral: true, only: map[string]bool{p.ID: true, roster.Participants[5].ID: true},
		intro: slackui.RenderJoinAlert("914083136", p, "anonymous participant"),
		outro: slackui.Message{Blocks: []slack.Block{slackui.JoinAlertWaitingRoom("rec1")}}}
	rec.setRoster(roster)

	data, err := encodeList(rec)
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeList(data)
	if err != nil {
		t.Fatal(err)
	}
	if !got.created.Equal(rec.created) || !got.roster.ReadAt.Equal(rec.roster.ReadAt) {
		t.Errorf("times: got created %v read %v; want %v, %v", got.created, got.roster.ReadAt, rec.created, rec.roster.ReadAt)
	}
	got.roster.ReadAt, rec.roster.ReadAt = time.Time{}, time.Time{}
	for _, c := range []struct {
		what      string
		got, want any
	}{
		{"id", got.id, rec.id}, {"channel", got.channel, rec.channel}, {"ts", got.ts, rec.ts},
		{"conference", got.conference, rec.conference}, {"page", got.page, rec.page}, {"query", got.query, rec.query},
		{"notes", got.notes, rec.notes}, {"live", got.live, rec.live}, {"ephemeral", got.ephemeral, rec.ephemeral},
		{"only", got.only, rec.only}, {"roster", *got.roster, *rec.roster},
		{"intro", blocksJSON(t, got.intro), blocksJSON(t, rec.intro)}, {"outro", blocksJSON(t, got.outro), blocksJSON(t, rec.outro)},
	} {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s: got %+v, want %+v", c.what, c.got, c.want)
		}
	}
	if got.intro.Text != rec.intro.Text {
		t.Errorf("intro text: got %q, want %q", got.intro.Text, rec.intro.Text)
	}
	select {
	case <-got.posted:
	default:
		t.Error("a list read from the store must count as posted")
	}
}

func blocksJSON(t *testing.T, m slackui.Message) string {
	t.Helper()
	b, err := json.Marshal(slack.Blocks{BlockSet: m.Blocks})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestListWireSize: a list record stays small in the shared store: a
// 3,000-person meeting well under redisstate's 512 KB bound per record.
func TestListWireSize(t *testing.T) {
	for _, c := range []struct {
		people, max int
	}{{50, 6 << 10}, {3000, 150 << 10}} {
		rec := &listRecord{id: "abc123", channel: "CMOD", ts: "1700000000.000100", conference: "914083136",
			notes: map[string]string{}, created: time.Unix(1_700_000_000, 0)}
		rec.setRoster(realisticRoster(c.people))
		data, err := encodeList(rec)
		if err != nil {
			t.Fatal(err)
		}
		goNames, _ := json.Marshal(rec.roster)
		t.Logf("%d people: %d B encoded (%.0f B a person); the roster as JSON with Go field names: %d B",
			c.people, len(data), float64(len(data))/float64(c.people), len(goNames))
		if len(data) > c.max {
			t.Errorf("%d people encode to %d B; want at most %d", c.people, len(data), c.max)
		}
	}
}

// TestKeepWireRoundTrip: a hold's record read back from the store renders
// the same parent (who was moved, the Admit rows, notes), and an uninvited
// list's the same list.
func TestKeepWireRoundTrip(t *testing.T) {
	roster := realisticRoster(4)
	p1, p2 := roster.Participants[2], roster.Participants[3]
	o := commands.Outcome{Kick: commands.Kick{Actor: "U1", Channel: "CMOD", Conference: "914083136", Reason: "spam",
		Targets: []commands.Target{{Kind: commands.TargetID, Value: p1.ID}, {Kind: commands.TargetID, Value: p2.ID}}},
		Status: commands.StatusDone, Err: errors.New("not kept"), RequestIDs: []string{"r1"},
		Targets: []commands.TargetOutcome{{Target: commands.Target{Kind: commands.TargetID, Value: p1.ID}, Participant: &p1, Result: commands.ResultGone},
			{Target: commands.Target{Kind: commands.TargetID, Value: p2.ID}, Participant: &p2, Result: commands.ResultGone}}}
	hold := &keepRecord{id: "h1", hold: true, channel: "CMOD", conference: "914083136", created: time.Unix(1_700_000_000, 7),
		outcome: o, people: o.Waiting(), notes: map[int]string{1: "↩️ admitted by <@U2>"}, inThread: true}
	b := &Bot{cfg: Config{MaxSweep: 200}}
	data, err := encodeKeep(hold, "1700000000.000200")
	if err != nil {
		t.Fatal(err)
	}
	got, ts, err := decodeKeep(data)
	if err != nil {
		t.Fatal(err)
	}
	if ts != "1700000000.000200" || !got.created.Equal(hold.created) || got.hold != hold.hold || got.inThread != hold.inThread {
		t.Errorf("got ts %q created %v hold %v inThread %v", ts, got.created, got.hold, got.inThread)
	}
	if g, w := blocksJSON(t, b.renderHold(got)), blocksJSON(t, b.renderHold(hold)); g != w {
		t.Errorf("hold renders differently after the store:\ngot  %s\nwant %s", g, w)
	}

	v := commands.UninvitedView{Conference: "914083136", Subject: "All hands", ReadAt: time.Unix(1_700_000_000, 0), Known: true,
		Uninvited: roster.Participants[1:], CannotTell: roster.Participants[:1], Invited: 3}
	list := &keepRecord{id: "u1", channel: "CMOD", conference: "914083136", created: time.Unix(1_700_000_000, 0), view: v,
		people: v.Uninvited[:2], left: 1, notes: map[int]string{0: "disconnected by <@U1>"}, sweptBy: "U3"}
	if data, err = encodeKeep(list, "1700000000.000300"); err != nil {
		t.Fatal(err)
	}
	if got, _, err = decodeKeep(data); err != nil {
		t.Fatal(err)
	}
	if g, w := blocksJSON(t, b.renderUninvited(got)), blocksJSON(t, b.renderUninvited(list)); g != w {
		t.Errorf("uninvited list renders differently after the store:\ngot  %s\nwant %s", g, w)
	}
}
