package textui

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/kickbot/kickbot/commands"
	"github.com/kickbot/kickbot/commands/commandstest"
	"github.com/kickbot/kickbot/meeting"
)

var (
	alice = commandstest.Alice
	bob   = commandstest.Bob
	jane1 = commandstest.Jane1
)

func id(v string) commands.Target    { return commandstest.ID(v) }
func phone(v string) commands.Target { return commandstest.Phone(v) }
func name(v string) commands.Target  { return commandstest.Name(v) }

func mustContain(t *testing.T, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("text does not contain %q; got:\n%s", w, got)
		}
	}
}

func TestOutcome(t *testing.T) {
	r := commandstest.SampleRoster()
	r.Participants = append(r.Participants, meeting.Participant{ID: "z1234567", Name: "Eve\x1b[31m\nRed"})
	k := commands.Kick{Actor: "console", Conference: "914083136", Reason: "spam & <eggs>",
		Targets: []commands.Target{name("<!channel>"), id("z1234567"), id(alice.ID), name("Nobody")}}
	got := Outcome(commandstest.Kick(t, &commandstest.Meeting{State: r}, k))
	want := strings.Join([]string{
		"Disconnected 2 of 4 participants from meeting 914083136 (Weekly all-hands) (2 disconnected, 1 not found, 1 refused).",
		"  ✅ <!channel> · +86 138-0000-0000 — disconnected",
		"  ✅ Eve [31m Red — disconnected",
		"  🛡️ Alice Chen · +8613800000001 — refused: the host is never disconnected",
		`  ❓ "Nobody" — not found in the meeting`,
		"Reason: spam & <eggs>",
		"Huawei request ID: req-hangup-1",
	}, "\n")
	if got != want {
		t.Errorf("Outcome()\n got:\n%s\n want:\n%s", got, want)
	}
}

func TestRoster(t *testing.T) {
	got := Roster(commandstest.SampleRoster(), RosterOptions{Query: "jane", Notes: map[string]string{jane1.ID: "disconnect requested"}})
	want := strings.Join([]string{
		"Meeting 914083136 (Weekly all-hands): 9 participants, read 2025-11-25 10:00:00 UTC",
		`Search "jane": 2 matches`,
		"1. Jane Doe · +8613800000003 · in meeting · ID c0000000000000000000000000000003 — disconnect requested",
		"2. jane doe · in meeting · muted · ID d0000000000000000000000000000004",
	}, "\n")
	if got != want {
		t.Errorf("Roster()\n got:\n%s\n want:\n%s", got, want)
	}

	got = Roster(commandstest.BigRoster(3000), RosterOptions{Page: 1, PageSize: 3})
	mustContain(t, got, "4. Participant 0002 · +86139000029", "Page 2 of 1001: 4–6 of 3002")
	if strings.Count(got, "\n") != 4 {
		t.Errorf("want header, 3 participants and the page line; got:\n%s", got)
	}
	mustContain(t, Roster(commandstest.BigRoster(0), RosterOptions{}), "1. Alice Chen · +8613800000001 · in meeting · host (can't be disconnected) · ID a0000000000000000000000000000001")
	mustContain(t, Roster(&meeting.Roster{ConferenceID: "1"}, RosterOptions{}), "Nobody is in the meeting right now.")
}

func TestNumberedRowsMatchText(t *testing.T) {
	r := commandstest.BigRoster(30)
	rows := commands.NumberedRows(r)
	text := Roster(r, RosterOptions{})
	if len(rows) != 32 || strings.Count(text, "\n") != 32 {
		t.Fatalf("%d rows, %d text lines; want 32 each (everyone, without paging)", len(rows), strings.Count(text, "\n"))
	}
	for i, p := range rows {
		if !strings.Contains(text, fmt.Sprintf("\n%d. %s ·", i+1, p.Name)) {
			t.Errorf("row %d is %s, but the text numbers it differently:\n%s", i+1, p.Name, text)
		}
	}
	if rows[0].ID != alice.ID || rows[1].ID != bob.ID || rows[2].Name != "Participant 0001" {
		t.Errorf("order: %s, %s, %s; want host, co-host, then by name", rows[0].Name, rows[1].Name, rows[2].Name)
	}
	if commands.NumberedRows(nil) != nil {
		t.Errorf("commands.NumberedRows(nil) is not empty")
	}
}

