package meeting

import (
	"errors"
	"fmt"
	"time"
)

// Kind classifies an API failure by what a caller can tell a moderator.
type Kind int

// Kinds of failure. KindUnknown is the zero value so an unclassified error
// never looks like a specific one.
const (
	KindUnknown             Kind = iota
	KindConferenceNotFound       // unknown conference ID, or wrong host password (Huawei does not say which)
	KindNotRunning               // the meeting has not started or has ended
	KindUnauthorized             // our credentials or tokens were refused
	KindForbidden                // authenticated, but not allowed
	KindParticipantNotFound      // a pid the meeting does not know
	KindRateLimited              // Huawei's flow control
	KindServer                   // 5xx or a server-side exception
	KindNetwork                  // connection failed, reset, or timed out
	KindBadRequest               // the request itself was malformed
	KindLocked                   // control login locked after failures; retry later
	KindCanceled                 // the caller's context ended
	KindMeetingEnded             // the meeting has ended or is ending
	KindMeetingLocked            // the meeting is locked (MMC.111072050)
	KindMalformed                // a 2xx reply we cannot use safely (e.g. a roster that cannot prove who the host is)
	KindUnsupported              // the API gateway does not know this API (404 APIGW.0101): an older Huawei deployment
	KindStateUnavailable         // the shared state store (the control-token cache) did not answer: nothing was sent
)

var kindNames = map[Kind]string{
	KindUnknown:             "unknown",
	KindConferenceNotFound:  "conference_not_found",
	KindNotRunning:          "not_running",
	KindUnauthorized:        "unauthorized",
	KindForbidden:           "forbidden",
	KindParticipantNotFound: "participant_not_found",
	KindRateLimited:         "rate_limited",
	KindServer:              "server_error",
	KindNetwork:             "network",
	KindBadRequest:          "bad_request",
	KindLocked:              "locked",
	KindCanceled:            "canceled",
	KindMeetingEnded:        "meeting_ended",
	KindMeetingLocked:       "meeting_locked",
	KindMalformed:           "malformed",
	KindUnsupported:         "unsupported",
	KindStateUnavailable:    "state_unavailable",
}

// String is a stable snake_case name, fit for metrics labels and logs.
func (k Kind) String() string {
	if s, ok := kindNames[k]; ok {
		return s
	}
	return "unknown"
}

// Error is every failure the client returns. It never holds a secret: no
// token, key or password is copied into it.
type Error struct {
	Kind       Kind
	Op         string        // the API operation, e.g. "hangup", "control_token"
	Status     int           // HTTP status; 0 when no response arrived
	Code       string        // Huawei error_code, e.g. "MMC.111072065"
	Message    string        // Huawei error_msg, e.g. "CONF_NOT_FOUND_OR_AUTH_FAILED"
	RequestID  string        // X-Request-ID of the failed call
	RetryAfter time.Duration // from Retry-After on 429, if any
	Err        error         // underlying cause (network error, context error)
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("meeting %s: %s", e.Op, e.Kind)
	if e.Status != 0 {
		msg += fmt.Sprintf(" (HTTP %d", e.Status)
		if e.Code != "" {
			msg += " " + e.Code
		}
		if e.Message != "" {
			msg += " " + e.Message
		}
		if e.RequestID != "" {
			msg += ", request " + e.RequestID
		}
		msg += ")"
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// KindOf returns the Kind of err, or KindUnknown if it is not an *Error.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindUnknown
}
