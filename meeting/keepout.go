package meeting

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
)

// Keep-out controls (meeting-api.md §14a): lock and unlock, moving people to
// the waiting room, admitting them back. They go through the same control
// token, retry policy and error classification as the hang-up (controlCall).
//
// UNCONFIRMED upstream, and how each answer is handled:
//   - A lock of a locked meeting: success, or MMC.111072050 (meeting
//     locked), which Lock reports as success with Unchanged set. What an
//     unlock of an unlocked meeting gets is unknown: a success is a success,
//     any refusal is returned as the error it is.
//   - batchMoveToWaitingRoom is new (2025): where the gateway answers 404
//     APIGW.0101 the client remembers it and sends one moveToWaitingRoom per
//     pid from then on.
//   - A pid that is not online in a bulk move: ignored (lenient) or the whole
//     call refused with MMC.111072008 (strict); a strict refusal is answered
//     by moving the others one by one.
//   - Whether allowWaitingParticipant accepts the pid a person had before
//     the move (rather than the waiting-room ID from WaitingListNotify):
//     a refusal is returned as KindParticipantNotFound.

const (
	pathLock                   = "/v1/mmc/control/conferences/lock"
	pathMoveToWaitingRoom      = "/v1/mmc/control/conferences/moveToWaitingRoom"
	pathBatchMoveToWaitingRoom = "/v1/mmc/control/conferences/batchMoveToWaitingRoom"
	pathAllowWaiting           = "/v1/mmc/control/conferences/allowWaitingParticipant"
)

// LockResult is the outcome of Lock.
type LockResult struct {
	ConferenceID string
	Locked       bool // the state asked for, now in place
	// Unchanged: the server said the meeting already was in that state
	// (MMC.111072050 to a lock). A server that accepts a repeated lock
	// silently leaves it false.
	Unchanged bool
	RequestID string
}

// Lock locks (locked true) or unlocks the meeting: PUT lock {"isLock":1|0}.
// While locked, guests cannot join on their own; people with the host
// password or host link still can.
func (c *Client) Lock(ctx context.Context, conferenceID string, locked bool) (*LockResult, error) {
	if err := validateConference("lock", conferenceID); err != nil {
		return nil, err
	}
	isLock := 0
	if locked {
		isLock = 1
	}
	body, _ := json.Marshal(map[string]int{"isLock": isLock}) // cannot fail
	res := &LockResult{ConferenceID: conferenceID, Locked: locked}
	resp, _, err := c.controlCall(ctx, conferenceID, apiCall{op: "lock", method: http.MethodPut, path: pathLock}, body)
	if err != nil {
		if locked && KindOf(err) == KindMeetingLocked {
			// Already locked: what the moderator wanted is in place. (Also
			// what a retry sees after a lock whose reply was lost.)
			res.Unchanged = true
			var e *Error
			if errors.As(err, &e) {
				res.RequestID = e.RequestID
			}
			return res, nil
		}
		return nil, err
	}
	res.RequestID = resp.requestID
	return res, nil
}

// MoveStatus is what became of one participant of MoveToWaitingRoom.
type MoveStatus int

const (
	// MoveFailed: the move was refused, or not attempted after a refusal
	// that stopped the request; Err says why. The person was not moved.
	MoveFailed MoveStatus = iota
	// MoveDone: the move was accepted (or may have been) and the roster
	// read afterwards no longer lists the person.
	MoveDone
	// MoveNotOnline: the server said the pid is not in the meeting and the
	// roster agrees: moved by an earlier attempt, or left on their own.
	MoveNotOnline
	// MoveStillPresent: the roster read afterwards still lists the person.
	MoveStillPresent
	// MoveUnconfirmed: the move was accepted (or may have been) but the
	// roster could not be read to confirm it. Never report "moved".
	MoveUnconfirmed
)

var moveStatusNames = [...]string{"failed", "moved", "not_online", "still_present", "unconfirmed"}

// String is a stable snake_case name for logs and metrics.
func (s MoveStatus) String() string {
	if s >= 0 && int(s) < len(moveStatusNames) {
		return moveStatusNames[s]
	}
	return "unknown"
}

// MoveOutcome is what happened to one requested pid.
type MoveOutcome struct {
	ID     string
	Status MoveStatus
	// Err is the refusal behind MoveFailed, and for the other statuses the
	// failure (if any) that made the outcome uncertain; nil otherwise.
	Err error
}

// MoveResult is the outcome of MoveToWaitingRoom.
type MoveResult struct {
	ConferenceID string
	Outcomes     []MoveOutcome // one per requested pid, in request order
	Bulk         bool          // batchMoveToWaitingRoom was used (else one moveToWaitingRoom per pid)
	RequestIDs   []string      // X-Request-ID of each accepted call
	After        *Roster       // the confirming roster read; nil when it failed
}

