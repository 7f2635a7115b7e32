package commands

import (
	"context"
	"errors"
	"math"
	"strconv"

	"github.com/kickbot/kickbot/meeting"
	"github.com/kickbot/kickbot/state"
)

// detailAnswerLost is a kicked participant's detail when the disconnect
// call's answer was lost (or was a server error) and no roster could be
// read afterwards: the call may well have worked.
const detailAnswerLost = "the meeting service's answer to the disconnect was lost, and kickbot could not check whether they left; check the meeting before trying again"

// detailPhoneHidden answers a phone target the roster cannot match because
// the meeting masks phone numbers.
const detailPhoneHidden = "this meeting hides phone numbers; use the name or the Disconnect button"

// msgStoreUnavailable is said when the shared state store (Redis, with
// several replicas) did not answer: nothing that needs it was done.
const msgStoreUnavailable = "kickbot's state store is unavailable, so nothing that depends on it was done — try again in a moment, and ask an admin to check Redis (REDIS_URL) if it keeps happening."

// UserMessage turns a failure into one plain-text sentence a moderator can
// act on. It is built from the error's kind alone, so it never carries a
// token, key, password or raw server text. Errors from Service name their
// meeting; others say "the meeting". nil gives "".
func UserMessage(err error) string {
	if err == nil {
		return ""
	}
	// mtg names the meeting inside a sentence, atStart at its start.
	mtg, atStart := "the meeting", "The meeting"
	var ce *conferenceError
	if errors.As(err, &ce) && ce.conference != "" {
		mtg, atStart = "meeting "+ce.conference, "Meeting "+ce.conference
	}

	if errors.Is(err, state.ErrUnavailable) {
		// The shared store (Redis) did not answer: kickbot fails closed.
		return msgStoreUnavailable
	}
	kind := meeting.KindOf(err)
	if kind == meeting.KindUnknown && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		kind = meeting.KindCanceled
	}
	switch kind {
	case meeting.KindConferenceNotFound:
		// Huawei answers a wrong host password as it answers an unknown
		// meeting, but only when a control token is asked for; kickbot looks
		// the password up itself, so name that cause only there.
		var me *meeting.Error
		if errors.As(err, &me) && me.Op == "token" {
			return atStart + " was not found, or the meeting service refused the host password kickbot looked up — check the meeting ID, then ask an admin to check MEETING_USER_ID."
		}
		return atStart + " was not found — check the meeting ID."
	case meeting.KindNotRunning:
		return atStart + " is not running: it has not started yet or has already ended."
	case meeting.KindUnauthorized:
		return "The meeting service refused kickbot's credentials — ask an admin to check the MEETING_* settings."
	case meeting.KindForbidden:
		return "The meeting service does not let kickbot's account control " + mtg + " — ask an admin to check its permissions."
	case meeting.KindParticipantNotFound:
		return "The meeting service did not recognise a participant of " + mtg + " (they may have just left) — run the command again."
	case meeting.KindRateLimited:
		return "The meeting service is rate-limiting kickbot — try again in " + retryIn(err) + "."
	case meeting.KindServer:
		return "The meeting service had an internal error — try again in a moment."
	case meeting.KindNetwork:
		return "kickbot could not reach the meeting service (network error or timeout) — try again in a moment."
	case meeting.KindBadRequest:
		return "The meeting service rejected the request as invalid — check the meeting ID and participant IDs."
	case meeting.KindLocked:
		return "Control of " + mtg + " is temporarily locked after failed logins — try again in a few minutes."
	case meeting.KindMeetingEnded:
		return atStart + " is not running: it has ended."
	case meeting.KindMeetingLocked:
		return atStart + " is locked, and the meeting service refused the change while it is — unlock it in the meeting and try again."
	case meeting.KindUnsupported:
		return "The meeting service does not offer this action for " + mtg + " (its API answered that the operation does not exist) — use the meeting's own controls."
	case meeting.KindMalformed:
		if op := opOf(err); op == "realTimeInfo" {
			return "The meeting service sent a participant list of " + mtg + " that kickbot could not read safely (it cannot tell who the host is or who is still there) — check the meeting before trying again."
		}
		return "The meeting service sent a reply kickbot could not read — try again in a moment, and ask an admin to check kickbot's log if it keeps happening."
	case meeting.KindStateUnavailable:
		// The shared control-token cache (Redis) did not answer: nothing
		// was sent to the meeting.
		return "kickbot's state store is unavailable, so nothing that depends on it was done — try again in a moment, and ask an admin to check Redis (REDIS_URL) if it keeps happening."
	case meeting.KindCanceled:
		if errors.Is(err, context.DeadlineExceeded) {
			return "The meeting service took too long to answer — check " + mtg + " before trying again."
		}
		return "The request was cancelled before it finished (kickbot may be restarting) — check " + mtg + " before trying again."
	}
	return "Something went wrong talking to the meeting service — try again, and ask an admin to check kickbot's log if it keeps happening."
}

// InMeeting marks err as concerning conference, so that UserMessage names
// the meeting ("Meeting 914083136 was not found") as it does for the use
// cases' own errors: renderers pass every failure through it, and a
// failure reads the same whichever path met it. An err that names its
// meeting already, or an empty conference, is returned as it is.
func InMeeting(conference string, err error) error {
	var ce *conferenceError
	if err == nil || conference == "" || errors.As(err, &ce) {
		return err
	}
	return &conferenceError{conference: conference, err: err}
}

// retryIn is how long Huawei asked us to wait, rounded up to whole seconds.
func retryIn(err error) string {
	var me *meeting.Error
	if errors.As(err, &me) && me.RetryAfter > 0 {
		return strconv.Itoa(int(math.Ceil(me.RetryAfter.Seconds()))) + " s"
	}
	return "a minute"
}

// opOf is the meeting operation that failed, "" if err is not a *meeting.Error.
func opOf(err error) string {
	var me *meeting.Error
	if errors.As(err, &me) {
		return me.Op
	}
	return ""
}
