package meeting

import (
	"context"
	"time"
)

// defaultLeaveWait is how long Watcher.Disconnect waits for the remove
// events of a hang-up before it falls back to a roster read. The simulator
// and, by the docs, the service push them within a second.
const defaultLeaveWait = 3 * time.Second

// Disconnect is Client.Disconnect for a watched meeting: while the live
// roster is current, the hang-up is confirmed by the participants' remove
// events instead of a roster read, so a warm kick is one meeting call.
// When the watch is not live, or the events do not all arrive within a few
// seconds (or the socket drops meanwhile), it confirms with a realTimeInfo
// read exactly as Client.Disconnect does. After then holds the live
// roster's header only (see DisconnectResult).
func (w *Watcher) Disconnect(ctx context.Context, ids []string) (*DisconnectResult, error) {
	if !w.Live() {
		return w.c.Disconnect(ctx, w.conf, ids)
	}
	ids, err := dedupe("hangup", ids)
	if err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, badInput("hangup", "no participant IDs to disconnect")
	}
	// Subscribed before the call, so no remove event can slip past. Events
	// are only wake-ups here (awaitGone reads the roster each time, and an
	// event is sent after its frame is applied), so one slot is enough: a
	// wider one cost 13 KB per kick.
	sub := w.Subscribe(1)
	defer sub.Close()

	res := &DisconnectResult{ConferenceID: w.conf, Requested: ids}
	var callErr error
	for _, chunk := range chunks(ids, w.c.cfg.MaxPerHangUp) {
		if callErr = w.c.hangUpChunk(ctx, res, chunk); callErr != nil {
			break
		}
	}
	if callErr != nil && !res.MaybeApplied {
		return nil, callErr
	}
	if !w.awaitGone(ctx, sub, ids) {
		sctx := ctx
		if ctx.Err() != nil {
			var cancel context.CancelFunc
			sctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), settleTimeout)
			defer cancel()
		}
		cerr := w.c.confirm(sctx, res)
		if callErr == nil || (cerr == nil && len(res.StillPresent) == 0) {
			return res, cerr
		}
		return res, callErr
	}
	// Every pid is absent from a current live roster: all gone, whatever a
	// lost or failed reply would have said.
	res.Gone = append([]string(nil), ids...)
	res.After = w.header()
	return res, nil
}

// awaitGone waits until none of ids is in the live roster while it is
// current. It gives up (false) when the watch goes stale or ends, ctx ends,
// or defaultLeaveWait passes.
func (w *Watcher) awaitGone(ctx context.Context, sub *Subscription, ids []string) bool {
	timer := time.NewTimer(defaultLeaveWait)
	defer timer.Stop()
	for {
		gone := true
		for _, id := range ids {
			_, ok, live := w.Participant(id)
			if !live {
				return false
			}
			if ok {
				gone = false
				break
			}
		}
		if gone {
			return true
		}
		select {
		case _, open := <-sub.C:
			if !open {
				return false
			}
		case <-timer.C:
			return false
		case <-ctx.Done():
			return false
		}
	}
}
