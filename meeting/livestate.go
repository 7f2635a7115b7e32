package meeting

import (
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// liveState is a watched meeting as the frames describe it. The socket's
// reader is its only writer and applies each frame under mu in one go, so a
// reader never sees half a frame.
//
// Readers share the lists instead of copying them (a copy of a 1,100-person
// roster per kick was most of a watched kick's allocations): a list handed
// out is never written again, the writer copies it first (copy on write).
type liveState struct {
	mu sync.RWMutex

	participants plist // Host and CoHost filled in (fill)
	waiting      plist // Host and CoHost always false
	attendees    []Attendee
	attShared    atomic.Bool // attendees handed out: copy before changing an entry

	chair   string              // confInfo.chairID at the last realTimeInfo read
	coHosts map[string]struct{} // confInfo.coHosts at the last realTimeInfo read
	hostsAt time.Time           // when chair and coHosts were read

	locked, waitingRoom bool
	callIn              int64
	live                bool      // subscribed, and a full participant frame applied since
	updated             time.Time // when the last change was applied
	frameAt             time.Time // createTime of the last frame (server clock), zero if none given
}

// plist is an ordered list of participants keyed by pid.
//
// byID holds the positions of the entries in pid order, so a pid is a
// binary search away. It costs 4 bytes an entry: the map from pid to
// sequence number it replaced was about 110 KB of a watched 3,000-person
// meeting's 1 MB, and a watch's memory is what limits how many meetings one
// process can watch. A leaver's removal renumbers the positions after it in
// one pass over byID, which moves 4-byte numbers, not entries.
type plist struct {
	ps   []Participant
	host []bool  // per ps entry: pinfoMap ROLE "1" (the frames mark the host, never co-hosts)
	byID []int32 // positions in ps, ordered by their entries' pids
	// shared: ps was handed out by view, so its first len(ps) entries are
	// read by others and must be copied before any of them changes.
	// Appending is safe: a view's capacity ends at its length.
	shared atomic.Bool
}

func newPList(n int) plist {
	return plist{ps: make([]Participant, 0, n), host: make([]bool, 0, n), byID: make([]int32, 0, n)}
}

// find is the position of pid's entry.
func (l *plist) find(id string) (int, bool) {
	j, ok := l.search(id)
	if !ok {
		return 0, false
	}
	return int(l.byID[j]), true
}

// search is where id is, or would be, in byID.
func (l *plist) search(id string) (int, bool) {
	return slices.BinarySearchFunc(l.byID, id, func(pos int32, id string) int {
		return strings.Compare(l.ps[pos].ID, id)
	})
}

// forget takes id out of byID; its entry stays in ps until remove.
func (l *plist) forget(id string) {
	if j, ok := l.search(id); ok {
		l.byID = slices.Delete(l.byID, j, j+1)
	}
}

func (l *plist) get(id string) (Participant, bool) {
	i, ok := l.find(id)
	if !ok {
		return Participant{}, false
	}
	return l.ps[i], true
}

// view hands out the list; nobody may change its entries. Callers hold the
// state's lock, for reading at least.
func (l *plist) view() []Participant {
	l.shared.Store(true)
	return l.ps[:len(l.ps):len(l.ps)]
}

// own makes ps the writer's own before an entry changes; mu held.
func (l *plist) own() {
	if l.shared.Load() {
		l.ps = slices.Clone(l.ps)
		l.shared.Store(false)
	}
}

// add appends p, whose pid is not in the list. Its position goes into
// byID where its pid sorts, moving the ones after it: a full frame of n
// people moves about n²/4 of them. For 3,000 people, applying the frame
// takes 4.7 ms instead of the map's 2.2 ms, once per connection.
func (l *plist) add(p Participant, host bool) {
	j, _ := l.search(p.ID)
	l.byID = slices.Insert(l.byID, j, int32(len(l.ps)))
	l.ps = append(l.ps, p)
	l.host = append(l.host, host)
}

// change is what one frame did to a plist.
type change struct {
	joined, left, updated []Participant
}

// apply applies list items: as the whole list (full) or as changes. In a
// full list, pids absent from the items are gone; either way an item's
// pinfoMap is merged onto what is known of that pid, so a pinfoMap holding
// only the changed fields loses nothing. fill, if not nil, sets the roles
// (Host, CoHost) of a changed entry.
func (l *plist) apply(items []listItem, full bool, fill func(*Participant, bool)) change {
	var ch change
	set := func(p *Participant, host bool) {
		if fill != nil {
			fill(p, host)
		}
	}
	if full {
		old := plist{ps: l.ps, host: l.host, byID: l.byID}
		*l = newPList(len(items)) // a new list: views of the old one stay as they were
		for _, it := range items {
			id := it.id()
			if _, dup := l.find(id); dup || it.Mode == 1 {
				continue
			}
			i, known := old.find(id)
			var prev Participant
			var prevHost bool
			if known {
				prev, prevHost = old.ps[i], old.host[i]
			}
			p, host := merge(prev, prevHost, known, id, &it)
			set(&p, host)
			l.add(p, host)
			switch {
			case !known:
				ch.joined = append(ch.joined, p)
			case p != prev || host != prevHost:
				ch.updated = append(ch.updated, p)
			}
		}
		for _, p := range old.ps {
			if _, ok := l.find(p.ID); !ok {
				ch.left = append(ch.left, p)
			}
		}
		return ch
	}
	var gone []int // positions of the leavers, removed below
	for _, it := range items {
		id := it.id()
		i, known := l.find(id)
		if it.Mode == 1 {
			if known {
				ch.left = append(ch.left, l.ps[i])
				l.forget(id)
				gone = append(gone, i)
			}
			continue
		}
		if known {
			prev, prevHost := l.ps[i], l.host[i]
			p, host := merge(prev, prevHost, true, id, &it)
			set(&p, host)
			if p != prev || host != prevHost {
				l.own()
				l.ps[i], l.host[i] = p, host
				ch.updated = append(ch.updated, p)
			}
			continue
		}
		p, host := merge(Participant{}, false, false, id, &it)
		set(&p, host)
		l.add(p, host)
		ch.joined = append(ch.joined, p)
	}
	if len(gone) > 0 {
		l.remove(gone)
	}
	return ch
}

// remove removes the entries at positions gone (distinct, in any order),
// whose pids were forgotten already, keeping the order of the rest. A list handed out is not copied first:
// the rest is copied into a new one in the same pass. A list of its own is
// closed up from whichever end is nearer, so removing someone near either
// end of a big meeting (the first to join, the latest raider) moves a few
// entries, not the whole list.
func (l *plist) remove(gone []int) {
	slices.Sort(gone)
	// Whichever end the list closes up from, an entry ends up as many
	// places nearer the front as there were leavers before it.
	if len(gone) == 1 { // a kick: one pass of compares
		g := int32(gone[0])
		for j, pos := range l.byID {
			if pos > g {
				l.byID[j] = pos - 1
			}
		}
	} else {
		for j, pos := range l.byID {
			before, _ := slices.BinarySearch(gone, int(pos))
			l.byID[j] = pos - int32(before)
		}
	}
	n := len(l.ps) - len(gone)
	if !l.shared.Load() {
		if gone[len(gone)-1] < len(l.ps)-gone[0] {
			l.ps, l.host = closeUp(l.ps, gone), closeUp(l.host, gone)
			return
		}
		old := l.ps
		l.ps, l.host = closeDown(l.ps, l.ps[:0], gone), closeDown(l.host, l.host[:0], gone)
		clear(old[n:]) // let go of what moved down
		return
	}
	// Room for who stays and up to a quarter more for joiners, not for
	// everyone the list once held: a roster that shrinks as people are
	// kicked allocated (and zeroed) its old size on every kick.
	ps := make([]Participant, 0, min(cap(l.ps), n+n/4))
	l.shared.Store(false)
	l.ps, l.host = closeDown(l.ps, ps, gone), closeDown(l.host, l.host[:0], gone)
}

// closeDown appends to dst the entries of s not at positions gone (sorted):
// dst may be s[:0], as entries only move down.
func closeDown[T any](s, dst []T, gone []int) []T {
	from := 0
	for _, g := range gone {
		dst = append(dst, s[from:g]...)
		from = g + 1
	}
	return append(dst, s[from:]...)
}

// closeUp removes the entries at positions gone (sorted) by moving the ones
// before them up, and returns what remains: s without its first len(gone)
// slots, which are cleared (a later append reallocates the list).
func closeUp[T any](s []T, gone []int) []T {
	k := len(gone)
	for j := k - 1; j >= 0; j-- {
		lo := 0
		if j > 0 {
			lo = gone[j-1] + 1
		}
		copy(s[lo+k-j:], s[lo:gone[j]])
	}
	clear(s[:k])
	return s[k:]
}

// merge applies one item's fields onto prev and its host mark.
func merge(prev Participant, prevHost, known bool, id string, it *listItem) (Participant, bool) {
	e := entry{p: prev, roleHost: prevHost}
	if !known {
		e = entry{p: Participant{ID: id}}
	}
	if it.Name.set {
		e.p.Name = same(e.p.Name, it.Name.v)
	}
	if it.Phone.set {
		e.p.Phone = same(e.p.Phone, it.Phone.v)
	}
	pi := it.Pinfo
	if pi == nil {
		return e.p, e.roleHost
	}
	if pi.Name.set {
		e.p.Name = same(e.p.Name, pi.Name.v)
	}
	if pi.Tel.set {
		e.p.Phone = same(e.p.Phone, pi.Tel.v)
	}
	if pi.State.set {
		e.p.State = State(pi.State.v)
	}
	if pi.Mute.set {
		e.p.Muted = pi.Mute.v != 0
	}
	if pi.Video.set {
		e.p.Video = pi.Video.v != 0
	}
	if pi.Hand.set {
		e.p.HandRaised = pi.Hand.v != 0
	}
	if pi.Role.set {
		e.roleHost = pi.Role.v == 1
	}
	if pi.AddTime.set && pi.AddTime.v > 0 {
		e.p.JoinedAt = time.UnixMilli(pi.AddTime.v)
	}
	if pi.Device.set {
		e.p.Device = device(pi.Device.v)
	} else if pi.Device2.set {
		e.p.Device = device(pi.Device2.v)
	}
	if pi.Anonymous.set {
		e.p.Anonymous = pi.Anonymous.v != 0
	}
	return e.p, e.roleHost
}

// same returns old if it equals s: a frame repeating a name keeps the one
// string already held (the invite list shares it too, see applyAttendees)
// and lets the frame's copy go.
func same(old, s string) string {
	if old == s {
		return old
	}
	return s
}

// entry is a participant being merged, with its host mark.
type entry struct {
	p        Participant
	roleHost bool
}

// device interns the documented device types, so 3,000 participants do not
// hold 3,000 copies of "Desktop".
func device(s string) string {
	for _, d := range [...]string{"Desktop", "Mobile", "Pad", "OtherType"} {
		if strings.EqualFold(s, d) {
			return d
		}
	}
	return s
}

// seed replaces the participants with a realTimeInfo read.
func (st *liveState) seed(ps []Participant, chair string, coHosts []string, at time.Time) {
	st.setHostsLocked(chair, coHosts, at)
	st.participants = newPList(len(ps))
	for _, p := range ps {
		st.fill(&p, false)
		st.participants.add(p, false)
	}
	st.waiting = newPList(0)
	st.updated = at
}

// setHostsLocked records confInfo and fills the participants' roles in
// again if it changed; it reports whether it did. mu held.
func (st *liveState) setHostsLocked(chair string, coHosts []string, at time.Time) bool {
	changed := chair != st.chair || len(coHosts) != len(st.coHosts)
	set := make(map[string]struct{}, len(coHosts))
	for _, id := range coHosts {
		if _, ok := st.coHosts[id]; !ok {
			changed = true
		}
		set[id] = struct{}{}
	}
	st.chair, st.coHosts, st.hostsAt = chair, set, at
	if changed {
		l := &st.participants
		l.own()
		for i := range l.ps {
			st.fill(&l.ps[i], l.host[i])
		}
	}
	return changed
}

// fill sets p's Host (confInfo.chairID, or the frames' ROLE when roleHost)
// and CoHost (confInfo.coHosts); mu held.
func (st *liveState) fill(p *Participant, roleHost bool) {
	p.Host = roleHost || (st.chair != "" && p.ID == st.chair)
	_, p.CoHost = st.coHosts[p.ID]
}

// attendeesView hands the invite list out; nobody may change its entries.
// mu held, for reading at least.
func (st *liveState) attendeesView() []Attendee {
	st.attShared.Store(true)
	return st.attendees[:len(st.attendees):len(st.attendees)]
}

// applyAttendees applies AttendeesNotify items; mu held. The index by key
// lives only while a frame is applied: the invite list changes seldom, and
// a 3,000-person list's keys and map would be kept for nothing.
func (st *liveState) applyAttendees(items []attendeeItem, full bool) {
	if full {
		st.attendees = make([]Attendee, 0, len(items))
		st.attShared.Store(false)
	}
	idx := make(map[string]int, len(st.attendees)+len(items))
	for i, a := range st.attendees {
		idx[attendeeKey(a)] = i
	}
	// Invitees who are in the meeting share the participants' strings
	// instead of holding copies of their own: name, phone, and the
	// participantID, which is a number (the phone, as a rule).
	held := make(map[string]string, 2*len(st.participants.ps))
	for _, p := range st.participants.ps {
		held[p.Name], held[p.Phone] = p.Name, p.Phone
		if p.UserUUID != "" {
			held[p.UserUUID] = p.UserUUID
		}
		if p.AccountID != "" {
			held[p.AccountID] = p.AccountID
		}
	}
	intern := func(s string) string {
		if h, ok := held[s]; ok {
			return h
		}
		return s
	}
	owned := !st.attShared.Load()
	own := func() {
		if !owned {
			st.attendees = slices.Clone(st.attendees)
			st.attShared.Store(false)
			owned = true
		}
	}
	removed := false
	for _, it := range items {
		k := it.key()
		i, known := idx[k]
		if it.Mode == 1 {
			if known {
				own()
				st.attendees[i].UserUUID, st.attendees[i].ParticipantID = "\x00", "" // compacted below
				delete(idx, k)
				removed = true
			}
			continue
		}
		a := Attendee{UserUUID: intern(string(it.UserUUID)), ParticipantID: intern(string(it.ParticipantID)),
			Name: intern(string(it.Name)), Phone: intern(string(it.Phone)), AccountID: intern(string(it.AccountID))}
		if known {
			own()
			st.attendees[i] = a
			continue
		}
		idx[k] = len(st.attendees)
		st.attendees = append(st.attendees, a)
	}
	if removed {
		kept := st.attendees[:0]
		for _, a := range st.attendees {
			if a.UserUUID != "\x00" {
				kept = append(kept, a)
			}
		}
		clear(st.attendees[len(kept):])
		st.attendees = kept
	}
}

// attendeeKey is attendeeItem.key of a stored attendee.
func attendeeKey(a Attendee) string {
	return attendeeItem{UserUUID: flexString(a.UserUUID), ParticipantID: flexString(a.ParticipantID),
		Phone: flexString(a.Phone), Name: flexString(a.Name)}.key()
}
