package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/kickbot/kickbot/commands"
	"github.com/kickbot/kickbot/meeting"
	"github.com/kickbot/kickbot/state"
)

// Keep-out records (hold outcomes, uninvited lists, join alerts) in the
// shared list store, beside the lists, under keepKey.

// keepKey is a keep-out record's id in the list store.
func keepKey(id string) string { return "k-" + id }

// keepWire is a keepRecord as the shared store holds it. The outcome is
// kept without its error: rendering a hold needs only who was moved.
type keepWire struct {
	ID       string                  `json:"id"`
	Hold     bool                    `json:"h,omitempty"`
	Channel  string                  `json:"ch"`
	Conf     string                  `json:"cf"`
	Created  int64                   `json:"cr"` // unix ns
	TS       string                  `json:"ts,omitempty"`
	Outcome  *commands.Outcome       `json:"o,omitempty"`
	People   []meeting.Participant   `json:"p,omitempty"`
	Notes    map[int]string          `json:"nt,omitempty"`
	AllNote  string                  `json:"an,omitempty"`
	InThread bool                    `json:"it,omitempty"`
	Alert    bool                    `json:"al,omitempty"`
	View     *commands.UninvitedView `json:"v,omitempty"`
	Left     int                     `json:"l,omitempty"`
	SweptBy  string                  `json:"sb,omitempty"`
}

// encodeKeep is rec with the ts of its message. Callers hold rec.mu or
// own rec exclusively.
func encodeKeep(rec *keepRecord, ts string) ([]byte, error) {
	w := keepWire{ID: rec.id, Hold: rec.hold, Channel: rec.channel, Conf: rec.conference, Created: rec.created.UnixNano(), TS: ts,
		People: rec.people, Notes: rec.notes, AllNote: rec.allNote, InThread: rec.inThread, Alert: rec.alert, Left: rec.left, SweptBy: rec.sweptBy}
	if rec.hold {
		o := rec.outcome
		o.Err = nil
		w.Outcome = &o
	} else if !rec.alert {
		w.View = &rec.view
	}
	data, err := json.Marshal(w)
	if err != nil {
		return nil, fmt.Errorf("encode keep-out record: %w", err)
	}
	return pack(data)
}

// decodeKeep is a record read from the store, and its message's ts.
func decodeKeep(data []byte) (*keepRecord, string, error) {
	data, err := unpack(data)
	if err != nil {
		return nil, "", err
	}
	var w keepWire
	if err := json.Unmarshal(data, &w); err != nil {
		return nil, "", fmt.Errorf("decode keep-out record: %w", err)
	}
	rec := &keepRecord{id: w.ID, hold: w.Hold, channel: w.Channel, conference: w.Conf, created: time.Unix(0, w.Created),
		people: w.People, notes: w.Notes, allNote: w.AllNote, inThread: w.InThread, alert: w.Alert, left: w.Left, sweptBy: w.SweptBy}
	if rec.notes == nil {
		rec.notes = map[int]string{}
	}
	if w.Outcome != nil {
		rec.outcome = *w.Outcome
	}
	if w.View != nil {
		rec.view = *w.View
	}
	return rec, w.TS, nil
}

// shareKeep puts a new keep-out record in the shared store, with the ts of
// its message ("" while it is being posted: sharePostedKeep sets it).
func (b *Bot) shareKeep(rec *keepRecord, ts string) {
	if b.shared == nil {
		return
	}
	rec.mu.Lock()
	data, err := encodeKeep(rec, ts)
	rec.mu.Unlock()
	if err == nil {
		err = b.shared.lists.Put(context.Background(), keepKey(rec.id), data)
	}
	if err != nil {
		b.log.Error().Err(err).Str("record", rec.id).Msg("keep-out record not shared: its buttons answer on this replica only")
	}
}

// sharePostedKeep gives a shared record its message's ts, or forgets one
// whose message could not be posted.
func (b *Bot) sharePostedKeep(id, ts string, postErr error) {
	if b.shared == nil {
		return
	}
	var err error
	if postErr != nil {
		err = b.shared.lists.Delete(context.Background(), keepKey(id))
	} else {
		_, err = b.shared.lists.Modify(context.Background(), keepKey(id), func(data []byte) ([]byte, error) {
			cur, _, err := decodeKeep(data)
			if err != nil {
				return nil, err
			}
			return encodeKeep(cur, ts)
		})
	}
	if err != nil {
		b.log.Error().Err(err).Str("record", id).Msg("posted keep-out record not shared")
	}
}

// loadKeep reads a keep-out record from the shared store, waiting (up to
// postWait) while its message is still being posted. It gets local's
// outbox thread when this replica made it, else one at its ts. nil: not in
// the store.
func (b *Bot) loadKeep(ctx context.Context, id string, local *keepRecord) (*keepRecord, string, error) {
	var rec *keepRecord
	var ts string
	err := untilPosted(ctx, func() (bool, error) {
		data, _, err := b.shared.lists.Get(ctx, keepKey(id))
		if errors.Is(err, state.ErrNotFound) {
			rec = nil
			return false, nil
		}
		if err != nil {
			return false, err
		}
		if rec, ts, err = decodeKeep(data); err != nil {
			b.log.Error().Err(err).Str("record", id).Msg("unreadable shared keep-out record")
			rec = nil
			return false, nil
		}
		return ts == "", nil
	})
	if err != nil || rec == nil || rec.id != id || ts == "" {
		return nil, "", err
	}
	if local != nil {
		local.mu.Lock()
		rec.th = local.th
		local.mu.Unlock()
	}
	if rec.th == nil {
		rec.th = b.out.threadAt(rec.channel, ts, "")
	}
	return rec, ts, nil
}

// changeKeep applies fn to a keep-out record: in place without a shared
// store (or for a record the store does not hold); with one, to the
// store's current record, re-read on a conflict, and rec takes the
// result. When the store cannot take it, rec gets the change all the same
// and the error is logged and returned.
func (b *Bot) changeKeep(ctx context.Context, rec *keepRecord, fn func(*keepRecord)) error {
	if b.shared == nil {
		rec.mu.Lock()
		fn(rec)
		rec.mu.Unlock()
		return nil
	}
	data, err := b.shared.lists.Modify(ctx, keepKey(rec.id), func(data []byte) ([]byte, error) {
		cur, ts, err := decodeKeep(data)
		if err != nil {
			return nil, err
		}
		fn(cur)
		return encodeKeep(cur, ts)
	})
	var cur *keepRecord
	if err == nil {
		cur, _, err = decodeKeep(data)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if err != nil {
		fn(rec)
		if !errors.Is(err, state.ErrNotFound) { // not in the store (not shared when made): this replica's alone
			b.log.Error().Err(err).Str("record", rec.id).Msg("keep-out record change not shared")
			return err
		}
		return nil
	}
	rec.notes, rec.allNote, rec.sweptBy = cur.notes, cur.allNote, cur.sweptBy
	return nil
}

// untilPosted calls load until it reports nothing pending, an error, or
// postWait has passed, backing off between calls.
func untilPosted(ctx context.Context, load func() (pending bool, err error)) error {
	deadline := time.Now().Add(postWait)
	for wait := 10 * time.Millisecond; ; wait = min(2*wait, 500*time.Millisecond) {
		pending, err := load()
		if err != nil || !pending || time.Now().After(deadline) {
			return err
		}
		tm := time.NewTimer(wait)
		select {
		case <-tm.C:
		case <-ctx.Done():
			tm.Stop()
			return ctx.Err()
		}
	}
}
