package bot

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kickbot/kickbot/meeting"
)

func testRoster(n, nameLen int) *meeting.Roster {
	r := &meeting.Roster{ConferenceID: "914083136"}
	for i := range n {
		r.Participants = append(r.Participants, meeting.Participant{ID: fmt.Sprintf("p%031d", i), Name: strings.Repeat("x", nameLen)})
	}
	return r
}

// TestListStoreIsBounded: past the count or byte bound the oldest lists are
// forgotten (a click on them is told the list is no longer active), never
// the newest; lists past their retention go too.
func TestListStoreIsBounded(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	clock := func() time.Time { return now }

	t.Run("count", func(t *testing.T) {
		s := newListStore(clock, 3, 1<<30)
		for i := range 5 {
			s.add(&listRecord{id: fmt.Sprint(i), created: now, roster: testRoster(1, 1)})
		}
		for i, want := range []bool{false, false, true, true, true} {
			if got := s.get(fmt.Sprint(i)) != nil; got != want {
				t.Errorf("list %d remembered = %v, want %v", i, got, want)
			}
		}
	})

	t.Run("bytes", func(t *testing.T) {
		one := rosterBytes(testRoster(100, 50))
		s := newListStore(clock, 1000, 2*one+one/2)
		for i := range 4 {
			s.add(&listRecord{id: fmt.Sprint(i), created: now, roster: testRoster(100, 50)})
		}
		if n, b := s.size(); n != 2 || b > 2*one+one/2 {
			t.Errorf("store holds %d lists, %d bytes; want 2 lists within %d bytes", n, b, 2*one+one/2)
		}
		if s.get("3") == nil || s.get("0") != nil {
			t.Errorf("the newest list must stay and the oldest go")
		}
		// A Refresh that grows a list counts too.
		r := s.get("3")
		s.resized(r, testRoster(1000, 50))
		if s.get("3") == nil {
			t.Errorf("the newest list was evicted for its own size")
		}
		if n, _ := s.size(); n != 1 {
			t.Errorf("after the newest list grew the store holds %d lists, want 1", n)
		}
	})

	t.Run("retention", func(t *testing.T) {
		s := newListStore(clock, 1000, 1<<30)
		s.add(&listRecord{id: "old", created: now.Add(-ListRetention - time.Minute), roster: testRoster(1, 1)})
		s.add(&listRecord{id: "new", created: now, roster: testRoster(1, 1)})
		if s.get("old") != nil || s.get("new") == nil {
			t.Errorf("an expired list is still answered, or a fresh one is not")
		}
	})
}

// TestClickGuardExpiresOldClaims: a finished claim stops repeat clicks for
// the retention period, then is forgotten.
func TestClickGuardExpiresOldClaims(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	g := newClickGuard()
	if _, ok := g.claim("c/p1", "U1", t0, t0); !ok {
		t.Fatal("first claim refused")
	}
	g.finish("c/p1", true, t0)
	if c, ok := g.claim("c/p1", "U2", t0.Add(-time.Second), t0.Add(time.Minute)); ok || c.user != "U1" || !c.done {
		t.Errorf("repeat click on an old roster: claim %+v ok=%v, want refused naming U1 as done", c, ok)
	}
	later := t0.Add(ListRetention + time.Hour)
	if _, ok := g.claim("c/p2", "U3", later, later); !ok {
		t.Fatal("claim of another participant refused")
	}
	if _, held := g.claims["c/p1"]; held {
		t.Errorf("a claim past its retention is still held")
	}
}
