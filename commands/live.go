package commands

import (
	"context"
	"time"

	"github.com/kickbot/kickbot/meeting"
)

// AwaitLive waits until w is live, at most d, reading sub's events until
// then; it reports whether w is live. Subscribe before the call, so that
// the event that makes it live cannot slip between the check and the wait.
// Watching (Slack's `watch`, the console's) says whether updates are live
// once this returns.
func AwaitLive(ctx context.Context, w *meeting.Watcher, sub *meeting.Subscription, d time.Duration) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	for !w.Live() {
		select {
		case _, ok := <-sub.C:
			if !ok {
				return false
			}
		case <-timer.C:
			return false
		case <-ctx.Done():
			return false
		}
	}
	return true
}
