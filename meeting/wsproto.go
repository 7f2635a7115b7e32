package meeting

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/kickbot/kickbot/secret"
)

// The wire format of the conference WebSocket (meeting-api.md §15a). Several
// points are UNCONFIRMED; each decoder accepts every plausible shape:
//   - a frame's data is an object or array, or the same as a JSON-encoded
//     string (the documented Subscribe request encodes its data that way);
//   - pinfoMap values are strings ("ROLE": "1") or numbers;
//   - ConfDynamicInfoNotify's data is an object or a one-element array;
//   - WaitingListNotify items are keyed by pid or participantID, with a
//     pinfoMap or flat name/phone fields;
//   - the wsToken reply is {"webSocketToken"} or {"data":{"webSocketToken"}}.

const (
	pathWSToken   = "/v1/mmc/control/conferences/wsToken"
	pathWebSocket = "/cms/open/websocket/confctl/increment/conn"

	actionSubscribe    = "Subscribe"
	actionHeartBeat    = "HeartBeat"
	notifyParticipants = "ParticipantsNotify"
	notifyConfDynamic  = "ConfDynamicInfoNotify"
	notifyWaitingList  = "WaitingListNotify"
	notifyAttendees    = "AttendeesNotify"

	// maxFrame bounds one frame: a full ParticipantsNotify of a
	// 3,000-person meeting is about 1 MB.
	maxFrame = 16 << 20
)

// subscribeTypes is what a watch subscribes to.
var subscribeTypes = []string{notifyParticipants, notifyConfDynamic, notifyWaitingList, notifyAttendees}

