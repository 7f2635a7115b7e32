package metrics

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestWatchCollectorReadsOncePerScrape(t *testing.T) {
	var mu sync.Mutex
	reads := 0
	st := WatchStats{Watched: 3, Live: 2, Reconnects: 5, MaxLag: 1500 * time.Millisecond}
	reg := prometheus.NewRegistry()
	reg.MustRegister(NewWatchCollector(func() WatchStats {
		mu.Lock()
		defer mu.Unlock()
		reads++
		return st
	}))
	want := `
# HELP kickbot_watch_frame_lag_seconds The largest frame lag over the watched meetings: now minus the last frame's createTime.
# TYPE kickbot_watch_frame_lag_seconds gauge
kickbot_watch_frame_lag_seconds 1.5
# HELP kickbot_watch_live Watched meetings whose event socket is up and roster current.
# TYPE kickbot_watch_live gauge
kickbot_watch_live 2
# HELP kickbot_watch_reconnects_total Conference WebSocket losses and refused reconnects, over all watches since start.
# TYPE kickbot_watch_reconnects_total counter
kickbot_watch_reconnects_total 5
# HELP kickbot_watched_meetings Meetings watched over the conference WebSocket.
# TYPE kickbot_watched_meetings gauge
kickbot_watched_meetings 3
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if reads != 1 {
		t.Errorf("one scrape read the watch state %d times, want 1", reads)
	}
}
