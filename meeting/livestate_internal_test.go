package meeting

import (
	"fmt"
	"slices"
	"testing"
	"unsafe"
)

// bigPList is a list of n participants p0000, p0001, … in that order.
func bigPList(n int) *plist {
	l := new(plist)
	*l = newPList(n)
	for i := range n {
		l.add(Participant{ID: fmt.Sprintf("p%04d", i), Name: fmt.Sprintf("Person %d", i)}, i == 0)
	}
	return l
}

// checkIndex fails unless l.byID holds every position of l.ps once, in
// the order of their pids.
func checkIndex(t *testing.T, l *plist) {
	t.Helper()
	if len(l.byID) != len(l.ps) {
		t.Fatalf("index of %d positions for %d entries", len(l.byID), len(l.ps))
	}
	seen := make([]bool, len(l.ps))
	for j, pos := range l.byID {
		if pos < 0 || int(pos) >= len(l.ps) || seen[pos] {
			t.Fatalf("index entry %d: position %d out of range or twice: %v", j, pos, l.byID)
		}
		seen[pos] = true
		if j > 0 && l.ps[l.byID[j-1]].ID >= l.ps[pos].ID {
			t.Fatalf("index not in pid order at %d: %s, then %s", j, l.ps[l.byID[j-1]].ID, l.ps[pos].ID)
		}
	}
}

func leave(id string) []listItem  { return []listItem{{PID: flexString(id), Mode: 1}} }
func rejoin(id string) []listItem { return []listItem{{PID: flexString(id)}} }

// Every participant is still found, in list order, after people leave from
// the front, the middle and the end and some come back (at the end).
func TestPListLookupAfterLeaves(t *testing.T) {
	l := bigPList(50)
	for _, id := range []string{"p0000", "p0025", "p0049", "p0001", "p0030"} {
		if ch := l.apply(leave(id), false, nil); len(ch.left) != 1 || ch.left[0].ID != id {
			t.Fatalf("leave %s: left = %v, want %s", id, ch.left, id)
		}
		if _, ok := l.get(id); ok {
			t.Fatalf("%s found after leaving", id)
		}
	}
	l.apply(rejoin("p0025"), false, nil)
	v := l.view() // handed out: a leave must not change it
	before := slices.Clone(v)
	l.apply(leave("p0002"), false, nil)
	if !slices.Equal(v, before) {
		t.Fatalf("a leave changed a roster handed out before it")
	}
	if got, want := len(l.ps), 50-6+1; got != want {
		t.Fatalf("%d entries, want %d", got, want)
	}
	for i, p := range l.ps {
		got, ok := l.get(p.ID)
		if !ok || got.ID != p.ID {
			t.Fatalf("entry %d (%s): get = %v, %v", i, p.ID, got, ok)
		}
	}
	checkIndex(t, l)
	if last := l.ps[len(l.ps)-1].ID; last != "p0025" {
		t.Errorf("last entry = %s, want p0025 (came back)", last)
	}
	if got, _ := l.get("p0000"); got.ID != "" {
		t.Errorf("p0000 found after leaving")
	}
	// A full frame keeps working on top of the incremental ones.
	ch := l.apply([]listItem{{PID: "p0003"}, {PID: "p0025"}, {PID: "new"}}, true, nil)
	if len(ch.joined) != 1 || ch.joined[0].ID != "new" || len(l.ps) != 3 {
		t.Fatalf("full frame: joined %v, %d entries", ch.joined, len(l.ps))
	}
	for _, id := range []string{"p0003", "p0025", "new"} {
		if _, ok := l.get(id); !ok {
			t.Errorf("%s not found after the full frame", id)
		}
	}
}

