package meeting

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// codeKind maps Huawei error codes (docs/meeting-api.md §10) to a Kind, keyed by
// the number after the "MMC." / "USG." prefix: the numbers do not overlap
// between services, and a gateway that drops the prefix still matches.
func codeKind(code string) (Kind, bool) {
	// The API gateway's own codes share numbers with other services, so
	// they are matched whole. APIG.0308 is its throttling (§14e).
	switch strings.ToUpper(strings.TrimSpace(code)) {
	case "APIG.0308", "APIGW.0308":
		return KindRateLimited, true
	case "APIGW.0101", "APIG.0101": // "the API does not exist or has not been published"
		return KindUnsupported, true
	}
	switch codeNumber(code) {
	case "111072065", // CONF_NOT_FOUND_OR_AUTH_FAILED: unknown id or wrong host password
		"111071091", // CONF_PWD_AUTH_FAILED: host password check failed (§14e: like 111072065)
		"111070005": // CONF_DATA_NOT_FOUND
		return KindConferenceNotFound, true
	case "111072005": // meeting not started (or already ended)
		return KindNotRunning, true
	case "111072006", // CONF_IS_CLOSED
		"111071072", // CONF_CLOSED_RECENTLY
		"111072003": // CONF_IS_CLOSING
		return KindMeetingEnded, true
	case "111072050": // CONF_LOCKED
		return KindMeetingLocked, true
	case "206020000", // invalid X-Access-Token
		"118000001", // USER_TOKEN_AUTH_FAILED
		"111070111", // REQUEST_TOKEN_IS_NULL
		"111070004", // CONF_AUTH_FAIL
		"206010000", // wrong account or password
		"206010025", // App ID check failed
		"206010057": // App ID authentication expired
		return KindUnauthorized, true
	case "111070002", // INSUFFICIENT_PERMISSIONS
		"111070010": // ROLE_AUTHENTICATION_FAILED
		return KindForbidden, true
	case "111072008": // participant does not exist
		return KindParticipantNotFound, true
	case "100000429": // server flow control
		return KindRateLimited, true
	case "111072064": // control login locked after failed attempts
		return KindLocked, true
	case "111070003": // CONF_EXCEPTION
		return KindServer, true
	}
	return KindUnknown, false
}

// msgKind covers replies whose code we do not know but whose symbolic
// message we do.
func msgKind(msg string) (Kind, bool) {
	switch strings.ToUpper(strings.TrimSpace(msg)) {
	case "CONF_NOT_FOUND_OR_AUTH_FAILED", "CONF_DATA_NOT_FOUND":
		return KindConferenceNotFound, true
	case "USER_TOKEN_AUTH_FAILED", "CONF_AUTH_FAIL", "REQUEST_TOKEN_IS_NULL":
		return KindUnauthorized, true
	case "CONF_PWD_AUTH_FAILED":
		return KindConferenceNotFound, true
	case "CONF_IS_CLOSED", "CONF_CLOSED_RECENTLY", "CONF_IS_CLOSING":
		return KindMeetingEnded, true
	case "CONF_LOCKED":
		return KindMeetingLocked, true
	case "CONF_EXCEPTION":
		return KindServer, true
	}
	return KindUnknown, false
}

// classify turns a non-2xx reply into a Kind. A known error_code is the most
// specific signal, then error_msg, then the HTTP status.
func classify(status int, code, msg string) Kind {
	if k, ok := codeKind(code); ok {
		return k
	}
	if k, ok := msgKind(msg); ok {
		return k
	}
	switch {
	case status == http.StatusUnauthorized:
		return KindUnauthorized
	case status == http.StatusForbidden, status == http.StatusPreconditionFailed: // 412: account disabled
		return KindForbidden
	case status == http.StatusTooManyRequests:
		return KindRateLimited
	case status == http.StatusLocked: // 423: account locked after failed logins
		return KindLocked
	case status == http.StatusRequestTimeout:
		return KindNetwork
	case status >= 500:
		return KindServer
	case status >= 400:
		return KindBadRequest
	}
	return KindUnknown
}

// codeNumber returns "111072065" for "MMC.111072065" (and for "111072065").
func codeNumber(code string) string {
	code = strings.TrimSpace(code)
	if i := strings.LastIndexByte(code, '.'); i >= 0 {
		code = code[i+1:]
	}
	return code
}

// parseRetryAfter reads Retry-After as seconds or an HTTP date; 0 if absent
// or unusable.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseFloat(v, 64); err == nil {
		if n <= 0 || n > 24*3600 {
			return 0
		}
		return time.Duration(n * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}
