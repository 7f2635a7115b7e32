package bot

import (
	"strings"
	"sync"
)

// permalinks builds the permalink of a channel's top-level message from the
// first one Slack gave for that channel, instead of asking Slack
// (chat.getPermalink) for every ops notice: one call fewer per kick, and an
// ops notice no longer waits for chat.getPermalink's rate limit.
//
// A top-level message's permalink is the workspace's archive URL of the
// channel followed by "p" and the message's ts without its dot
// (https://team.slack.com/archives/C0123/p1700000000123456). Slack's answer
// is only learnt from when it has exactly that shape for the ts asked
// about; otherwise (an unusual workspace URL, a query string) Slack keeps
// being asked, as before. The zero value is ready to use.
type permalinks struct {
	mu   sync.Mutex
	base map[string]string // channel → permalink prefix, up to and including "/archives/<channel>/"
}

// of returns the permalink of ts in channel if it can be built.
func (p *permalinks) of(channel, ts string) (string, bool) {
	p.mu.Lock()
	base, ok := p.base[channel]
	p.mu.Unlock()
	if !ok {
		return "", false
	}
	return base + "p" + strings.Replace(ts, ".", "", 1), true
}

// learn remembers the prefix of link, Slack's permalink of ts in channel,
// when link has the shape described above.
func (p *permalinks) learn(channel, ts, link string) {
	tail := "/archives/" + channel + "/p" + strings.Replace(ts, ".", "", 1)
	if !strings.HasPrefix(link, "https://") || !strings.HasSuffix(link, tail) ||
		strings.ContainsAny(link, "?#") || !validTS(ts) {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.base == nil {
		p.base = map[string]string{}
	}
	p.base[channel] = strings.TrimSuffix(link, "p"+strings.Replace(ts, ".", "", 1))
}

// validTS says whether ts looks like a Slack message ts (digits, one dot,
// digits).
func validTS(ts string) bool {
	sec, frac, ok := strings.Cut(ts, ".")
	return ok && sec != "" && frac != "" && strings.Trim(sec, "0123456789") == "" && strings.Trim(frac, "0123456789") == ""
}
