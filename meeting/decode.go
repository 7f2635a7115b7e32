package meeting

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The decoders below are deliberately tolerant: Huawei's replies gain fields,
// omit optional ones, and (per SDK models) sometimes carry numbers as strings.
// A field of an unexpected type reads as its zero value instead of failing the
// whole reply; only what we cannot work without is an error.

// flexInt reads a JSON number, a numeric string, a bool (true = 1) or null.
// Anything else reads as 0.
type flexInt int64

func (f *flexInt) UnmarshalJSON(b []byte) error {
	*f = 0
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return nil
	}
	if n, ok := smallInt(b); ok {
		*f = flexInt(n)
		return nil
	}
	switch b[0] {
	case 't':
		*f = 1
		return nil
	case '"':
		// A roster frame carries thousands of numbers as strings ("0",
		// "1764061200000"): read the plain ones without allocating.
		if len(b) >= 2 && b[len(b)-1] == '"' {
			if n, ok := smallInt(bytes.TrimSpace(b[1 : len(b)-1])); ok {
				*f = flexInt(n)
				return nil
			}
		}
		var s string
		if json.Unmarshal(b, &s) != nil {
			return nil
		}
		b = []byte(strings.TrimSpace(s))
	}
	if n, err := strconv.ParseInt(string(b), 10, 64); err == nil {
		*f = flexInt(n)
		return nil
	}
	if x, err := strconv.ParseFloat(string(b), 64); err == nil && !math.IsNaN(x) &&
		x >= math.MinInt64 && x < math.MaxInt64 {
		*f = flexInt(x)
	}
	return nil
}

// smallInt reads an optional sign and 1 to 18 decimal digits, the common
// case of strconv.ParseInt (same result) without its allocations.
func smallInt(b []byte) (int64, bool) {
	neg := false
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		neg, b = b[0] == '-', b[1:]
	}
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

// flexString reads a JSON string, or a number as its literal text. Anything
// else reads as "".
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	*f = ""
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return nil
	}
	switch {
	case b[0] == '"':
		// Fast path (a roster has thousands of these): a string without
		// escapes is the bytes between its quotes.
		if len(b) >= 2 && b[len(b)-1] == '"' && plainJSONString(b[1:len(b)-1]) {
			*f = flexString(b[1 : len(b)-1])
			return nil
		}
		var s string
		if json.Unmarshal(b, &s) == nil {
			*f = flexString(s)
		}
	case b[0] == '-' || (b[0] >= '0' && b[0] <= '9'):
		*f = flexString(b)
	}
	return nil
}

// plainJSONString reports whether s, the inside of a JSON string, decodes to
// itself: valid UTF-8 with no escape and no control character.
func plainJSONString(s []byte) bool {
	for _, c := range s {
		if c < 0x20 || c == '\\' {
			return false
		}
	}
	return utf8.Valid(s)
}

// flexList reads an array of T; a non-array (null, object, string) reads as
// empty, and elements that are not objects are skipped by T's own tolerance.
type flexList[T any] []T

func (f *flexList[T]) UnmarshalJSON(b []byte) error {
	*f = nil
	// Fast path: decode the array in one pass, which gives the same result
	// whenever no element fails; a realTimeInfo of 1,000 participants took
	// 4 passes and 30,000 allocations the slow way.
	var all []T
	if json.Unmarshal(b, &all) == nil {
		*f = all
		return nil
	}
	var raw []json.RawMessage
	if json.Unmarshal(b, &raw) != nil {
		return nil
	}
	for _, r := range raw {
		var v T
		if json.Unmarshal(r, &v) == nil {
			*f = append(*f, v)
		}
	}
	return nil
}

// errNotObject is returned when a reply is not a JSON object at all.
var errNotObject = errors.New("not a JSON object")

// decodeObject unmarshals a reply that must be a JSON object into v.
func decodeObject(body []byte, v any) error {
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '{' {
		return errNotObject
	}
	return json.Unmarshal(body, v)
}

// --- error body ------------------------------------------------------------

type errorBody struct {
	ErrorCode  flexString `json:"error_code"`
	ErrorMsg   flexString `json:"error_msg"`
	ErrorCode2 flexString `json:"errorCode"` // seen in some gateway replies
	ErrorMsg2  flexString `json:"errorMsg"`
}

