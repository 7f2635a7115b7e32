package bot

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"time"

	"github.com/slack-go/slack"

	"github.com/kickbot/kickbot/bot/slackui"
	"github.com/kickbot/kickbot/meeting"
	"github.com/kickbot/kickbot/state"
)

// ListStore keeps posted lists as versioned records, so that a click that
// Slack hands to any replica finds the list another one posted (issue 15).
// redisstate.Lists and memstate.Lists satisfy it; errors match state's
// sentinels (ErrNotFound, ErrConflict, ErrUnavailable, ErrTooLarge).
type ListStore interface {
	// Put stores a new record as version 1.
	Put(ctx context.Context, id string, data []byte) error
	// Get returns a record and its version.
	Get(ctx context.Context, id string) (data []byte, version int64, err error)
	// Modify reads a record, applies fn and writes the result with a
	// version check, again from the start when another writer got in
	// between. fn may run several times and has no side effects.
	Modify(ctx context.Context, id string, fn func(data []byte) ([]byte, error)) ([]byte, error)
	// Delete forgets a record.
	Delete(ctx context.Context, id string) error
}

// ClickStore makes each button's action happen once however many clicks
// arrive on however many replicas (clickGuard, shared). redisstate.Clicks
// and memstate.Clicks satisfy it.
type ClickStore interface {
	// Claim returns ok true if user now owns key; otherwise the claim
	// found. A finished claim only stops clicks on rosters read before it
	// finished.
	Claim(ctx context.Context, key, user string, readAt, now time.Time) (state.ClickClaim, bool, error)
	// Finish marks user's claim done, or frees it when the attempt failed.
	Finish(ctx context.Context, key, user string, ok bool, now time.Time) error
}

// WithSharedLists keeps participant lists (posted and private) in lists
// and click claims in clicks, instead of in this process only: with
// several replicas on one app, a click on any of them acts on a list any
// of them posted, once. When the store cannot answer, a click is refused
// with the state-store wording and nothing is done.
func WithSharedLists(lists ListStore, clicks ClickStore) Option {
	return func(b *Bot) { b.shared = &sharedLists{lists: lists, clicks: clicks} }
}

// sharedLists is WithSharedLists' stores; nil on a Bot: in memory only.
type sharedLists struct {
	lists  ListStore
	clicks ClickStore
}

// listWire is a listRecord as the shared store holds it: only what
// rendering and the checks of a click need, under short keys (a
// 3,000-person list is a few hundred bytes of keys smaller per person;
// see TestListWireSize).
type listWire struct {
	ID        string            `json:"id"`
	Channel   string            `json:"ch"`
	TS        string            `json:"ts,omitempty"`
	Conf      string            `json:"cf"`
	Roster    *rosterWire       `json:"r,omitempty"`
	Page      int               `json:"pg,omitempty"`
	Query     string            `json:"q,omitempty"`
	Notes     map[string]string `json:"nt,omitempty"`
	Created   int64             `json:"cr"` // unix ns
	Live      string            `json:"lv,omitempty"`
	Ephemeral bool              `json:"e,omitempty"`
	Intro     *messageWire      `json:"in,omitempty"`
	Only      []string          `json:"on,omitempty"`
	Outro     *messageWire      `json:"ou,omitempty"`
}

type rosterWire struct {
	Conf   string     `json:"c"`
	Subj   string     `json:"s,omitempty"`
	ReadAt int64      `json:"t"` // unix ns: KICK_LIST_MAX_AGE and click claims count from it
	People []partWire `json:"p"`
}

// partWire is one participant: what a row shows and what decides whether
// it may be disconnected.
type partWire struct {
	ID    string `json:"i"`
	Name  string `json:"n,omitempty"`
	Phone string `json:"t,omitempty"`
	State int    `json:"s,omitempty"`
	Flags int    `json:"f,omitempty"`
}

// partWire.Flags bits.
const (
	flagHost = 1 << iota
	flagCoHost
	flagMuted
	flagVideo
	flagHand
	flagAnonymous
)

func flag(on bool, bit int) int {
	if on {
		return bit
	}
	return 0
}

type messageWire struct {
	Text   string          `json:"t,omitempty"`
	Blocks json.RawMessage `json:"b,omitempty"` // slack.Blocks
}

func encodeMessage(m slackui.Message) (*messageWire, error) {
	if m.Text == "" && len(m.Blocks) == 0 {
		return nil, nil
	}
	w := &messageWire{Text: m.Text}
	if len(m.Blocks) > 0 {
		b, err := json.Marshal(slack.Blocks{BlockSet: m.Blocks})
		if err != nil {
			return nil, err
		}
		w.Blocks = b
	}
	return w, nil
}

func decodeMessage(w *messageWire) (slackui.Message, error) {
	if w == nil {
		return slackui.Message{}, nil
	}
	m := slackui.Message{Text: w.Text}
	if len(w.Blocks) > 0 {
		var bs slack.Blocks
		if err := json.Unmarshal(w.Blocks, &bs); err != nil {
			return m, err
		}
		m.Blocks = bs.BlockSet
	}
	return m, nil
}

