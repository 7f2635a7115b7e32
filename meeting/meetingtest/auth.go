package meetingtest

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// apiCallerClientType is clientType 72, "API caller": up to 64 live tokens per
// user. Every other client type holds one token per user (docs/meeting-api.md §3).
const (
	apiCallerClientType = 72
	apiCallerMaxTokens  = 64
)

type app struct{ key, userID string }

type account struct{ password, userID string }

type accessToken struct {
	user    string
	expires time.Time
}

// AddApp registers App ID credentials. userID is who a token acts as when the
// appauth body carries no userId (Huawei: the enterprise's default admin; ""
// is allowed). A body userId is honoured as-is, since App ID auth can mint a
// token for any user of the enterprise.
func (s *Server) AddApp(appID, appKey, userID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.apps[appID] = app{key: appKey, userID: userID}
}

// AddAccount registers meeting-account credentials; tokens act as userID.
func (s *Server) AddAccount(name, password, userID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.accounts[name] = account{password: password, userID: userID}
}

// SignAppAuth computes the appauth signature Huawei expects:
// hex(HMAC-SHA256(appKey, appId:userId:expireTime:nonce)), lowercase.
// Exported so tests can build requests (and check a client's) independently.
func SignAppAuth(appID, userID string, expireTime int64, nonce, appKey string) string {
	m := hmac.New(sha256.New, []byte(appKey))
	m.Write([]byte(appID + ":" + userID + ":" + strconv.FormatInt(expireTime, 10) + ":" + nonce))
	return hex.EncodeToString(m.Sum(nil))
}

type appAuthBody struct {
	AppID      string `json:"appId"`
	ClientType *int   `json:"clientType"`
	ExpireTime *int64 `json:"expireTime"`
	Nonce      string `json:"nonce"`
	UserID     string `json:"userId"`
	CorpID     string `json:"corpId"`
}

type accountBody struct {
	Account         string `json:"account"`
	ClientType      *int   `json:"clientType"`
	CreateTokenType int    `json:"createTokenType"`
}

type tokenUser struct {
	UserID string `json:"userId"`
	Name   string `json:"name"`
	AppID  string `json:"appId,omitempty"`
}

type tokenReply struct {
	AccessToken        string    `json:"accessToken"`
	ValidPeriod        int64     `json:"validPeriod"`
	ExpireTime         int64     `json:"expireTime"`
	CreateTime         int64     `json:"createTime"`
	RefreshToken       string    `json:"refreshToken"`
	RefreshValidPeriod int64     `json:"refreshValidPeriod"`
	RefreshExpireTime  int64     `json:"refreshExpireTime"`
	RefreshCreateTime  int64     `json:"refreshCreateTime"`
	ClientType         int       `json:"clientType"`
	TokenType          int       `json:"tokenType"`
	TokenIP            string    `json:"tokenIp"`
	User               tokenUser `json:"user"`
	FirstLogin         bool      `json:"firstLogin"`
	PwdExpired         bool      `json:"pwdExpired"`
	DelayDelete        bool      `json:"delayDelete"`
	DaysPwdAvailable   int       `json:"daysPwdAvailable"`
	ForceLoginInd      int       `json:"forceLoginInd"`
}

// parseAppAuthHeader reads `HMAC-SHA256 signature=<hex>[,access=<base64(appId)>]`.
func parseAppAuthHeader(v string) (sig, access string, ok bool) {
	scheme, rest, found := strings.Cut(strings.TrimSpace(v), " ")
	if !found || !strings.EqualFold(scheme, "HMAC-SHA256") {
		return "", "", false
	}
	for part := range strings.SplitSeq(rest, ",") {
		k, val, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch strings.TrimSpace(k) {
		case "signature":
			sig = strings.TrimSpace(val)
		case "access":
			access = strings.TrimSpace(val)
		}
	}
	return sig, access, sig != ""
}