func TestAmbiguous(t *testing.T) {
	k := commands.Kick{Actor: "U1", Conference: "914083136"}
	res := commands.Resolve(commandstest.SampleRoster(), []commands.Target{name("Jane Doe"), phone("+8613800000009")})
	txt := Ambiguous(k, res.Ambiguous)
	want := strings.Join([]string{
		"Nothing was done: 2 names match more than one participant of meeting 914083136, and kickbot never guesses. Run /kick again with the participant ID of the one you mean.",
		`"Jane Doe" matches 2 participants:`,
		"• Jane Doe · +8613800000003 · in meeting · ID c0000000000000000000000000000003",
		"• jane doe · in meeting · ID d0000000000000000000000000000004",
		"+8613800000009 matches 2 participants:",
		"• Dana · +8613800000009 · in meeting · ID 10000000000000000000000000000007",
		"• Dana (iPad) · +8613800000009 · in meeting · ID 20000000000000000000000000000008",
	}, "\n")
	if txt != want {
		t.Errorf("Ambiguous()\n got:\n%s\n want:\n%s", txt, want)
	}
}

// Plain text is not mrkdwn: nothing is escaped, so the console shows what
// was typed; but it is one line per name.
func TestFailureAndInputError(t *testing.T) {
	k := commands.Kick{Actor: "console", Conference: "914083136"}
	err := commandstest.PlanErr("914083136", &meeting.Error{Kind: meeting.KindNotRunning, Message: "xoxb-leak"})
	if got, want := Failure(k, err), "❌ Nothing was done in meeting 914083136. Meeting 914083136 is not running: it has not started yet or has already ended."; got != want {
		t.Errorf("Failure()\n got  %q\n want %q", got, want)
	}
	_, err = commands.Parse(`914083136 "<!channel>`, 50)
	if got, want := InputError(err), `⚠️ Unbalanced quote: the name starting "<!channel>" has no closing quote`; got != want {
		t.Errorf("InputError()\n got  %q\n want %q", got, want)
	}
	if got := InputError(errors.New("internal detail: xoxb-123")); strings.Contains(got, "xoxb") || !strings.Contains(got, "could not understand") {
		t.Errorf("InputError(internal error) = %q", got)
	}
	if u := Usage(); strings.Contains(u, "`") || !strings.Contains(u, "/kick <meeting ID> <participant>") {
		t.Errorf("Usage() is not the plain grammar:\n%s", u)
	}
}

// Every plain-text rendering that shows a participant, a typed name or the
// subject keeps outsiders' text on one visible line.
func TestEveryRendererNeutralisesHostileNames(t *testing.T) {
	k, o, amb := commandstest.HostileKick(t)
	for label, s := range map[string]string{
		"outcome text":   Outcome(o),
		"ambiguous text": Ambiguous(k, amb),
		"roster text":    Roster(commandstest.HostileRoster(), RosterOptions{}),
		"watch join":     watchLines(meeting.EventJoined),
		"watch leave":    watchLines(meeting.EventLeft),
	} {
		commandstest.CheckHostileOutput(t, label, s, false)
	}
}

// watchLines is a watch event's line for every participant of the hostile
// roster.
func watchLines(kind meeting.EventKind) string {
	var b strings.Builder
	for _, p := range commandstest.HostileRoster().Participants {
		b.WriteString(WatchEvent(meeting.Event{Kind: kind, ConferenceID: "914083136", Participant: p}) + "\n")
	}
	return b.String()
}
