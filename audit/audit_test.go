package audit

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// documented is every field an audit line carries.
var documented = []string{"event", "action", "user", "channel", "conference", "targets", "reason", "outcome", "request_ids", "duration_ms", "error_kind", "level", "message"}

func kickEntry(user string) Entry {
	return Entry{
		Action: "kick", User: user, Channel: "C0123", Conference: "914083136",
		Targets: []string{"ba9acb1e216d11eabc5165c2b91ad427", "+8613800000000"}, Reason: "spamming",
		Outcome: "done", RequestIDs: []string{"req-1"}, Duration: 1500 * time.Millisecond,
	}
}

func readLines(t *testing.T, path string) []map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("audit line %q is not JSON: %v", sc.Text(), err)
		}
		out = append(out, m)
	}
	return out
}

func TestFileSurvivesRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")

	for run, user := range []string{"U1", "U2"} {
		l, err := New(zerolog.Nop(), path)
		if err != nil {
			t.Fatalf("run %d: New() error = %v", run, err)
		}
		l.Record(kickEntry(user))
		if err := l.Close(); err != nil {
			t.Fatalf("run %d: Close() error = %v", run, err)
		}
	}

	lines := readLines(t, path)
	if len(lines) != 2 {
		t.Fatalf("audit file has %d lines after two runs, want 2", len(lines))
	}
	for i, user := range []string{"U1", "U2"} {
		got := lines[i]
		for _, f := range documented {
			if _, ok := got[f]; !ok {
				t.Errorf("line %d = %v, missing field %q", i, got, f)
			}
		}
		if _, ok := got["time"]; !ok {
			t.Errorf("line %d = %v, missing time", i, got)
		}
		want := map[string]any{
			"event": "audit", "action": "kick", "user": user, "channel": "C0123", "conference": "914083136",
			"targets": []any{"ba9acb1e216d11eabc5165c2b91ad427", "+8613800000000"}, "reason": "spamming",
			"outcome": "done", "request_ids": []any{"req-1"}, "duration_ms": float64(1500), "error_kind": "", "level": "info", "message": "decision",
		}
		for k, w := range want {
			if !reflect.DeepEqual(got[k], w) {
				t.Errorf("line %d %s = %#v, want %#v", i, k, got[k], w)
			}
		}
	}

	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("audit file mode = %o, want 600", perm)
	}
}

func TestMainLogAlwaysGetsTheEvent(t *testing.T) {
	var buf bytes.Buffer
	// LOG_LEVEL=error must not silence the audit trail.
	l, err := New(zerolog.New(&buf).Level(zerolog.ErrorLevel), "")
	if err != nil {
		t.Fatal(err)
	}
	l.Record(Entry{Action: "denied", User: "U9", Channel: "C1", Conference: "1", Outcome: "denied", Reason: "channel"})
	var got map[string]any
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("main log %q is not one JSON line: %v", buf.String(), err)
	}
	if got["event"] != "audit" || got["action"] != "denied" || got["user"] != "U9" || got["level"] != "info" {
		t.Errorf("main log event = %v, want event=audit action=denied user=U9 level=info", got)
	}
	if got["targets"] == nil || got["request_ids"] == nil {
		t.Errorf("main log event = %v, want empty lists as [] not null", got)
	}
	if err := l.Close(); err != nil {
		t.Errorf("Close() without a file = %v, want nil", err)
	}
}

func TestConcurrentRecordsKeepWholeLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	l, err := New(zerolog.Nop(), path)
	if err != nil {
		t.Fatal(err)
	}
	const writers, each = 8, 50
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				e := kickEntry(fmt.Sprintf("U%d", w))
				e.Reason = strings.Repeat("x", 200) + fmt.Sprint(i)
				l.Record(e)
			}
		})
	}
	wg.Wait()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Errorf("second Close() = %v, want nil", err)
	}
	l.Record(kickEntry("after-close")) // main log only; must not panic or write
	if got := len(readLines(t, path)); got != writers*each {
		t.Errorf("audit file has %d lines, want %d", got, writers*each)
	}
}

func TestNewFailsOnUnwritablePath(t *testing.T) {
	_, err := New(zerolog.Nop(), filepath.Join(t.TempDir(), "missing-dir", "audit.jsonl"))
	if err == nil || !strings.Contains(err.Error(), "open audit file") {
		t.Errorf("New() on a missing directory = %v, want an open audit file error", err)
	}
}
