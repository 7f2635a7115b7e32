package slackui

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kickbot/kickbot/commands"
	"github.com/kickbot/kickbot/meeting"
)

// TestUninvitedWorstCaseFitsBlockKit: the largest uninvited list (every
// row with its two buttons, the overflow and cap lines, a full "cannot
// tell" section, Disconnect all) stays within Slack's limits, with no
// participant ID in any button.
func TestUninvitedWorstCaseFitsBlockKit(t *testing.T) {
	long := strings.Repeat("Ŵ", commands.MaxNameRunes+20)
	var take, cannot []meeting.Participant
	for i := range 200 {
		take = append(take, meeting.Participant{ID: "cafe" + strconv.Itoa(100000+i) + "cafecafecafecafecafe",
			Name: long + "<!channel> *x*", Phone: "+86139" + strconv.Itoa(10000000+i)})
	}
	for i := range 40 {
		cannot = append(cannot, meeting.Participant{ID: "dead" + strconv.Itoa(i), Name: long})
	}
	v := commands.UninvitedView{Conference: "914083136", Subject: long, ReadAt: time.Unix(1700000000, 0), Known: true,
		Uninvited: append(take, make([]meeting.Participant, 50)...), CannotTell: cannot, Invited: 3}
	m := RenderUninvited(v, UninvitedState{Record: "rec-1", Take: take, Left: 50, Notes: map[int]string{1: strings.Repeat("n", 5000)}, MaxSweep: 200})
	checkSlackLimits(t, m)
	b, err := json.Marshal(m.Blocks)
	if err != nil {
		t.Fatal(err)
	}
	raw := string(b)
	for _, val := range regexp.MustCompile(`"value":"([^"]*)"`).FindAllStringSubmatch(raw, -1) {
		if strings.Contains(val[1], "cafe") {
			t.Errorf("a button carries a participant ID: %q", val[1])
		}
	}
	if got := strings.Count(raw, `"`+ActionHoldOne+`"`); got != maxUninvitedRow-1 {
		t.Errorf("%d Waiting room buttons, want %d (one row is noted)", got, maxUninvitedRow-1)
	}
}

func TestParseKeepOutHoldOne(t *testing.T) {
	if v, err := ParseKeepOutAction(ActionHoldOne, "k2|rec-1|3"); err != nil || v.Row != 3 || v.Record != "rec-1" {
		t.Fatalf("Waiting room value refused: %+v, %v", v, err)
	}
	for _, bad := range []string{"k2|rec-1|all", "k2|rec-1|03", "k2|rec-1|-1", "k2||3", "k2|rec-1|3|x"} {
		if _, err := ParseKeepOutAction(ActionHoldOne, bad); err == nil {
			t.Errorf("ParseKeepOutAction(hold one, %q) accepted", bad)
		}
	}
}