// decodeError extracts error_code and error_msg from a non-2xx body. A body
// that is not JSON (a gateway's HTML page) yields empty strings.
func decodeError(body []byte) (code, msg string) {
	var e errorBody
	if decodeObject(body, &e) != nil {
		return "", ""
	}
	code, msg = string(e.ErrorCode), string(e.ErrorMsg)
	if code == "" {
		code = string(e.ErrorCode2)
	}
	if msg == "" {
		msg = string(e.ErrorMsg2)
	}
	return cleanText(code, 64), cleanText(msg, 200)
}

// cleanText bounds server-supplied text before it goes into an error string
// or a log line: control characters are dropped and the length capped.
func cleanText(s string, max int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, s)
	if len(s) > max {
		s = s[:max]
		// Do not end in the middle of a UTF-8 sequence.
		for len(s) > 0 && !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
	}
	return s
}

// --- access token (appauth, account) -----------------------------------------

type authReply struct {
	AccessToken flexString `json:"accessToken"`
	ValidPeriod flexInt    `json:"validPeriod"` // seconds
	ExpireTime  flexInt    `json:"expireTime"`  // Unix seconds
}

// decodeAuth reads an appauth/account reply. The token is required.
func decodeAuth(body []byte) (authReply, error) {
	var r authReply
	if err := decodeObject(body, &r); err != nil {
		return authReply{}, err
	}
	if r.AccessToken == "" {
		return authReply{}, errors.New("no accessToken")
	}
	return r, nil
}

// --- confDetail ----------------------------------------------------------------

type passwordEntry struct {
	ConferenceRole flexString `json:"conferenceRole"`
	Password       flexString `json:"password"`
}

type confDetailReply struct {
	ConferenceData *struct {
		ConferenceID    flexString              `json:"conferenceID"`
		Subject         flexString              `json:"subject"`
		ConferenceState flexString              `json:"conferenceState"`
		PasswordEntry   flexList[passwordEntry] `json:"passwordEntry"`
	} `json:"conferenceData"`
}

// confDetail is what we need from confDetail.
type confDetail struct {
	Subject       string
	State         string // "Schedule", "Created", "Destroyed", …
	ChairPassword string // "" when the token's user may not see it
}

// decodeConfDetail reads a confDetail reply; conferenceData is required.
func decodeConfDetail(body []byte) (confDetail, error) {
	var r confDetailReply
	if err := decodeObject(body, &r); err != nil {
		return confDetail{}, err
	}
	if r.ConferenceData == nil {
		return confDetail{}, errors.New("no conferenceData")
	}
	d := confDetail{
		Subject: string(r.ConferenceData.Subject),
		State:   string(r.ConferenceData.ConferenceState),
	}
	for _, p := range r.ConferenceData.PasswordEntry {
		if strings.EqualFold(string(p.ConferenceRole), "chair") && p.Password != "" {
			d.ChairPassword = string(p.Password)
			break
		}
	}
	return d, nil
}

// --- control token ---------------------------------------------------------------

type controlTokenReply struct {
	Data *struct {
		Token               flexString `json:"token"`
		ExpireTime          flexInt    `json:"expireTime"`          // Unix ms
		ConfTokenExpireTime flexInt    `json:"confTokenExpireTime"` // lifetime, s
		WsURL               flexString `json:"wsURL"`               // conference WebSocket; see watch
	} `json:"data"`
}

type controlToken struct {
	Token     string
	ExpireMS  int64  // absolute expiry, Unix ms; 0 = not given
	LifetimeS int64  // lifetime in seconds; 0 = not given
	WsURL     string // "" when not given
}

// decodeControlToken reads a CreateConfToken reply; data.token is required.
func decodeControlToken(body []byte) (controlToken, error) {
	var r controlTokenReply
	if err := decodeObject(body, &r); err != nil {
		return controlToken{}, err
	}
	if r.Data == nil || r.Data.Token == "" {
		return controlToken{}, errors.New("no data.token")
	}
	return controlToken{
		Token:     string(r.Data.Token),
		ExpireMS:  int64(r.Data.ExpireTime),
		LifetimeS: int64(r.Data.ConfTokenExpireTime),
		WsURL:     string(r.Data.WsURL),
	}, nil
}

