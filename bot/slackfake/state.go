package slackfake

import (
	"encoding/json"
	"sort"
	"time"
)

// state is everything the server knows; guarded by Server.mu.
type state struct {
	closed bool

	// changed is closed and replaced on every change waiters may care about (acks, messages,
	// sockets); waiters grab it under the lock and select on it outside.
	changed chan struct{}
	// work is closed and replaced whenever pending grows or a link should re-check it.
	work chan struct{}

	// Socket Mode.
	pending   []*envelope // FIFO of envelopes waiting for a socket
	envelopes map[string]*envelope
	envSeq    int
	tickets   map[string]bool // ticket → already used
	ticketSeq int
	links     map[int]*link
	linkSeq   int
	lastTaker int // link that took the latest envelope: the next goes to the next link
	opens     int // successful apps.connections.open
	sockets   int // sockets that got their hello
	acks      []Ack
	acked     map[string]int
	oversized int
	badFrames int
	pings     bool
	problems  []string

	// Web API.
	tsSeq        int64
	messages     []Message
	posted       map[msgKey]*Message // current version of every message in the workspace
	calls        map[string]int
	scripts      map[string]*script
	notInChannel map[string]bool
	usergroups   map[string][]string
	users        map[string]User
	channels     map[string]Channel
	respURLs     map[string]*responseURL
	foreign      map[msgKey]bool   // messages posted by someone else: chat.update refuses them
	updateErrs   map[msgKey]string // scripted chat.update error per message

	// Rate limits.
	buckets       map[string]*bucket
	retryUntil    map[string]time.Time // end of the latest Retry-After given per limit key
	callLog       []Call
	rateLimitBody bool
}

type msgKey struct{ channel, ts string }

type responseURL struct {
	envelopeID, channel, user string
	uses                      int
	created                   time.Time
}

func (st *state) init() {
	st.changed = make(chan struct{})
	st.work = make(chan struct{})
	st.envelopes = map[string]*envelope{}
	st.tickets = map[string]bool{}
	st.links = map[int]*link{}
	st.acked = map[string]int{}
	st.pings = true
	st.posted = map[msgKey]*Message{}
	st.calls = map[string]int{}
	st.scripts = map[string]*script{}
	st.notInChannel = map[string]bool{}
	st.usergroups = map[string][]string{}
	st.users = map[string]User{}
	st.channels = map[string]Channel{}
	st.respURLs = map[string]*responseURL{}
	st.foreign = map[msgKey]bool{}
	st.updateErrs = map[msgKey]string{}
	st.buckets = map[string]*bucket{}
	st.retryUntil = map[string]time.Time{}
}

func (st *state) notifyLocked() {
	close(st.changed)
	st.changed = make(chan struct{})
}

func (st *state) wakeLinksLocked() {
	close(st.work)
	st.work = make(chan struct{})
}

// turnLocked is the ID of the link that may take the next pending envelope: the first open,
// non-draining link after lastTaker, round robin. Slack hands each envelope to one socket with
// "no reliable pattern"; round robin is one such pattern, and spreads work across replicas.
func (st *state) turnLocked() int {
	first, next := 0, 0
	for id, l := range st.links {
		if l.draining {
			continue
		}
		if first == 0 || id < first {
			first = id
		}
		if id > st.lastTaker && (next == 0 || id < next) {
			next = id
		}
	}
	if next != 0 {
		return next
	}
	return first
}

func (st *state) linkList() []*link {
	out := make([]*link, 0, len(st.links))
	for _, l := range st.links {
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}

// Ack is one ack frame the app sent.
type Ack struct {
	EnvelopeID string
	Type       string          // envelope type it answers ("slash_commands", "interactive"); "" if unknown
	Payload    json.RawMessage // nil for a bare ack
	Sent       time.Time       // when the (latest delivery of the) envelope was written; zero if unknown
	Received   time.Time       // when the ack frame arrived
	FrameSize  int             // bytes of the ack frame on the wire
	Socket     int             // which socket (1-based, in connect order) it arrived on
}

// Latency is Received - Sent: how long the app took to ack (0 if the envelope is unknown).
func (a Ack) Latency() time.Duration {
	if a.Sent.IsZero() {
		return 0
	}
	return a.Received.Sub(a.Sent)
}

// Message is one message the app sent: chat.postMessage, chat.update, chat.postEphemeral or a
// response_url post (Method "response_url").
type Message struct {
	Method   string
	Channel  string
	TS       string // the message's ts (posted/updated); "" for response_url
	ThreadTS string
	Text     string
	User     string // chat.postEphemeral: the user who sees it; response_url: the invoking user
	// ResponseType, ReplaceOriginal, DeleteOriginal: response_url only.
	ResponseType    string
	ReplaceOriginal bool
	DeleteOriginal  bool
	ReplyBroadcast  bool
	EnvelopeID      string          // response_url: the envelope whose response_url was used
	Blocks          json.RawMessage // exactly as sent (nil when none)
	At              time.Time

	postedAt time.Time // when first posted (for the edit window); zero if unknown
}

// BlockCount is the number of top-level blocks.
func (m Message) BlockCount() int {
	var bs []json.RawMessage
	if json.Unmarshal(m.Blocks, &bs) != nil {
		return 0
	}
	return len(bs)
}

// BlocksJSON is Blocks as a string ("" when none).
func (m Message) BlocksJSON() string { return string(m.Blocks) }

// Texts is the fallback text followed by every "text" string found anywhere in the blocks,
// decoded (so "&lt;" is what the user's client would render as "<").
func (m Message) Texts() []string {
	out := []string{}
	if m.Text != "" {
		out = append(out, m.Text)
	}
	var v any
	if json.Unmarshal(m.Blocks, &v) == nil {
		collectTexts(v, &out)
	}
	return out
}

func collectTexts(v any, out *[]string) {
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			collectTexts(e, out)
		}
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys) // deterministic order
		for _, k := range keys {
			if s, ok := x[k].(string); ok && k == "text" {
				*out = append(*out, s)
				continue
			}
			collectTexts(x[k], out)
		}
	}
}

// User is what users.info returns for a user the fake knows.
type User struct {
	ID, Name, RealName string
	IsAdmin, IsOwner   bool
	IsBot, Deleted     bool
	IsRestricted       bool // multi-channel guest
	IsUltraRestricted  bool // single-channel guest
}

// Channel is what conversations.info returns for a channel the fake knows.
type Channel struct {
	ID, Name  string
	IsPrivate bool
	IsIM      bool
}
