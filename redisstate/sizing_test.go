package redisstate

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/kickbot/kickbot/internal/redistest"
	"github.com/kickbot/kickbot/meeting"
	"github.com/kickbot/kickbot/state"
)

// TestKeySizes measures what each kind of key costs in Redis (MEMORY USAGE),
// for the README's sizing; go test -v -run KeySizes prints the figures. It
// fails only if a key is missing or has no TTL: every key carries one.
func TestKeySizes(t *testing.T) {
	s, err := Open(redistest.URL(t), WithPrefix(redistest.Prefix(t)))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	usage := func(what, key string) int64 {
		t.Helper()
		n, err := s.rdb.MemoryUsage(ctx, key, 0).Result()
		if err != nil {
			t.Fatalf("%s: MEMORY USAGE %s: %v", what, key, err)
		}
		if ttl, _ := s.rdb.PTTL(ctx, key).Result(); ttl <= 0 {
			t.Errorf("%s: key %s has no TTL (%v)", what, key, ttl)
		}
		t.Logf("%-40s %7d bytes", what, n)
		return n
	}

	// A list record: the roster as JSON (meeting.Participant's own field
	// names: an upper bound for a compact encoding), with a note per
	// participant once all were acted on.
	for _, n := range []int{10, 50, 200} {
		type rec struct {
			Channel, TS, Conference, Query string
			Page                           int
			Roster                         []meeting.Participant
			Notes                          map[string]string
			Created                        time.Time
		}
		r := rec{Channel: "C0123456789", TS: "1733100000.000100", Conference: "914083136", Created: time.Now(), Notes: map[string]string{}}
		for i := range n {
			pid := fmt.Sprintf("ba9acb1e216d11eabc5165c2b91ad4%02x", i)
			r.Roster = append(r.Roster, meeting.Participant{ID: pid, Name: fmt.Sprintf("Participant Number %d", i),
				Phone: "+86138000000" + fmt.Sprint(i%100), State: meeting.StateInMeeting})
			r.Notes[pid] = "disconnected by <@U0123456789>"
		}
		data, _ := json.Marshal(r)
		id := fmt.Sprint("list", n)
		if err := s.Lists(24*time.Hour, 1000, 0).Put(ctx, id, data); err != nil {
			t.Fatal(err)
		}
		usage(fmt.Sprintf("list of %d (%d B of JSON)", n, len(data)), s.key("list", id))
	}
	usage("list index (3 lists)", s.key("lists"))

	// Per kick, per click, per command.
	_, _ = s.Deduper(10*time.Minute, nil).Seen(ctx, "Ev0A1B2C3D4E5F")
	usage("dedupe key (envelope ID)", s.key("dedupe", "Ev0A1B2C3D4E5F"))
	_, _, _ = s.Limiter("commands", 30).Allow(ctx, "U0123456789")
	usage("rate limit per user", s.key("rate", "commands", "U0123456789"))
	cl, _ := s.Claims(DefaultClaimTTL).Take(ctx, "914083136", "ba9acb1e216d11eabc5165c2b91ad427", "U0123456789")
	usage("disconnect claim (while it runs)", cl.Key)
	_ = s.Claims(DefaultClaimTTL).Release(ctx, cl, []byte(`{"result":"disconnected","by":"U0123456789","detail":""}`))
	usage("disconnect result (2 min)", cl.Key+":result:"+cl.Token)
	_, _, _ = s.Clicks(24*time.Hour).Claim(ctx, "list50/ba9acb1e216d11eabc5165c2b91ad427", "U0123456789", time.Now(), time.Now())
	usage("click claim per participant acted on", s.key("click", "list50/ba9acb1e216d11eabc5165c2b91ad427"))

	// Per watched meeting.
	_ = s.Tokens().Put(ctx, "914083136", state.Token{Value: "stb0123456789abcdef0123456789abcdef0123456789abcdef", Expires: time.Now().Add(30 * time.Minute)})
	usage("control token per meeting", s.key("ctoken", "914083136"))
	_, _, _ = s.Leases("watch").Acquire(ctx, "914083136", "kickbot-7d9f8c-abcde", time.Minute)
	usage("watcher lease per meeting", s.key("lease", "watch", "914083136"))
	_ = s.Timers("unlock", DefaultFireLease).Schedule(ctx, "914083136", time.Now().Add(15*time.Minute),
		[]byte(`{"by":"U0123456789","channel":"C0123456789","until":"2026-12-02T03:00:00Z"}`))
	usage("auto-unlock timer: due set (1 timer)", s.key("timers", "unlock"))
	usage("auto-unlock timer: data hash (1 timer)", s.key("timers", "unlock", "data"))

	// Slack's state, per channel and method.
	_ = s.Slack().Hold(ctx, "C0123456789", 30*time.Second)
	usage("Retry-After hold per channel", s.key("slack", "hold", "C0123456789"))
	_, _ = s.Slack().Take(ctx, "chat.update", 1200*time.Millisecond, 1)
	usage("budget per channel or method", s.key("slack", "budget", "chat.update"))
}