// A frame in which several leave at once keeps everyone else in order with
// their host marks, closing the list up from either end, whether or not it
// was handed out; a list handed out stays as it was. The pids are not in
// list order, the same frame brings a joiner and takes back a leaver, and
// joiners go at the end.
func TestPListRemoveKeepsTheRestInOrder(t *testing.T) {
	const n = 40
	idAt := func(i int) string { return fmt.Sprintf("p%04d", i*17%n) } // a permutation of p0000…p0039
	for _, gone := range [][]int{
		{0}, {1}, {n - 1}, {n - 2}, {n / 2}, {0, n - 1}, {0, 1, 2}, {n - 3, n - 2, n - 1},
		{3, 7, 8, 15}, {22, 30, 38}, {5, 35}, {10, 19, 20, 21}, {0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22},
	} {
		for _, shared := range []bool{false, true} {
			t.Run(fmt.Sprint(gone, shared), func(t *testing.T) {
				l := new(plist)
				*l = newPList(n)
				for i := range n {
					l.add(Participant{ID: idAt(i)}, i == 0)
				}
				var handed, handedCopy []Participant
				if shared {
					handed = l.view()
					handedCopy = slices.Clone(handed)
				}
				var items []listItem
				leaving := map[string]bool{}
				for _, g := range slices.Backward(gone) { // any order
					items = append(items, leave(idAt(g))...)
					leaving[idAt(g)] = true
				}
				back := idAt(gone[0]) // leaves and comes back in the same frame
				items = append(items, rejoin("p0017x")[0], rejoin(back)[0])
				if ch := l.apply(items, false, nil); len(ch.left) != len(gone) || len(ch.joined) != 2 {
					t.Fatalf("left %v, joined %v; want %d and 2", ch.left, ch.joined, len(gone))
				}
				l.apply(rejoin("late"), false, nil)
				var want []string
				for i := range n {
					if !leaving[idAt(i)] {
						want = append(want, idAt(i))
					}
				}
				want = append(want, "p0017x", back, "late")
				var got []string
				for i, p := range l.ps {
					got = append(got, p.ID)
					if host := i == 0 && gone[0] != 0; l.host[i] != host {
						t.Errorf("%s: host mark %v, want %v", p.ID, l.host[i], host)
					}
					if q, ok := l.get(p.ID); !ok || q.ID != p.ID {
						t.Errorf("%s: get = %v, %v", p.ID, q.ID, ok)
					}
				}
				if !slices.Equal(got, want) {
					t.Fatalf("list after the leaves:\n got %v\nwant %v", got, want)
				}
				if len(l.host) != len(l.ps) {
					t.Fatalf("%d entries, %d host marks", len(l.ps), len(l.host))
				}
				checkIndex(t, l)
				if shared && !slices.Equal(handed, handedCopy) {
					t.Errorf("the leaves changed a list handed out before them")
				}
			})
		}
	}
}

// BenchmarkPListLeaveFront3000 is a kick of someone who joined early in a
// 3,000-person watched meeting: the roster is not copied and the entries
// before the leaver move up. Bringing them back is not timed.
func BenchmarkPListLeaveFront3000(b *testing.B) {
	l := bigPList(3000)
	b.ReportAllocs()
	for b.Loop() {
		id := l.ps[10].ID
		l.apply(leave(id), false, nil)
		b.StopTimer()
		l.apply(rejoin(id), false, nil)
		b.StartTimer()
	}
}

// BenchmarkPListLeave1100 is the remove frame of a kick in a 1,100-person
// watched meeting applied to the live roster, the leaver near the front,
// after the roster was handed out (Snapshot: a list was shown), so the list
// is copied first. Bringing them back is not timed.
func BenchmarkPListLeave1100(b *testing.B) {
	l := bigPList(1100)
	b.ReportAllocs()
	for b.Loop() {
		id := l.ps[10].ID
		l.view()
		l.apply(leave(id), false, nil)
		b.StopTimer()
		l.apply(rejoin(id), false, nil)
		b.StartTimer()
	}
}

// BenchmarkPListLeaveShrinking1100 is the watched kickload scenario's
// roster: a 1,100-person meeting whose participants are kicked one after
// another, started again at 100. A kick only borrows the roster
// (ReadRoster), so each leaver is removed in place.
func BenchmarkPListLeaveShrinking1100(b *testing.B) {
	l := bigPList(1100)
	b.ReportAllocs()
	for b.Loop() {
		if len(l.ps) <= 100 {
			b.StopTimer()
			l = bigPList(1100)
			b.StartTimer()
		}
		l.apply(leave(l.ps[len(l.ps)/2].ID), false, nil)
	}
}

// An invitee in the meeting shares the participant's strings: name, phone,
// the participantID that equals the phone, and the user's ids.
func TestAttendeesShareParticipantStrings(t *testing.T) {
	st := &liveState{participants: newPList(1)}
	p := Participant{ID: "pid1", Name: string([]byte("Ann")), Phone: string([]byte("+8613900000001")),
		UserUUID: string([]byte("uuid-1")), AccountID: string([]byte("acct-1"))}
	st.participants.add(p, false)
	st.applyAttendees([]attendeeItem{{UserUUID: "uuid-1", ParticipantID: "+8613900000001",
		Phone: "+8613900000001", Name: "Ann", AccountID: "acct-1"}}, true)
	if len(st.attendees) != 1 {
		t.Fatalf("%d attendees, want 1", len(st.attendees))
	}
	a := st.attendees[0]
	for _, c := range []struct{ what, got, want string }{
		{"Name", a.Name, p.Name}, {"Phone", a.Phone, p.Phone}, {"ParticipantID", a.ParticipantID, p.Phone},
		{"UserUUID", a.UserUUID, p.UserUUID}, {"AccountID", a.AccountID, p.AccountID},
	} {
		if c.got != c.want || unsafe.StringData(c.got) != unsafe.StringData(c.want) {
			t.Errorf("%s %q is not the participant's string %q", c.what, c.got, c.want)
		}
	}
}