// encodeList is rec as the shared store holds it. Callers hold rec.mu or
// own rec exclusively.
func encodeList(rec *listRecord) ([]byte, error) {
	w := listWire{ID: rec.id, Channel: rec.channel, TS: rec.ts, Conf: rec.conference, Page: rec.page, Query: rec.query,
		Notes: rec.notes, Created: rec.created.UnixNano(), Live: rec.live, Ephemeral: rec.ephemeral}
	if r := rec.roster; r != nil {
		rw := &rosterWire{Conf: r.ConferenceID, Subj: r.Subject, ReadAt: r.ReadAt.UnixNano(), People: make([]partWire, len(r.Participants))}
		for i, p := range r.Participants {
			rw.People[i] = partWire{ID: p.ID, Name: p.Name, Phone: p.Phone, State: int(p.State), Flags: flag(p.Host, flagHost) |
				flag(p.CoHost, flagCoHost) | flag(p.Muted, flagMuted) | flag(p.Video, flagVideo) | flag(p.HandRaised, flagHand) |
				flag(p.Anonymous, flagAnonymous)}
		}
		w.Roster = rw
	}
	if rec.only != nil {
		w.Only = slices.Sorted(maps.Keys(rec.only))
	}
	var err error
	if w.Intro, err = encodeMessage(rec.intro); err != nil {
		return nil, fmt.Errorf("encode list intro: %w", err)
	}
	if w.Outro, err = encodeMessage(rec.outro); err != nil {
		return nil, fmt.Errorf("encode list outro: %w", err)
	}
	data, err := json.Marshal(w)
	if err != nil {
		return nil, err
	}
	return pack(data)
}

// pack gzips a record past gzipOver.
func pack(data []byte) ([]byte, error) {
	if len(data) <= gzipOver {
		return data, nil
	}
	var z bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&z, gzip.BestSpeed) // a valid level: no error
	_, _ = zw.Write(data)                            // a bytes.Buffer takes it all
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("encode list: %w", err)
	}
	return z.Bytes(), nil
}

// gzipOver is the size past which a record is stored gzipped: a big
// meeting's pids and names shrink to about a third, and a small list
// stays plain JSON (readable in redis-cli, nothing to unpack).
const gzipOver = 16 << 10

// maxListPlain bounds what a gzipped record may unpack to (a 3,000-person
// list is about 300 KB).
const maxListPlain = 8 << 20

// decodeList is a record read from the shared store. It counts as posted
// (a click waits in loadPosted for a channel list's ts) and has no outbox
// thread: loadList gives it one.
func decodeList(data []byte) (*listRecord, error) {
	data, err := unpack(data)
	if err != nil {
		return nil, err
	}
	var w listWire
	if err := json.Unmarshal(data, &w); err != nil {
		return nil, fmt.Errorf("decode list: %w", err)
	}
	posted := make(chan struct{})
	close(posted)
	rec := &listRecord{id: w.ID, channel: w.Channel, ts: w.TS, conference: w.Conf, page: w.Page, query: w.Query,
		notes: w.Notes, created: time.Unix(0, w.Created), live: w.Live, ephemeral: w.Ephemeral, posted: posted}
	if rec.notes == nil {
		rec.notes = map[string]string{}
	}
	if w.Roster != nil {
		r := &meeting.Roster{ConferenceID: w.Roster.Conf, Subject: w.Roster.Subj, ReadAt: time.Unix(0, w.Roster.ReadAt),
			Participants: make([]meeting.Participant, len(w.Roster.People))}
		for i, p := range w.Roster.People {
			r.Participants[i] = meeting.Participant{ID: p.ID, Name: p.Name, Phone: p.Phone, State: meeting.State(p.State),
				Host: p.Flags&flagHost != 0, CoHost: p.Flags&flagCoHost != 0, Muted: p.Flags&flagMuted != 0,
				Video: p.Flags&flagVideo != 0, HandRaised: p.Flags&flagHand != 0, Anonymous: p.Flags&flagAnonymous != 0}
		}
		rec.roster = r
	}
	if w.Only != nil {
		rec.only = make(map[string]bool, len(w.Only))
		for _, id := range w.Only {
			rec.only[id] = true
		}
	}
	if rec.intro, err = decodeMessage(w.Intro); err != nil {
		return nil, fmt.Errorf("decode list intro: %w", err)
	}
	if rec.outro, err = decodeMessage(w.Outro); err != nil {
		return nil, fmt.Errorf("decode list outro: %w", err)
	}
	return rec, nil
}

// shareList puts a new list in the shared store when it is made, a channel
// list before it is posted (sharePosted gives it its ts). Without a shared
// store it does nothing. A list that cannot be stored is logged: a click
// on it is then refused (store unavailable, or no longer active).
func (b *Bot) shareList(rec *listRecord) {
	if b.shared == nil {
		return
	}
	rec.mu.Lock()
	data, err := encodeList(rec)
	rec.mu.Unlock()
	if err == nil {
		// The store bounds its own calls; no context of the caller's
		// should cut a put short once the list is out.
		err = b.shared.lists.Put(context.Background(), rec.id, data)
	}
	if err != nil {
		b.log.Error().Err(err).Str("list", rec.id).Int("bytes", len(data)).Msg("list not shared: its buttons answer on no replica")
	}
}