// Moved lists the pids whose move is confirmed (MoveDone).
func (r *MoveResult) Moved() []string {
	var out []string
	for _, o := range r.Outcomes {
		if o.Status == MoveDone {
			out = append(out, o.ID)
		}
	}
	return out
}

// moveState is what the calls said about one pid, before the roster read.
type moveState struct {
	accepted bool  // a call including it was accepted
	maybe    bool  // a call including it failed in a way that may have applied
	notFound bool  // refused as not online
	err      error // the last failure
}

// MoveToWaitingRoom moves the given participants to the waiting room and
// reports per pid what happened, confirmed by a roster read (the API
// returns no per-participant result). It uses one batchMoveToWaitingRoom
// call (chunked at MaxPerHangUp); where that endpoint is missing (404
// APIGW.0101) it remembers so for the life of the Client and sends one
// moveToWaitingRoom per pid. A strict server's "participant does not exist"
// to a bulk move is answered by moving, one by one, whoever the roster still
// lists.
//
// The error is non-nil only when nothing can have happened: bad input, or
// one refusal of the whole request (auth, meeting ended, rate limit…)
// before anything was accepted. Otherwise per-pid errors are in Outcomes.
func (c *Client) MoveToWaitingRoom(ctx context.Context, conferenceID string, pids []string) (*MoveResult, error) {
	if err := validateConference("moveToWaitingRoom", conferenceID); err != nil {
		return nil, err
	}
	ids, err := dedupe("moveToWaitingRoom", pids)
	if err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, badInput("moveToWaitingRoom", "no participant IDs to move")
	}
	res := &MoveResult{ConferenceID: conferenceID}
	st := make(map[string]*moveState, len(ids))
	for _, id := range ids {
		st[id] = &moveState{}
	}
	var whole error // a refusal that stopped the whole request
	var singles []string
	if !c.bulkMoveMissing.Load() {
		res.Bulk = true
		for _, chunk := range chunks(ids, c.cfg.MaxPerHangUp) {
			if whole != nil {
				markFailed(st, chunk, whole)
				continue
			}
			rest, err := c.moveBulk(ctx, res, st, chunk)
			singles = append(singles, rest...)
			if err != nil {
				whole = err
			}
		}
	} else {
		singles = ids
	}
	if len(singles) > 0 && whole == nil {
		whole = c.moveSingles(ctx, res, st, singles)
	}
	if whole != nil && !anyProgress(st) {
		return nil, whole
	}

	sctx := ctx
	if ctx.Err() != nil {
		var cancel context.CancelFunc
		sctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), settleTimeout)
		defer cancel()
	}
	present := map[string]bool{}
	if anyProgress(st) {
		if after, rerr := c.Roster(sctx, conferenceID); rerr == nil {
			res.After = after
			for _, p := range after.Participants {
				present[p.ID] = true
			}
		}
	}
	for _, id := range ids {
		s := st[id]
		o := MoveOutcome{ID: id, Err: s.err}
		switch {
		case !s.accepted && !s.maybe && !s.notFound:
			o.Status = MoveFailed
		case res.After == nil:
			o.Status = MoveUnconfirmed
		case present[id]:
			o.Status = MoveStillPresent
		case s.accepted || s.maybe:
			o.Status, o.Err = MoveDone, nil
		default:
			o.Status = MoveNotOnline
		}
		res.Outcomes = append(res.Outcomes, o)
	}
	return res, nil
}

// moveBulk sends one batchMoveToWaitingRoom for chunk. It returns the pids
// still to be moved one by one (the endpoint is missing, or a strict server
// refused the batch for a pid that is not online), and a refusal that
// stops the whole request.
func (c *Client) moveBulk(ctx context.Context, res *MoveResult, st map[string]*moveState, chunk []string) (singles []string, whole error) {
	body, _ := json.Marshal(map[string][]string{"batchParticipants": chunk}) // cannot fail
	resp, _, err := c.controlCall(ctx, res.ConferenceID, apiCall{
		op: "batchMoveToWaitingRoom", method: http.MethodPut, path: pathBatchMoveToWaitingRoom,
	}, body)
	switch k := KindOf(err); {
	case err == nil:
		res.RequestIDs = append(res.RequestIDs, resp.requestID)
		for _, id := range chunk {
			st[id].accepted = true
		}
		return nil, nil
	case endpointMissing(err):
		if !c.bulkMoveMissing.Swap(true) {
			c.log.Info().Str("conference", res.ConferenceID).
				Msg("batchMoveToWaitingRoom is not available here; moving participants one by one from now on")
		}
		res.Bulk = false
		return chunk, nil
	case k == KindParticipantNotFound:
		// Strict: someone in chunk is not online. Move the others singly.
		r, rerr := c.Roster(ctx, res.ConferenceID)
		if rerr != nil {
			return chunk, nil
		}
		for _, id := range chunk {
			if _, online := r.ByID(id); online {
				singles = append(singles, id)
			} else {
				st[id].notFound, st[id].err = true, err
			}
		}
		return singles, nil
	case mayHaveApplied(k):
		for _, id := range chunk {
			st[id].maybe, st[id].err = true, err
		}
		return nil, nil
	default:
		markFailed(st, chunk, err)
		return nil, err
	}
}

