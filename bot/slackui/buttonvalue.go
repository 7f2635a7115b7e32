package slackui

import (
	"errors"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/kickbot/kickbot/commands"
	"github.com/kickbot/kickbot/meeting"
)

// Limits of a ButtonValue. Slack caps a button value at 2,000 bytes and a
// block_id at 255; the search box's block_id carries a value too.
const (
	maxButtonValueLen = 2000
	maxListIDLen      = 64
	maxPage           = 100_000
	buttonValueTag    = "k1" // format version
)

// ButtonValue is the state a roster button carries. Slack hands it back
// when the button is clicked, from a client kickbot does not control: it
// is decoded strictly and then re-checked (authorization, roster) — never
// trusted.
type ButtonValue struct {
	Conference    string
	ParticipantID string // Disconnect buttons only
	ListID        string // which list message the button belongs to
	Query         string // the list's search, so paging keeps it
	Page          int    // 0-based page of the list
	ReadAt        int64  // Unix seconds of the roster read the list showed
}

var errButtonValue = errors.New("invalid button value")

// EncodeButtonValue packs v compactly: "k1|conference|pid|list|page|readAt|query"
// with the text fields percent-escaped. It fails on a value that
// DecodeButtonValue would refuse.
func EncodeButtonValue(v ButtonValue) (string, error) {
	if err := v.validate(); err != nil {
		return "", err
	}
	s := encodeButtonValue(v)
	if len(s) > maxButtonValueLen {
		return "", errButtonValue
	}
	return s, nil
}

func encodeButtonValue(v ButtonValue) string {
	return strings.Join([]string{buttonValueTag, v.Conference, url.QueryEscape(v.ParticipantID), url.QueryEscape(v.ListID),
		strconv.Itoa(v.Page), strconv.FormatInt(v.ReadAt, 10), url.QueryEscape(v.Query)}, "|")
}

// DecodeButtonValue reads a value written by EncodeButtonValue. It accepts
// only the exact encoding EncodeButtonValue produces, so a forged or
// mangled value is refused rather than half-understood.
func DecodeButtonValue(s string) (ButtonValue, error) {
	if len(s) > maxButtonValueLen {
		return ButtonValue{}, errButtonValue
	}
	f := strings.Split(s, "|")
	if len(f) != 7 || f[0] != buttonValueTag {
		return ButtonValue{}, errButtonValue
	}
	var v ButtonValue
	var err error
	v.Conference = f[1]
	if v.ParticipantID, err = url.QueryUnescape(f[2]); err != nil {
		return ButtonValue{}, errButtonValue
	}
	if v.ListID, err = url.QueryUnescape(f[3]); err != nil {
		return ButtonValue{}, errButtonValue
	}
	page, err := strconv.ParseInt(f[4], 10, 32)
	if err != nil {
		return ButtonValue{}, errButtonValue
	}
	v.Page = int(page)
	if v.ReadAt, err = strconv.ParseInt(f[5], 10, 64); err != nil {
		return ButtonValue{}, errButtonValue
	}
	if v.Query, err = url.QueryUnescape(f[6]); err != nil {
		return ButtonValue{}, errButtonValue
	}
	if v.validate() != nil || encodeButtonValue(v) != s {
		return ButtonValue{}, errButtonValue
	}
	return v, nil
}

func (v ButtonValue) validate() error {
	switch {
	case !commands.ValidConference(v.Conference),
		len(v.ParticipantID) > meeting.MaxParticipantIDLen || !cleanText(v.ParticipantID),
		len(v.ListID) > maxListIDLen || !isListID(v.ListID),
		utf8.RuneCountInString(v.Query) > commands.MaxQueryRunes || !cleanText(v.Query),
		v.Page < 0 || v.Page > maxPage,
		v.ReadAt < 0:
		return errButtonValue
	}
	return nil
}

// cleanText is valid UTF-8 without control characters.
func cleanText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}

// isListID: ASCII letters, digits, '-', '_' and '.' (the bot chooses list IDs).
func isListID(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// ParseAction validates a click on a roster message, from the action's
// action_id, block_id and value, and returns the state it carries. Buttons
// carry it in their value; the search box carries it in its block_id, with
// the typed query as the value (trimmed, collapsed and clipped to 100
// characters). Anything else, or a value that does not fit its action (a
// Disconnect without a participant, a page button with one), is refused.
func ParseAction(actionID, blockID, value string) (ButtonValue, error) {
	switch actionID {
	case ActionSearch:
		v, err := DecodeButtonValue(blockID)
		if err != nil || v.ParticipantID != "" || v.Query != "" || v.Page != 0 || !cleanText(value) {
			return ButtonValue{}, errButtonValue
		}
		v.Query = commands.Clip(commands.NormalizeName(value), commands.MaxQueryRunes)
		return v, nil
	case ActionDisconnect, ActionPrev, ActionNext, ActionRefresh, ActionClearSearch:
		v, err := DecodeButtonValue(value)
		if err != nil || (actionID == ActionDisconnect) != (v.ParticipantID != "") {
			return ButtonValue{}, errButtonValue
		}
		return v, nil
	}
	return ButtonValue{}, errButtonValue
}