func (s *Server) handleAppAuth(w http.ResponseWriter, r *http.Request, body []byte, bodyErr error) {
	sig, access, ok := parseAppAuthHeader(r.Header.Get("Authorization"))
	if !ok {
		writeError(w, errAppIDAuth)
		return
	}
	if tt := r.Header.Get("X-Token-Type"); tt != "" && tt != "LongTicket" {
		writeError(w, errAppIDBad)
		return
	}
	var b appAuthBody
	if bodyErr != nil || json.Unmarshal(body, &b) != nil || b.AppID == "" || b.ClientType == nil ||
		b.ExpireTime == nil || len(b.Nonce) < 32 || len(b.Nonce) > 64 || b.CorpID != "" {
		writeError(w, errAppIDBad)
		return
	}
	if access != "" {
		id, err := base64.StdEncoding.DecodeString(access)
		if err != nil || string(id) != b.AppID {
			writeError(w, errAppIDAuth)
			return
		}
	}
	s.mu.Lock()
	a, known := s.apps[b.AppID]
	s.mu.Unlock()
	if !known {
		writeError(w, errAppIDAuth)
		return
	}
	got, err := hex.DecodeString(strings.ToLower(sig))
	want, _ := hex.DecodeString(SignAppAuth(b.AppID, b.UserID, *b.ExpireTime, b.Nonce, a.key))
	if err != nil || !hmac.Equal(got, want) {
		writeError(w, errAppIDAuth)
		return
	}
	now := s.clock.Now()
	if *b.ExpireTime != 0 && *b.ExpireTime < now.Unix() {
		writeError(w, errAppIDExpired)
		return
	}
	user := b.UserID
	if user == "" {
		user = a.userID
	}
	s.replyAccessToken(w, user, *b.ClientType, tokenUser{UserID: user, Name: user, AppID: b.AppID}, true)
}

func (s *Server) handleAccountAuth(w http.ResponseWriter, r *http.Request, body []byte, bodyErr error) {
	name, password, ok := parseBasicPair(r.Header.Get("Authorization"))
	if !ok {
		writeError(w, errAccountAuth)
		return
	}
	var b accountBody
	if bodyErr != nil || json.Unmarshal(body, &b) != nil || b.Account == "" || len(b.Account) > 255 || b.ClientType == nil {
		writeError(w, errAccountBad)
		return
	}
	s.mu.Lock()
	acc, known := s.accounts[name]
	s.mu.Unlock()
	if !known || b.Account != name ||
		subtle.ConstantTimeCompare([]byte(password), []byte(acc.password)) != 1 {
		writeError(w, errAccountAuth)
		return
	}
	s.replyAccessToken(w, acc.userID, *b.ClientType, tokenUser{UserID: acc.userID, Name: name}, b.CreateTokenType != 1)
}

// parseBasicPair reads `Basic base64(account:password)`.
func parseBasicPair(v string) (user, password string, ok bool) {
	scheme, enc, found := strings.Cut(strings.TrimSpace(v), " ")
	if !found || !strings.EqualFold(scheme, "Basic") {
		return "", "", false
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(enc))
	if err != nil {
		return "", "", false
	}
	user, password, ok = strings.Cut(string(raw), ":")
	return user, password, ok && user != ""
}

// replyAccessToken issues (when issue is set) and sends an access token.
func (s *Server) replyAccessToken(w http.ResponseWriter, user string, clientType int, u tokenUser, issue bool) {
	now := s.clock.Now()
	exp := now.Add(s.accessTTL)
	reply := tokenReply{
		ValidPeriod:        int64(s.accessTTL / time.Second),
		ExpireTime:         exp.Unix(),
		CreateTime:         now.UnixMilli(),
		RefreshToken:       randomHex(24),
		RefreshValidPeriod: 2592000,
		RefreshExpireTime:  now.Add(30 * 24 * time.Hour).Unix(),
		RefreshCreateTime:  now.UnixMilli(),
		ClientType:         clientType,
		TokenIP:            "127.0.0.1",
		User:               u,
	}
	if issue {
		reply.AccessToken = s.issueAccessToken(user, clientType, exp)
	}
	writeJSON(w, http.StatusOK, reply)
}

// issueAccessToken stores a new token, evicting the user's oldest live token
// beyond the per-user limit (64 for API callers, else 1), as Huawei does.
func (s *Server) issueAccessToken(user string, clientType int, exp time.Time) string {
	tok := randomHex(24)
	limit := 1
	if clientType == apiCallerClientType {
		limit = apiCallerMaxTokens
	}
	key := user + "\x00" + strconv.Itoa(clientType)
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	live := s.userTokens[key][:0]
	for _, t := range s.userTokens[key] {
		if at, ok := s.accessTokens[t]; ok && now.Before(at.expires) {
			live = append(live, t)
		} else {
			delete(s.accessTokens, t)
		}
	}
	for len(live) >= limit {
		delete(s.accessTokens, live[0])
		live = live[1:]
	}
	s.accessTokens[tok] = &accessToken{user: user, expires: exp}
	s.userTokens[key] = append(live, tok)
	return tok
}

// accessUser returns whom the request's X-Access-Token acts as.
func (s *Server) accessUser(r *http.Request) (string, bool) {
	tok := r.Header.Get("X-Access-Token")
	if tok == "" {
		return "", false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	at, ok := s.accessTokens[tok]
	if !ok || !s.clock.Now().Before(at.expires) {
		return "", false
	}
	return at.user, true
}

// ExpireAccessTokens makes every access token issued so far expired, as if
// their lifetime had passed.
func (s *Server) ExpireAccessTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	for _, at := range s.accessTokens {
		at.expires = now
	}
}