// moveSingles sends one moveToWaitingRoom per pid. A failure that concerns
// one pid (not online, bad request) moves on to the next; any other stops
// the request, and is returned.
func (c *Client) moveSingles(ctx context.Context, res *MoveResult, st map[string]*moveState, ids []string) error {
	for i, id := range ids {
		body, _ := json.Marshal(map[string]string{"participantID": id}) // cannot fail
		resp, _, err := c.controlCall(ctx, res.ConferenceID, apiCall{
			op: "moveToWaitingRoom", method: http.MethodPut, path: pathMoveToWaitingRoom,
		}, body)
		s := st[id]
		switch k := KindOf(err); {
		case err == nil:
			s.accepted = true
			res.RequestIDs = append(res.RequestIDs, resp.requestID)
		case k == KindParticipantNotFound:
			s.notFound, s.err = true, err
		case k == KindBadRequest:
			s.err = err
		case mayHaveApplied(k):
			s.maybe, s.err = true, err
			markFailed(st, ids[i+1:], err)
			return err
		default:
			s.err = err
			markFailed(st, ids[i+1:], err)
			return err
		}
	}
	return nil
}

func markFailed(st map[string]*moveState, ids []string, err error) {
	for _, id := range ids {
		if s := st[id]; !s.accepted && !s.maybe && !s.notFound {
			s.err = err
		}
	}
}

func anyProgress(st map[string]*moveState) bool {
	for _, s := range st {
		if s.accepted || s.maybe || s.notFound {
			return true
		}
	}
	return false
}

// endpointMissing reports the gateway's answer for an API it does not have:
// 404 with APIGW.0101, or a bare 404 without Huawei's error body.
func endpointMissing(err error) bool {
	var e *Error
	if !errors.As(err, &e) {
		return false
	}
	return e.Kind == KindUnsupported || (e.Status == http.StatusNotFound && e.Code == "")
}

// AdmitResult is the outcome of Admit or AdmitAll.
type AdmitResult struct {
	ConferenceID string
	ID           string // the ID admitted; "" for AdmitAll
	// AlreadyIn: the server did not know ID as waiting, but the roster lists
	// it online (admitted by an earlier attempt whose reply was lost, or by
	// the host).
	AlreadyIn bool
	RequestID string
}

// Admit lets one person in from the waiting room: PUT
// allowWaitingParticipant {"participantID":id}. id should be the
// waiting-room ID from WaitingListNotify (Watch); the pid the person had
// before the move may be refused (UNCONFIRMED), as KindParticipantNotFound.
func (c *Client) Admit(ctx context.Context, conferenceID, id string) (*AdmitResult, error) {
	if err := validateConference("allowWaitingParticipant", conferenceID); err != nil {
		return nil, err
	}
	if err := validateParticipant("allowWaitingParticipant", 0, id); err != nil {
		return nil, err
	}
	body, _ := json.Marshal(map[string]string{"participantID": id}) // cannot fail
	res, err := c.allow(ctx, conferenceID, body)
	if err != nil {
		if KindOf(err) != KindParticipantNotFound {
			return nil, err
		}
		// Not waiting: perhaps already let in. Only the roster can tell.
		r, rerr := c.Roster(ctx, conferenceID)
		if rerr != nil {
			return nil, err
		}
		if _, in := r.ByID(id); !in {
			return nil, err
		}
		var e *Error
		res = &AdmitResult{ConferenceID: conferenceID, AlreadyIn: true}
		if errors.As(err, &e) {
			res.RequestID = e.RequestID
		}
	}
	res.ID = id
	return res, nil
}

// AdmitAll lets everyone in from the waiting room: PUT
// allowWaitingParticipant {"allowAll":true}.
func (c *Client) AdmitAll(ctx context.Context, conferenceID string) (*AdmitResult, error) {
	if err := validateConference("allowWaitingParticipant", conferenceID); err != nil {
		return nil, err
	}
	return c.allow(ctx, conferenceID, []byte(`{"allowAll":true}`))
}

func (c *Client) allow(ctx context.Context, conferenceID string, body []byte) (*AdmitResult, error) {
	resp, _, err := c.controlCall(ctx, conferenceID, apiCall{
		op: "allowWaitingParticipant", method: http.MethodPut, path: pathAllowWaiting,
	}, body)
	if err != nil {
		return nil, err
	}
	return &AdmitResult{ConferenceID: conferenceID, RequestID: resp.requestID}, nil
}