// --- realTimeInfo ----------------------------------------------------------------

// The roster decides who may be disconnected and, read again afterwards,
// who is gone, so its decoder is the strict exception (docs/meeting-api.md §14e,
// issue 11): what cannot be read safely is an error, never an empty list.

// pidString is a participant's pid: set only by a non-empty JSON string.
type pidString struct {
	v  string
	ok bool
}

func (p *pidString) UnmarshalJSON(b []byte) error {
	*p = pidString{}
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '"' {
		return nil // null, a number, an object: not a pid
	}
	if len(b) >= 2 && b[len(b)-1] == '"' && plainJSONString(b[1:len(b)-1]) {
		// Fast path, as in flexString (without the slow path's variable,
		// which escapes to the heap).
		if len(b) > 2 {
			*p = pidString{v: string(b[1 : len(b)-1]), ok: true}
		}
		return nil
	}
	var s string
	if json.Unmarshal(b, &s) != nil {
		return nil
	}
	if s != "" {
		*p = pidString{v: s, ok: true}
	}
	return nil
}

type realTimeParticipant struct {
	PID   pidString  `json:"pid"`
	Name  flexString `json:"name"`
	Phone flexString `json:"phone"`
	State flexInt    `json:"state"`
	Video flexInt    `json:"video"`
	Mute  flexInt    `json:"mute"`
	Hand  flexInt    `json:"hand"`
	// Not among the documented fields (§8a); read when present.
	UserUUID   flexString `json:"userUUID"`
	AccountID  flexString `json:"accountID"`
	AccountID2 flexString `json:"accountId"`
}

type confInfoReply struct {
	ChairID json.RawMessage `json:"chairID"`
	CoHosts json.RawMessage `json:"coHosts"`
}

// Errors of decodeRealTimeInfo: each means the roster cannot be trusted.
var (
	errNoConfInfo           = errors.New("no confInfo: the host cannot be told")
	errChairIDType          = errors.New("confInfo.chairID is not a string")
	errCoHostsType          = errors.New("confInfo.coHosts is not an array of strings")
	errParticipantsType     = errors.New("participants is not an array of objects")
	errParticipantWithoutID = errors.New("a participant has no string pid")
)

// realTime is everything kickbot uses from one realTimeInfo reply, read in
// one pass over its bytes.
type realTime struct {
	participants   []Participant
	chair          string
	coHosts        []string
	attendees      []Attendee // the invite list (keepout)
	attendeesKnown bool
}

// decodeRealTimeInfo reads a realTimeInfo reply into participants (without
// ConferenceID/Subject/ReadAt, which the caller fills in).
func decodeRealTimeInfo(body []byte) ([]Participant, error) {
	rt, err := decodeRealTime(body)
	return rt.participants, err
}

// participantFields are realTimeParticipant's JSON names, in declaration
// order (which decides a case-insensitive match, as in encoding/json).
var participantFields = []string{"pid", "name", "phone", "state", "video", "mute", "hand", "userUUID", "accountID", "accountId"}

// field returns the field of p that the participantFields index i names.
func (p *realTimeParticipant) field(i int) json.Unmarshaler {
	switch i {
	case 0:
		return &p.PID
	case 1:
		return &p.Name
	case 2:
		return &p.Phone
	case 3:
		return &p.State
	case 4:
		return &p.Video
	case 5:
		return &p.Mute
	case 6:
		return &p.Hand
	case 7:
		return &p.UserUUID
	case 8:
		return &p.AccountID
	default:
		return &p.AccountID2
	}
}

var realTimeFields = []string{"participants", "confInfo", "attendees"}

