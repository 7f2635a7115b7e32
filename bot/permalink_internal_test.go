package bot

import "testing"

func TestPermalinksLearnOnlySlacksUsualShape(t *testing.T) {
	const ch, ts = "C0123", "1700000000.123456"
	for _, c := range []struct {
		name, link string
		want       string // the link built for another ts afterwards, "" if none
	}{
		{"workspace", "https://team.slack.com/archives/C0123/p1700000000123456", "https://team.slack.com/archives/C0123/p1700000001000001"},
		{"enterprise", "https://org.enterprise.slack.com/archives/C0123/p1700000000123456", "https://org.enterprise.slack.com/archives/C0123/p1700000001000001"},
		{"a reply's link", "https://team.slack.com/archives/C0123/p1700000000123456?thread_ts=1.2&cid=C0123", ""},
		{"another channel", "https://team.slack.com/archives/C9999/p1700000000123456", ""},
		{"another ts", "https://team.slack.com/archives/C0123/p1700000000999999", ""},
		{"not https", "http://team.slack.com/archives/C0123/p1700000000123456", ""},
		{"other shape", "https://team.slack.com/messages/C0123/1700000000.123456", ""},
		{"empty", "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			var p permalinks
			if _, ok := p.of(ch, ts); ok {
				t.Fatal("a link before any was learnt")
			}
			p.learn(ch, ts, c.link)
			got, ok := p.of(ch, "1700000001.000001")
			if !ok {
				got = ""
			}
			if got != c.want {
				t.Errorf("after learning %q: got %q, want %q", c.link, got, c.want)
			}
			if _, ok := p.of("C0999", "1700000001.000001"); ok {
				t.Error("a link built for a channel Slack gave none for")
			}
		})
	}
}
