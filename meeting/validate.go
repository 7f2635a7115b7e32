package meeting

import (
	"fmt"
	"unicode"
	"unicode/utf8"
)

// The longest IDs the client sends; the /kick grammar refuses longer ones
// before anything is called.
const (
	MaxConferenceIDLen  = 64
	MaxParticipantIDLen = 128
)

// validateConference accepts 1–64 ASCII letters and digits: Huawei conference
// IDs are numeric, and anything else would only reach the server as noise.
func validateConference(op, id string) error {
	if id == "" || len(id) > MaxConferenceIDLen {
		return badInput(op, "conference ID must be 1–64 letters or digits")
	}
	for i := 0; i < len(id); i++ {
		b := id[i]
		if !('0' <= b && b <= '9' || 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z') {
			return badInput(op, "conference ID must be 1–64 letters or digits")
		}
	}
	return nil
}

// validateParticipant accepts 1–128 bytes of valid UTF-8 without control
// characters (pids are 32 hex characters in practice; we do not insist).
func validateParticipant(op string, i int, id string) error {
	if id == "" || len(id) > MaxParticipantIDLen || !utf8.ValidString(id) {
		return badInput(op, fmt.Sprintf("participant ID #%d must be 1–128 characters", i+1))
	}
	for _, r := range id {
		if unicode.IsControl(r) {
			return badInput(op, fmt.Sprintf("participant ID #%d contains a control character", i+1))
		}
	}
	return nil
}

// dedupe validates ids and drops repeats, keeping the first occurrence.
func dedupe(op string, ids []string) ([]string, error) {
	out := make([]string, 0, len(ids))
	seen := make(map[string]struct{}, len(ids))
	for i, id := range ids {
		if err := validateParticipant(op, i, id); err != nil {
			return nil, err
		}
		if _, dup := seen[id]; dup {
			continue
		}
		seen[id] = struct{}{}
		out = append(out, id)
	}
	return out, nil
}

func badInput(op, msg string) *Error {
	return &Error{Kind: KindBadRequest, Op: op, Message: msg}
}
