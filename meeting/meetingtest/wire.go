package meetingtest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// Error codes the simulator replies with. Names follow docs/meeting-api.md §10;
// codes marked there as inferred or unconfirmed are the simulator's best guess.
const (
	CodeBadRequest               = "MMC.111070001" // CONF_BAD_REQUEST: malformed request
	CodeInsufficientPermissions  = "MMC.111070002" // INSUFFICIENT_PERMISSIONS (host hang-up refused)
	CodeServerError              = "MMC.111070003" // CONF_EXCEPTION: server failure
	CodeConfDataNotFound         = "MMC.111070005" // CONF_DATA_NOT_FOUND: confDetail of an unknown meeting
	CodeConfNotStarted           = "MMC.111072005" // CONF_NOT_STARTED: control token for a meeting not running
	CodeConfClosed               = "MMC.111072006" // CONF_IS_CLOSED: meeting ended after the token was issued
	CodeParticipantNotExist      = "MMC.111072008" // CONF_PARTICIPANT_NOT_EXIST: strict hang-up of an unknown pid
	CodeControlLoginLocked       = "MMC.111072064" // CONF_CTR_LOGIN_LOCKED: too many wrong host passwords
	CodeConfNotFoundOrAuthFailed = "MMC.111072065" // CONF_NOT_FOUND_OR_AUTH_FAILED: unknown meeting or wrong password
	CodeUserTokenAuthFailed      = "MMC.118000001" // USER_TOKEN_AUTH_FAILED: bad control token (default)
	CodeAccountAuthFailed        = "USG.206010000" // wrong account or password
	CodeAppIDCheckFailed         = "USG.206010025" // App ID check failed (bad signature, unknown app, bad fields)
	CodeAppIDAuthExpired         = "USG.206010057" // App ID signature expired (expireTime in the past)
	CodeAccessTokenInvalid       = "USG.206020000" // missing, unknown or expired X-Access-Token
	CodeConfAuthFail             = "MMC.111070004" // CONF_AUTH_FAIL: meeting authentication failed (auth-shaped)
	CodeRequestTokenNull         = "MMC.111070111" // REQUEST_TOKEN_IS_NULL: token missing (auth-shaped)
	CodeConfPwdAuthFailed        = "MMC.111071091" // CONF_PWD_AUTH_FAILED: host password check failed
	CodeConfClosedRecently       = "MMC.111071072" // CONF_CLOSED_RECENTLY: the meeting has just ended
	CodeConfIsClosing            = "MMC.111072003" // CONF_IS_CLOSING: the meeting is ending
	CodeConfLocked               = "MMC.111072050" // CONF_LOCKED: the meeting is locked
	CodeRateLimited              = "100000429"     // server flow control
	CodeGatewayThrottled         = "APIG.0308"     // the API gateway's throttling (HTTP 429, no Retry-After documented)
	CodeAPINotFound              = "APIGW.0101"    // the API gateway's "no such API" (unknown path or method)
)

// contentType is what Huawei's gateway sends on every reply.
const contentType = "application/json;charset=UTF-8"

// apiError is one error reply: a status and Huawei's {"error_code","error_msg"}.
type apiError struct {
	status    int
	code, msg string
}

type errorBody struct {
	ErrorCode string `json:"error_code"`
	ErrorMsg  string `json:"error_msg"`
}

var (
	errBadRequest    = apiError{http.StatusBadRequest, CodeBadRequest, "CONF_BAD_REQUEST"}
	errAccessToken   = apiError{http.StatusUnauthorized, CodeAccessTokenInvalid, "AUTH_TOKEN_INVALID"}
	errAppIDBad      = apiError{http.StatusBadRequest, CodeAppIDCheckFailed, "APP_ID_CHECK_FAILED"}
	errAppIDAuth     = apiError{http.StatusUnauthorized, CodeAppIDCheckFailed, "APP_ID_CHECK_FAILED"}
	errAppIDExpired  = apiError{http.StatusUnauthorized, CodeAppIDAuthExpired, "APP_ID_AUTH_EXPIRED"}
	errAccountBad    = apiError{http.StatusBadRequest, CodeAccountAuthFailed, "ACCOUNT_PARAM_INVALID"}
	errAccountAuth   = apiError{http.StatusUnauthorized, CodeAccountAuthFailed, "ACCOUNT_OR_PASSWORD_ERROR"}
	errConfData      = apiError{http.StatusBadRequest, CodeConfDataNotFound, "CONF_DATA_NOT_FOUND"}
	errConfNotFound  = apiError{http.StatusBadRequest, CodeConfNotFoundOrAuthFailed, "CONF_NOT_FOUND_OR_AUTH_FAILED"}
	errNotStarted    = apiError{http.StatusBadRequest, CodeConfNotStarted, "CONF_NOT_STARTED"}
	errClosed        = apiError{http.StatusBadRequest, CodeConfClosed, "CONF_IS_CLOSED"}
	errLocked        = apiError{http.StatusBadRequest, CodeControlLoginLocked, "CONF_CTR_LOGIN_LOCKED"}
	errNoParticipant = apiError{http.StatusBadRequest, CodeParticipantNotExist, "CONF_PARTICIPANT_NOT_EXIST"}
	errHostHangUp    = apiError{http.StatusForbidden, CodeInsufficientPermissions, "INSUFFICIENT_PERMISSIONS"}
	errNotFound      = apiError{http.StatusNotFound, CodeAPINotFound, "The API does not exist or has not been published in the environment"}
	errPanic         = apiError{http.StatusInternalServerError, CodeServerError, "SIMULATOR_PANIC"}
)

// writeJSON sends v with status. Marshalling our own reply types cannot fail;
// if it somehow does, the client sees a 500 error body rather than a half reply.
func writeJSON(w http.ResponseWriter, status int, v any) {
	writeJSONSized(w, status, v, 0)
}

// writeJSONSized is writeJSON with a size hint, so a large roster is encoded
// into one allocation instead of a chain of buffer doublings.
func writeJSONSized(w http.ResponseWriter, status int, v any, hint int) {
	buf := bytes.NewBuffer(make([]byte, 0, max(hint, 256)))
	enc := json.NewEncoder(buf)
	if err := enc.Encode(v); err != nil {
		status = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString(`{"error_code":"` + CodeServerError + `","error_msg":"CONF_EXCEPTION"}`)
	}
	b := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// writeError sends Huawei's error body.
func writeError(w http.ResponseWriter, e apiError) {
	writeJSON(w, e.status, errorBody{ErrorCode: e.code, ErrorMsg: e.msg})
}

// retryAfterSeconds renders d for a Retry-After header: whole seconds,
// rounded up so a client never retries early, at least 1.
func retryAfterSeconds(d time.Duration) string {
	secs := int64((d + time.Second - 1) / time.Second)
	return strconv.FormatInt(max(secs, 1), 10)
}

// fail returns a copy of e for functions that report "no error" as nil, so
// the shared error values above can never be changed through a pointer.
func fail(e apiError) *apiError { return &e }
