package meeting

import (
	"strings"
	"sync"
	"time"
)

// liveState is a watched meeting as the frames describe it. The socket's
// reader is its only writer and applies each frame under mu in one go, so a
// reader (who copies under the read lock) never sees half a frame.
type liveState struct {
	mu sync.RWMutex

	participants plist
	waiting      plist
	attendees    []Attendee
	attIdx       map[string]int // attendeeItem.key → index

	chair   string              // confInfo.chairID at the last realTimeInfo read
	coHosts map[string]struct{} // confInfo.coHosts at the last realTimeInfo read
	hostsAt time.Time           // when chair and coHosts were read

	locked, waitingRoom bool
	callIn              int64
	live                bool      // subscribed, and a full participant frame applied since
	updated             time.Time // when the last change was applied
	frameAt             time.Time // createTime of the last frame (server clock), zero if none given
}

// entry is one participant and what only the frames say about it.
type entry struct {
	p        Participant // Host and CoHost are filled in on copy, from confInfo and roleHost
	roleHost bool        // pinfoMap ROLE "1": the frames mark the host, never co-hosts
}

// plist is an ordered list of participants keyed by pid.
type plist struct {
	es  []entry
	idx map[string]int
}

func newPList(n int) plist { return plist{es: make([]entry, 0, n), idx: make(map[string]int, n)} }

func (l *plist) get(id string) (entry, bool) {
	i, ok := l.idx[id]
	if !ok {
		return entry{}, false
	}
	return l.es[i], true
}

// change is what one frame did to a plist.
type change struct {
	joined, left, updated []Participant
}

// apply applies list items: as the whole list (full) or as changes. In a
// full list, pids absent from the items are gone; either way an item's
// pinfoMap is merged onto what is known of that pid, so a pinfoMap holding
// only the changed fields loses nothing.
func (l *plist) apply(items []listItem, full bool) change {
	var ch change
	if full {
		old := *l
		*l = newPList(len(items))
		for _, it := range items {
			id := it.id()
			if _, dup := l.idx[id]; dup || it.Mode == 1 {
				continue
			}
			prev, known := old.get(id)
			e := merge(prev, known, id, &it)
			l.idx[id] = len(l.es)
			l.es = append(l.es, e)
			switch {
			case !known:
				ch.joined = append(ch.joined, e.p)
			case e != prev:
				ch.updated = append(ch.updated, e.p)
			}
		}
		for _, e := range old.es {
			if _, ok := l.idx[e.p.ID]; !ok {
				ch.left = append(ch.left, e.p)
			}
		}
		return ch
	}
	removed := false
	for _, it := range items {
		id := it.id()
		i, known := l.idx[id]
		if it.Mode == 1 {
			if known {
				ch.left = append(ch.left, l.es[i].p)
				l.es[i].p.ID = "" // compacted below
				delete(l.idx, id)
				removed = true
			}
			continue
		}
		if known {
			prev := l.es[i]
			e := merge(prev, true, id, &it)
			if e != prev {
				l.es[i] = e
				ch.updated = append(ch.updated, e.p)
			}
			continue
		}
		e := merge(entry{}, false, id, &it)
		l.idx[id] = len(l.es)
		l.es = append(l.es, e)
		ch.joined = append(ch.joined, e.p)
	}
	if removed {
		kept := l.es[:0]
		for _, e := range l.es {
			if e.p.ID != "" {
				l.idx[e.p.ID] = len(kept)
				kept = append(kept, e)
			}
		}
		clear(l.es[len(kept):])
		l.es = kept
	}
	return ch
}

// merge applies one item's fields onto prev.
func merge(prev entry, known bool, id string, it *listItem) entry {
	e := prev
	if !known {
		e = entry{p: Participant{ID: id}}
	}
	if it.Name.set {
		e.p.Name = it.Name.v
	}
	if it.Phone.set {
		e.p.Phone = it.Phone.v
	}
	pi := it.Pinfo
	if pi == nil {
		return e
	}
	if pi.Name.set {
		e.p.Name = pi.Name.v
	}
	if pi.Tel.set {
		e.p.Phone = pi.Tel.v
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
	return e
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
	l := newPList(len(ps))
	for _, p := range ps {
		p.Host, p.CoHost = false, false
		l.idx[p.ID] = len(l.es)
		l.es = append(l.es, entry{p: p})
	}
	st.participants = l
	st.waiting = newPList(0)
	st.attIdx = map[string]int{}
	st.setHostsLocked(chair, coHosts, at)
	st.updated = at
}

// setHostsLocked records confInfo; it reports whether anything changed. mu held.
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
	return changed
}

// roles fills in Host and CoHost; mu held (read).
func (st *liveState) roles(e entry) Participant {
	p := e.p
	p.Host = e.roleHost || (st.chair != "" && p.ID == st.chair)
	if len(st.coHosts) > 0 {
		_, p.CoHost = st.coHosts[p.ID]
	}
	return p
}

// applyAttendees applies AttendeesNotify items; mu held.
func (st *liveState) applyAttendees(items []attendeeItem, full bool) {
	if full {
		st.attendees = make([]Attendee, 0, len(items))
		st.attIdx = make(map[string]int, len(items))
	}
	removed := false
	for _, it := range items {
		k := it.key()
		i, known := st.attIdx[k]
		if it.Mode == 1 {
			if known {
				st.attendees[i].UserUUID, st.attendees[i].ParticipantID = "\x00", "" // compacted below
				delete(st.attIdx, k)
				removed = true
			}
			continue
		}
		a := Attendee{UserUUID: string(it.UserUUID), ParticipantID: string(it.ParticipantID),
			Name: string(it.Name), Phone: string(it.Phone), AccountID: string(it.AccountID)}
		if known {
			st.attendees[i] = a
			continue
		}
		st.attIdx[k] = len(st.attendees)
		st.attendees = append(st.attendees, a)
	}
	if removed {
		kept := st.attendees[:0]
		for _, a := range st.attendees {
			if a.UserUUID != "\x00" {
				kept = append(kept, a)
			}
		}
		st.attendees = kept
		clear(st.attIdx)
		for i, a := range kept {
			st.attIdx[attendeeItem{UserUUID: flexString(a.UserUUID), ParticipantID: flexString(a.ParticipantID),
				Phone: flexString(a.Phone), Name: flexString(a.Name)}.key()] = i
		}
	}
}