// rememberWSURL keeps data.wsURL of a control token reply for conf.
func (c *Client) rememberWSURL(conf, wsURL string) {
	if wsURL == "" {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.entryLocked(conf).wsURL = wsURL
}

// wsToken fetches a one-minute single-use WebSocket token with conf's
// control token, and returns it with that control token and the wsURL the
// control token reply gave (if any).
func (c *Client) wsToken(ctx context.Context, conf string) (tok string, ct control, wsURL string, err error) {
	resp, ct, err := c.controlCall(ctx, conf, apiCall{op: "wsToken", method: http.MethodGet, path: pathWSToken}, nil)
	if err != nil {
		return "", control{}, "", err
	}
	var r struct {
		Token flexString `json:"webSocketToken"`
		Data  *struct {
			Token flexString `json:"webSocketToken"`
		} `json:"data"`
	}
	if derr := decodeObject(resp.body, &r); derr != nil {
		return "", control{}, "", malformed("wsToken", resp, derr.Error())
	}
	tok = string(r.Token)
	if tok == "" && r.Data != nil {
		tok = string(r.Data.Token)
	}
	if tok == "" {
		return "", control{}, "", malformed("wsToken", resp, "no webSocketToken")
	}
	return tok, ct, c.snapshot(conf).wsURL, nil
}

// socketURL builds the connection URL from wsURL (what CreateConfToken gave:
// documented only as "the WebSocket connection URL"; scheme and host, or
// already the whole URL), or from override, or else from the API base URL.
// A secure API base never yields a plaintext socket: the token and the
// control token travel over it.
func socketURL(base, override, wsURL, conf, tok string) (string, error) {
	raw := override
	if raw == "" {
		raw = wsURL
	}
	if raw == "" {
		raw = base
	}
	if !strings.Contains(raw, "://") {
		raw = "wss://" + strings.TrimPrefix(raw, "//")
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "", errors.New("meeting: unusable WebSocket URL")
	}
	switch strings.ToLower(u.Scheme) {
	case "https", "wss":
		u.Scheme = "wss"
	case "http", "ws":
		u.Scheme = "ws"
		if strings.HasPrefix(base, "https://") {
			u.Scheme = "wss"
		}
	default:
		return "", errors.New("meeting: unusable WebSocket URL scheme")
	}
	if !strings.HasSuffix(strings.TrimRight(u.Path, "/"), pathWebSocket) {
		u.Path = strings.TrimRight(u.Path, "/") + pathWebSocket
	}
	q := u.Query()
	q.Set("confID", conf)
	q.Set("tmpToken", tok)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// subscribeMessage is the documented Subscribe request: data is a
// JSON-encoded string; conferenceID is marked mandatory though the sample
// lacks it, so it is sent.
func subscribeMessage(conf string, token secret.String) ([]byte, error) {
	data, err := json.Marshal(struct {
		SubscribeType []string `json:"subscribeType"`
		ConfToken     string   `json:"confToken"`
		ConferenceID  string   `json:"conferenceID"`
	}{subscribeTypes, "Basic " + base64.StdEncoding.EncodeToString([]byte(token.Reveal())), conf})
	if err != nil {
		return nil, err
	}
	return json.Marshal(struct {
		Sequence string `json:"sequence"`
		Action   string `json:"action"`
		Data     string `json:"data"`
	}{subscribeSequence(), actionSubscribe, string(data)})
}

// subscribeSequence is a 24-character sequence (the docs ask for 20–30).
func subscribeSequence() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return strconv.FormatInt(time.Now().UnixMilli(), 10)[:11] + base64.RawURLEncoding.EncodeToString(b[:])[:13]
}

func heartbeatMessage(now time.Time) []byte {
	return []byte(`{"action":"HeartBeat","sequence":"` + strconv.FormatInt(now.UnixMilli(), 10) + `"}`)
}

// --- incoming frames ----------------------------------------------------------

// frame is one message from the server.
type frame struct {
	Action     flexString `json:"action"`
	MsgMode    flexInt    `json:"msgMode"` // 0 full, 1 incremental
	CreateTime flexInt    `json:"createTime"`
	ConfID     flexString `json:"confID"`
	Data       frameBytes `json:"data"`
}

// frameBytes is json.RawMessage without the copy: it is a slice of the
// frame as read, valid only until the next frame is read (readLoop reuses
// its buffer). Everything decoded from it copies what it keeps.
type frameBytes []byte

func (r *frameBytes) UnmarshalJSON(b []byte) error {
	*r = b
	return nil
}

// payload returns f.Data, unwrapping a JSON-encoded string.
func (f *frame) payload() json.RawMessage {
	d := bytes.TrimSpace([]byte(f.Data))
	if len(d) > 0 && d[0] == '"' {
		var s string
		if json.Unmarshal(d, &s) == nil {
			return json.RawMessage(s)
		}
	}
	return d
}

func decodeFrame(b []byte) (frame, error) {
	var f frame
	if err := decodeObject(b, &f); err != nil {
		return frame{}, err
	}
	return f, nil
}

// optString and optInt remember whether a pinfoMap field was present: an
// incremental item carries only what changed.
type optString struct {
	v   string
	set bool
}

func (o *optString) UnmarshalJSON(b []byte) error {
	if isNull(b) {
		*o = optString{}
		return nil
	}
	var f flexString
	_ = f.UnmarshalJSON(b)
	*o = optString{v: string(f), set: true}
	return nil
}

type optInt struct {
	v   int64
	set bool
}

func (o *optInt) UnmarshalJSON(b []byte) error {
	if isNull(b) {
		*o = optInt{}
		return nil
	}
	var f flexInt
	_ = f.UnmarshalJSON(b)
	*o = optInt{v: int64(f), set: true}
	return nil
}

// pinfo is a pinfoMap (meeting_21_1514). encoding/json matches keys without
// regard to case, so "NAME" and "name" both land here.
type pinfo struct {
	Name      optString `json:"NAME"`
	Tel       optString `json:"TEL"`
	State     optInt    `json:"STATE"`
	Mute      optInt    `json:"MUTE"`
	Video     optInt    `json:"VIDEO"`
	Hand      optInt    `json:"HAND"`
	Role      optInt    `json:"ROLE"`
	AddTime   optInt    `json:"ADDTIME"`
	Device    optString `json:"CLICENT_LOGIN_TYPE"` // sic, as upstream
	Device2   optString `json:"CLIENT_LOGIN_TYPE"`  // in case the spelling is ever fixed
	Anonymous optInt    `json:"ANONYMOUS"`
}

// listItem is one entry of ParticipantsNotify or WaitingListNotify.
type listItem struct {
	PID           flexString `json:"pid"`
	ParticipantID flexString `json:"participantID"`
	Mode          flexInt    `json:"mode"` // 0 refresh, 1 remove
	Pinfo         *pinfo     `json:"pinfoMap"`
	// Flat fields, in case a waiting-list item is not pinfoMap-shaped.
	Name  optString `json:"name"`
	Phone optString `json:"phone"`
}

func (it *listItem) id() string {
	if it.PID != "" {
		return string(it.PID)
	}
	return string(it.ParticipantID)
}

// decodeList reads a list payload; items without an id are skipped (they
// cannot be applied to anything).
func decodeList(raw json.RawMessage) ([]listItem, error) {
	if isNull(raw) {
		return nil, nil
	}
	if firstByte(raw) == '{' { // a single item
		raw = append(append(json.RawMessage{'['}, raw...), ']')
	}
	if firstByte(raw) != '[' {
		return nil, errors.New("list data is not an array")
	}
	var items flexList[listItem]
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, err
	}
	out := items[:0]
	for _, it := range items {
		if it.id() != "" {
			out = append(out, it)
		}
	}
	return out, nil
}

