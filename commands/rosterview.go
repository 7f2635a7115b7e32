package commands

import (
	"slices"
	"strings"

	"github.com/kickbot/kickbot/meeting"
)

// MaxQueryRunes bounds a roster search; a longer one is clipped.
const MaxQueryRunes = 100

// RosterView is one page of a filtered, sorted roster: the list every
// surface shows, numbered the same way.
type RosterView struct {
	Total   int // participants in the roster
	Matches int // participants found by the search
	Page    int // 0-based
	Pages   int
	First   int // index among the matches of the page's first participant
	Size    int // participants per page
	Shown   []meeting.Participant
	Matched []*meeting.Participant // every match, sorted
}

// ViewRoster filters the roster by query (see queryMatcher; "" keeps
// everyone), sorts it (host, then co-hosts, then everyone by name, then ID:
// stable while people join and leave) and cuts out the page of the given
// size (clamped to the pages there are); size ≤ 0 puts everyone on one page.
// It runs on every click, on rosters of thousands, so all sort keys share
// one allocation.
func ViewRoster(r *meeting.Roster, query string, page, size int) RosterView {
	var ps []meeting.Participant
	if r != nil {
		ps = r.Participants
	}
	if size <= 0 {
		size = max(len(ps), 1)
	}

	type entry struct {
		p          *meeting.Participant
		start, end int32 // the folded name is keys[start:end]
		rank       int8
	}
	entries := make([]entry, len(ps))
	n := 0
	for i := range ps {
		n += len(ps[i].Name)
	}
	buf := make([]byte, 0, n+n/8) // lower-casing rarely grows a name
	for i := range ps {
		p := &ps[i]
		start := len(buf)
		buf = appendFolded(buf, p.Name)
		rank := int8(2)
		if p.Host {
			rank = 0
		} else if p.CoHost {
			rank = 1
		}
		entries[i] = entry{p: p, rank: rank, start: int32(start), end: int32(len(buf))}
	}
	keys := string(buf)
	match := queryMatcher(query)
	entries = slices.DeleteFunc(entries, func(e entry) bool {
		return match != nil && !match(e.p, keys[e.start:e.end])
	})
	slices.SortFunc(entries, func(a, b entry) int {
		if a.rank != b.rank {
			return int(a.rank) - int(b.rank)
		}
		if c := strings.Compare(keys[a.start:a.end], keys[b.start:b.end]); c != 0 {
			return c
		}
		return strings.Compare(a.p.ID, b.p.ID)
	})

	v := RosterView{Total: len(ps), Matches: len(entries), Matched: make([]*meeting.Participant, len(entries))}
	for i, e := range entries {
		v.Matched[i] = e.p
	}
	v.Cut(size, page)
	return v
}

// Cut chooses the page of the given size (clamped to the pages there are).
func (v *RosterView) Cut(size, page int) {
	v.Size = size
	v.Pages = max(1, (v.Matches+size-1)/size)
	v.Page = min(max(page, 0), v.Pages-1)
	v.First = v.Page * size
	v.Shown = v.Shown[:0]
	for _, p := range v.Matched[v.First:min(v.First+size, len(v.Matched))] {
		v.Shown = append(v.Shown, *p)
	}
}

// appendFolded appends NormalizeName(s) lower-cased, for sorting and
// searching.
func appendFolded(dst []byte, s string) []byte { return appendLine(dst, s, unfoldLookalikes|lowerCase) }

// queryMatcher matches a name containing the query (case- and
// space-insensitive; folded is the participant's name through
// appendFolded), an ID starting with it, or, for a query of three or more
// digits, a phone number containing them. nil: no search.
func queryMatcher(query string) func(p *meeting.Participant, folded string) bool {
	q := string(appendFolded(nil, query))
	if q == "" {
		return nil
	}
	digits := phoneDigits(query)
	if len(digits) < 3 {
		digits = ""
	}
	return func(p *meeting.Participant, folded string) bool {
		if strings.Contains(folded, q) || len(p.ID) >= len(q) && strings.EqualFold(p.ID[:len(q)], q) {
			return true
		}
		return digits != "" && strings.Contains(phoneDigits(p.Phone), digits)
	}
}

// NumberedRows is the roster in the order the lists number it (host,
// co-hosts, then by name and ID): row n of a list without a search is
// NumberedRows(r)[n-1].
func NumberedRows(r *meeting.Roster) []meeting.Participant {
	if r == nil {
		return nil
	}
	return ViewRoster(r, "", 0, 0).Shown
}