// decodeRealTime reads a realTimeInfo reply: its participants, the host and
// co-hosts, and the invite list, validating the bytes once and decoding each
// field once, without reflection (what encoding/json would give, measured
// in decode_bench_test.go).
//
// confInfo must be an object: without it nobody can be proved the host.
// chairID must be a string (or null/absent: the host is not online), coHosts
// an array of strings (or null/absent). participants null or absent is an
// empty meeting; any other non-array, or an entry that is not an object with
// a non-empty string pid, makes the whole roster unreadable: a participant
// we cannot name might be the host, or the very person a re-read is asked
// about. Other per-participant fields stay tolerant. Repeated pids collapse.
// The invite list's own rules are decodeInviteArray's.
func decodeRealTime(body []byte) (realTime, error) {
	var top [3][]byte // participants, confInfo, attendees
	if err := decodeTop(body, realTimeFields, top[:]); err != nil {
		return realTime{}, err
	}
	chair, coHosts, err := decodeConfInfo(top[1])
	if err != nil {
		return realTime{}, err
	}
	rt := realTime{chair: chair, coHosts: coHosts}
	raw := top[0]
	var list []realTimeParticipant
	if !isNull(raw) {
		if raw[0] != '[' {
			return realTime{}, errParticipantsType
		}
		list = make([]realTimeParticipant, 0, 64)
		bad := false
		eachElement(raw, 0, func(v []byte) bool {
			switch v[0] {
			case '{':
			case 'n': // null: caught by its missing pid below
				list = append(list, realTimeParticipant{})
				return true
			default:
				bad = true
				return false
			}
			list = append(list, realTimeParticipant{})
			p := &list[len(list)-1]
			eachMember(v, 0, func(key, v []byte) {
				if i := fieldIndex(participantFields, key); i >= 0 {
					_ = p.field(i).UnmarshalJSON(v) // never fails: tolerant fields
				}
			})
			return true
		})
		if bad {
			return realTime{}, errParticipantsType
		}
	}
	out := make([]Participant, 0, len(list))
	seen := make(map[string]struct{}, len(list))
	for _, p := range list {
		if !p.PID.ok {
			return realTime{}, errParticipantWithoutID
		}
		id := p.PID.v
		if _, dup := seen[id]; dup {
			continue
		}
		seen[id] = struct{}{}
		out = append(out, Participant{
			ID:         id,
			Name:       string(p.Name),
			Phone:      string(p.Phone),
			State:      State(p.State),
			Video:      p.Video != 0,
			Muted:      p.Mute != 0,
			HandRaised: p.Hand != 0,
			Host:       chair != "" && id == chair,
			CoHost:     slices.Contains(coHosts, id),
			UserUUID:   string(p.UserUUID),
			AccountID:  string(cmp.Or(p.AccountID, p.AccountID2)),
		})
	}
	rt.participants = out
	rt.attendees, rt.attendeesKnown = decodeInviteArray(top[2])
	return rt, nil
}

// decodeTop checks that body is one valid JSON object and sets vals[i] to
// the raw value of the member names[i] selects (nil when absent).
func decodeTop(body []byte, names []string, vals [][]byte) error {
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '{' {
		return errNotObject
	}
	if !json.Valid(body) {
		var v struct{}
		return json.Unmarshal(body, &v) // the syntax error, as decodeObject gives it
	}
	eachMember(body, 0, func(key, v []byte) {
		if i := fieldIndex(names, key); i >= 0 {
			vals[i] = v
		}
	})
	return nil
}

// decodeConfInfo reads confInfo strictly; see decodeRealTimeInfo.
func decodeConfInfo(raw []byte) (chair string, coHosts []string, err error) {
	if isNull(raw) || firstByte(raw) != '{' {
		return "", nil, errNoConfInfo
	}
	var ci confInfoReply
	if json.Unmarshal(raw, &ci) != nil {
		return "", nil, errNoConfInfo
	}
	if !isNull(ci.ChairID) {
		if firstByte(ci.ChairID) != '"' || json.Unmarshal(ci.ChairID, &chair) != nil {
			return "", nil, errChairIDType
		}
	}
	if !isNull(ci.CoHosts) {
		if firstByte(ci.CoHosts) != '[' {
			return "", nil, errCoHostsType
		}
		var ids []*string
		if json.Unmarshal(ci.CoHosts, &ids) != nil {
			return "", nil, errCoHostsType
		}
		for _, id := range ids {
			if id == nil {
				return "", nil, errCoHostsType
			}
			if *id != "" {
				coHosts = append(coHosts, *id)
			}
		}
	}
	return chair, coHosts, nil
}

// isNull reports an absent (nil) or JSON null value.
func isNull(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) == 0 || string(raw) == "null"
}

// firstByte is raw's first non-space byte (0 if none).
func firstByte(raw json.RawMessage) byte {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return 0
	}
	return raw[0]
}