// dynamic is ConfDynamicInfoNotify's data (intl/meeting_21_1513).
type dynamic struct {
	Lock              optInt    `json:"lock"`
	CallInRestriction optInt    `json:"callInRestriction"`
	WaitingRoomState  optInt    `json:"waitingRoomState"`
	State             optString `json:"state"`
}

func decodeDynamic(raw json.RawMessage) (dynamic, error) {
	var d dynamic
	if firstByte(raw) == '[' {
		var ds []dynamic
		if err := json.Unmarshal(raw, &ds); err != nil || len(ds) == 0 {
			return dynamic{}, errors.New("empty ConfDynamicInfoNotify")
		}
		return ds[len(ds)-1], nil
	}
	if err := decodeObject(raw, &d); err != nil {
		return dynamic{}, err
	}
	return d, nil
}

// Attendee is one person on the invite list, as AttendeesNotify reports it
// (intl/meeting_21_1515). Anonymous and dial-in participants have no UUID.
type Attendee struct {
	UserUUID      string
	ParticipantID string // a number, not a pid
	Name          string
	Phone         string
	AccountID     string
}

type attendeeItem struct {
	UserUUID      flexString `json:"userUUID"`
	ParticipantID flexString `json:"participantID"`
	Mode          flexInt    `json:"mode"` // 0 add/refresh, 1 remove (UNCONFIRMED)
	Phone         flexString `json:"phone"`
	Name          flexString `json:"name"`
	AccountID     flexString `json:"accountId"`
}

func (a attendeeItem) key() string {
	switch {
	case a.UserUUID != "":
		return "u:" + string(a.UserUUID)
	case a.ParticipantID != "":
		return "p:" + string(a.ParticipantID)
	default:
		return "n:" + string(a.Phone) + "\x00" + string(a.Name)
	}
}

func decodeAttendees(raw json.RawMessage) ([]attendeeItem, error) {
	if isNull(raw) {
		return nil, nil
	}
	if firstByte(raw) != '[' {
		return nil, errors.New("attendee data is not an array")
	}
	var items flexList[attendeeItem]
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, err
	}
	return items, nil
}

// subscribeReply reads {"action":"Subscribe","data":{"returnCode":0}}.
func subscribeReturnCode(raw json.RawMessage) int64 {
	var r struct {
		ReturnCode *flexInt `json:"returnCode"`
	}
	if decodeObject(raw, &r) != nil || r.ReturnCode == nil {
		return -1 // a reply we cannot read is not a success
	}
	return int64(*r.ReturnCode)
}