// sharePosted gives a shared channel list the ts it was posted at, or
// forgets one that could not be posted.
func (b *Bot) sharePosted(id, ts string, postErr error) {
	if b.shared == nil {
		return
	}
	ctx := context.Background() // the store bounds its calls
	var err error
	if postErr != nil {
		err = b.shared.lists.Delete(ctx, id)
	} else {
		_, err = b.shared.lists.Modify(ctx, id, func(data []byte) ([]byte, error) {
			cur, err := decodeList(data)
			if err != nil {
				return nil, err
			}
			cur.ts = ts
			return encodeList(cur)
		})
	}
	if err != nil {
		b.log.Error().Err(err).Str("list", id).Msg("posted list not shared: its buttons answer on no replica")
	}
}

// loadPosted is loadList for a click: a channel list that another replica
// is still posting (Slack shows a message, and takes clicks on it, before
// chat.postMessage returns) is read again until it has its ts, for up to
// postWait.
func (b *Bot) loadPosted(ctx context.Context, id string, local *listRecord) (*listRecord, error) {
	var rec *listRecord
	err := untilPosted(ctx, func() (bool, error) {
		var err error
		rec, err = b.loadList(ctx, id, local)
		return err == nil && rec != nil && !rec.ephemeral && rec.ts == "", err
	})
	return rec, err
}

// unpack undoes pack.
func unpack(data []byte) ([]byte, error) {
	if len(data) < 2 || data[0] != 0x1f || data[1] != 0x8b { // gzip's magic; JSON starts with '{'
		return data, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("unpack record: %w", err)
	}
	if data, err = io.ReadAll(io.LimitReader(zr, maxListPlain)); err != nil {
		return nil, fmt.Errorf("unpack record: %w", err)
	}
	return data, nil
}

// loadList reads a list from the shared store, with an outbox thread for
// its message: local's when this replica posted it (so that waiting
// updates of the message collapse into the latest), else one made from its
// channel and ts. nil, nil: there is no such list (expired, evicted, never
// stored).
func (b *Bot) loadList(ctx context.Context, id string, local *listRecord) (*listRecord, error) {
	data, _, err := b.shared.lists.Get(ctx, id)
	if errors.Is(err, state.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	rec, err := decodeList(data)
	if err != nil {
		b.log.Error().Err(err).Str("list", id).Msg("unreadable shared list")
		return nil, nil
	}
	if rec.id != id {
		return nil, nil
	}
	if local != nil {
		local.mu.Lock()
		if local.ts == rec.ts && local.channel == rec.channel {
			rec.msg = local.msg
		}
		local.mu.Unlock()
	}
	if rec.msg == nil && rec.ts != "" {
		rec.msg = b.out.threadAt(rec.channel, rec.ts, "")
	}
	return rec, nil
}

// changeList applies fn to a list: in place without a shared store; with
// one, to the store's current record (re-read on a conflict, so a change
// another replica made at the same time is kept), and then rec takes the
// result. When the store cannot take the change, rec gets it all the same
// (the message shows what was done here) and the error is returned.
func (b *Bot) changeList(ctx context.Context, rec *listRecord, fn func(*listRecord)) error {
	if b.shared == nil {
		rec.mu.Lock()
		fn(rec)
		rec.mu.Unlock()
		return nil
	}
	data, err := b.shared.lists.Modify(ctx, rec.id, func(data []byte) ([]byte, error) {
		cur, err := decodeList(data)
		if err != nil {
			return nil, err
		}
		fn(cur)
		return encodeList(cur)
	})
	var cur *listRecord
	if err == nil {
		cur, err = decodeList(data)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if err != nil {
		fn(rec)
		b.log.Error().Err(err).Str("list", rec.id).Msg("list change not shared")
		return err
	}
	rec.roster, rec.page, rec.query, rec.notes, rec.live = cur.roster, cur.page, cur.query, cur.notes, cur.live
	return nil
}

// claimClick takes key for user: in the shared click store when there is
// one, else in this process.
func (b *Bot) claimClick(ctx context.Context, key, user string, readAt time.Time) (claim, bool, error) {
	if b.shared == nil {
		c, ok := b.clicks.claim(key, user, readAt, b.now())
		return c, ok, nil
	}
	c, ok, err := b.shared.clicks.Claim(ctx, key, user, readAt, b.now())
	return claim{user: c.User, done: c.Done, at: c.At}, ok, err
}

// finishClick marks user's claim on key done, or frees it. A shared store
// that cannot answer leaves the claim to expire; that is logged.
func (b *Bot) finishClick(key, user string, ok bool) {
	if b.shared == nil {
		b.clicks.finish(key, ok, b.now())
		return
	}
	// Not the click's context: a claim must be finished after a stop too.
	if err := b.shared.clicks.Finish(context.Background(), key, user, ok, b.now()); err != nil {
		b.log.Error().Err(err).Str("claim", key).Msg("click claim not finished")
	}
}
