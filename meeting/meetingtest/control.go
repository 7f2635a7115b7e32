package meetingtest

import (
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"strings"
	"time"
)

// pruneEvery: expired control tokens are swept after this many issues, so a
// long load test minting tokens keeps memory flat at O(live tokens) amortised.
const pruneEvery = 1024

type controlToken struct {
	conf    string
	session int
	expires time.Time
}

type controlTokenData struct {
	Token               string   `json:"token"`
	ExpireTime          int64    `json:"expireTime"`          // Unix ms
	ConfTokenExpireTime int64    `json:"confTokenExpireTime"` // seconds
	Role                int      `json:"role"`
	TmpWsToken          string   `json:"tmpWsToken"`
	WsURL               string   `json:"wsURL"`
	UserID              string   `json:"userID"`
	OrgID               string   `json:"orgID"`
	ParticipantID       string   `json:"participantID"`
	VmrCurrentConfID    string   `json:"vmrCurrentConfID"`
	SupportNotifyType   []string `json:"supportNotifyType"`
}

type controlTokenReply struct {
	Data           controlTokenData `json:"data"`
	AddressToken   string           `json:"addressToken"`
	GloablPublicIP string           `json:"gloablPublicIP"` // sic, as upstream
}

// handleControlToken is CreateConfToken, including keep-alive (docs/meeting-api.md §7).
// X-Login-Type: 1 is required on every request, keep-alive included, as the
// docs mark it mandatory; X-Access-Token is not required.
func (s *Server) handleControlToken(w http.ResponseWriter, r *http.Request, _ []byte, _ error) {
	confID := r.URL.Query().Get("conferenceID")
	if confID == "" || strings.TrimSpace(r.Header.Get("X-Login-Type")) != "1" {
		writeError(w, errBadRequest)
		return
	}
	current := r.Header.Get("X-Conference-Authorization")
	password := r.Header.Get("X-Password")

	s.mu.Lock()
	reply, e := s.controlToken(confID, current, password)
	s.mu.Unlock()
	if e != nil {
		writeError(w, *e)
		return
	}
	writeJSON(w, http.StatusOK, reply)
}

// controlToken decides a CreateConfToken request; s.mu must be held.
func (s *Server) controlToken(confID, current, password string) (controlTokenReply, *apiError) {
	c, ok := s.confs[confID]
	if !ok {
		return controlTokenReply{}, fail(errConfNotFound)
	}
	if c.state != stateRunning {
		return controlTokenReply{}, fail(errNotStarted)
	}
	now := s.clock.Now()
	// Keep-alive: a still-valid token for this meeting extends without a
	// password check.
	if tok, ct := s.lookupControlToken(current); ct != nil && ct.conf == confID &&
		ct.session == c.session && now.Before(ct.expires) {
		ct.expires = now.Add(s.controlTTL)
		if s.keepAliveNew {
			delete(s.ctlTokens, tok)
			tok = randomHex(24)
			s.ctlTokens[tok] = ct
		}
		return s.controlReply(c, tok, ct.expires), nil
	}
	if s.lockoutAfter > 0 && now.Before(c.lockedUntil) {
		return controlTokenReply{}, fail(errLocked)
	}
	if password == "" || subtle.ConstantTimeCompare([]byte(password), []byte(c.hostPwd)) != 1 {
		c.failures++
		if s.lockoutAfter > 0 && c.failures >= s.lockoutAfter {
			c.failures = 0
			c.lockedUntil = now.Add(s.lockoutFor)
		}
		return controlTokenReply{}, fail(errConfNotFound)
	}
	c.failures = 0
	s.pruneControlTokens(now)
	tok := randomHex(24)
	ct := &controlToken{conf: confID, session: c.session, expires: now.Add(s.controlTTL)}
	s.ctlTokens[tok] = ct
	return s.controlReply(c, tok, ct.expires), nil
}

func (s *Server) controlReply(c *conference, tok string, exp time.Time) controlTokenReply {
	return controlTokenReply{Data: controlTokenData{
		Token:               tok,
		ExpireTime:          exp.UnixMilli(),
		ConfTokenExpireTime: int64(s.controlTTL / time.Second),
		Role:                1,
		UserID:              c.scheduler,
		WsURL:               s.wsURL(),
		SupportNotifyType:   []string{NotifyConfDynamic, NotifyParticipants, NotifyAttendees, NotifyWaitingList},
	}}
}

// pruneControlTokens drops expired tokens every pruneEvery issues; s.mu held.
func (s *Server) pruneControlTokens(now time.Time) {
	s.ctlIssued++
	if s.ctlIssued < pruneEvery {
		return
	}
	s.ctlIssued = 0
	for tok, ct := range s.ctlTokens {
		if !now.Before(ct.expires) {
			delete(s.ctlTokens, tok)
		}
	}
}

// lookupControlToken accepts the header raw or as `Basic base64(token)`;
// s.mu must be held.
func (s *Server) lookupControlToken(header string) (string, *controlToken) {
	v := strings.TrimSpace(header)
	if v == "" {
		return "", nil
	}
	if scheme, enc, ok := strings.Cut(v, " "); ok && strings.EqualFold(scheme, "Basic") {
		if raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(enc)); err == nil {
			if ct, ok := s.ctlTokens[string(raw)]; ok {
				return string(raw), ct
			}
		}
	}
	if ct, ok := s.ctlTokens[v]; ok {
		return v, ct
	}
	return "", nil
}

// controlAuth checks the control token of a realTimeInfo/HangUp request and
// returns the conference; s.mu must be held.
func (s *Server) controlAuth(r *http.Request) (*conference, *apiError) {
	confID := r.URL.Query().Get("conferenceID")
	if confID == "" {
		return nil, fail(errBadRequest)
	}
	_, ct := s.lookupControlToken(r.Header.Get("X-Conference-Authorization"))
	c, ok := s.confs[confID]
	if ct == nil || !ok || ct.conf != confID || ct.session != c.session {
		return nil, fail(s.ctlFail)
	}
	if c.state != stateRunning {
		return nil, fail(s.endedFail)
	}
	if !s.clock.Now().Before(ct.expires) {
		return nil, fail(s.ctlFail)
	}
	return c, nil
}

// ExpireControlTokens makes every control token issued so far expired.
func (s *Server) ExpireControlTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	for _, ct := range s.ctlTokens {
		ct.expires = now
	}
}
