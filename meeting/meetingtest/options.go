package meetingtest

import "time"

// Option configures a Server at NewServer time.
type Option func(*Server)

// WithClock sets the clock used for token lifetimes, signature expiry, lockouts
// and rate-limit windows. Default: the system clock.
func WithClock(c Clock) Option { return func(s *Server) { s.clock = c } }

// WithAccessTokenTTL sets how long appauth/account access tokens live.
// Default 12h (Huawei: 12–24 h).
func WithAccessTokenTTL(d time.Duration) Option { return func(s *Server) { s.accessTTL = d } }

// WithControlTokenTTL sets how long control tokens live, and what
// data.confTokenExpireTime reports. Default 30m.
func WithControlTokenTTL(d time.Duration) Option { return func(s *Server) { s.controlTTL = d } }

// WithStrictHangUp selects how HangUp treats a pid that is not online. Strict:
// the whole request fails with 400 MMC.111072008 and nobody is removed.
// Lenient (the default): known pids are removed, unknown ones ignored, 200.
// Huawei does not document which one it does, so clients must survive both.
func WithStrictHangUp(strict bool) Option { return func(s *Server) { s.strictHangUp = strict } }

// WithHostHangUp says whether HangUp may disconnect the host (chairID).
// Default true (undocumented upstream). When false, a request naming the host
// fails with 403 MMC.111070002 and nobody is removed.
func WithHostHangUp(allowed bool) Option { return func(s *Server) { s.hostHangUp = allowed } }

// WithControlAuthFailure sets the reply to a control call (realTimeInfo,
// HangUp) whose control token is missing, unknown, expired or for another
// meeting. Default 401 MMC.118000001 USER_TOKEN_AUTH_FAILED; Huawei does not
// document the real one.
func WithControlAuthFailure(status int, code, msg string) Option {
	return func(s *Server) { s.ctlFail = apiError{status: status, code: code, msg: msg} }
}

// WithHangUpLimit caps the number of pids one HangUp may carry (400 above
// it). 0, the default, means no cap, as documented.
func WithHangUpLimit(n int) Option { return func(s *Server) { s.hangUpLimit = n } }

// WithKeepAliveNewToken selects what a control-token keep-alive returns. true
// (the default): a fresh token string, and the old one stops working, which
// catches clients that do not take data.token from the reply. false: the same
// string with a later expiry.
func WithKeepAliveNewToken(fresh bool) Option { return func(s *Server) { s.keepAliveNew = fresh } }

// WithControlLockout locks control-token requests for a conference after n
// consecutive wrong host passwords: for the next d (on the server clock)
// every password attempt fails with 400 MMC.111072064. Keep-alives with a
// valid token still work. n = 0 (the default) disables the lockout.
func WithControlLockout(n int, d time.Duration) Option {
	return func(s *Server) { s.lockoutAfter, s.lockoutFor = n, d }
}

// WithEndedFailure sets the reply to a control call (realTimeInfo, HangUp)
// made with a token issued before the meeting ended. Default 400
// MMC.111072006 CONF_IS_CLOSED; Huawei's client table also lists
// MMC.111071072 CONF_CLOSED_RECENTLY and MMC.111072003 CONF_IS_CLOSING, and
// which one the server sends is undocumented.
func WithEndedFailure(status int, code, msg string) Option {
	return func(s *Server) { s.endedFail = apiError{status: status, code: code, msg: msg} }
}

// WithMaskedPhones makes realTimeInfo mask the middle digits of every phone
// number the way Huawei's doc example does ("+99111****815"). Whether and
// when the real service masks is undocumented, so clients must survive both.
func WithMaskedPhones(masked bool) Option { return func(s *Server) { s.maskPhones = masked } }
