package meetingtest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
)

// Keep-out controls (meeting-api.md §14a): lock and unlock, the waiting room
// (move one, move many, admit one or all). They share one lock state and one
// waiting room with the WebSocket side (ws.go): a REST call changes the same
// state the driver methods (SetLocked, MoveToWaitingRoom, Admit) change, and
// pushes the same frames.
//
// Where §14a is silent, each plausible answer has a switch:
// WithRepeatLock (locking a locked meeting succeeds or is refused),
// WithBulkWaitingRoom (batchMoveToWaitingRoom exists or answers 404
// APIGW.0101, as on servers older than the 2025 API), WithStrictMove (an
// unknown pid in a move fails the whole call or is ignored),
// WithWaitingRoomIDs (whether a waiting-room ID is the pid the person had,
// and whether admitting by that pid is accepted) and WithRosterUserIDs
// (whether realTimeInfo's participants carry userUUID/accountID).

// Endpoints of the keep-out controls (for FailNext, Hold, SetLatency, records).
const (
	EndpointLock                   Endpoint = "lock"                    // PUT lock
	EndpointMoveToWaitingRoom      Endpoint = "moveToWaitingRoom"       // PUT moveToWaitingRoom
	EndpointBatchMoveToWaitingRoom Endpoint = "batchMoveToWaitingRoom"  // PUT batchMoveToWaitingRoom
	EndpointAllowWaiting           Endpoint = "allowWaitingParticipant" // PUT allowWaitingParticipant
)

// Paths of the keep-out controls.
const (
	PathLock                   = "/v1/mmc/control/conferences/lock"
	PathMoveToWaitingRoom      = "/v1/mmc/control/conferences/moveToWaitingRoom"
	PathBatchMoveToWaitingRoom = "/v1/mmc/control/conferences/batchMoveToWaitingRoom"
	PathAllowWaiting           = "/v1/mmc/control/conferences/allowWaitingParticipant"
)

// RepeatLock is what a lock of a locked meeting (or an unlock of an
// unlocked one) gets: undocumented upstream.
type RepeatLock int

const (
	// RepeatLockAccepted: 200, nothing changes, no frame. The default.
	RepeatLockAccepted RepeatLock = iota
	// RepeatLockRefused: a lock of a locked meeting gets 400 MMC.111072050
	// CONF_LOCKED; an unlock of an unlocked one 400 MMC.111070001
	// CONF_BAD_REQUEST (no specific code is known for it).
	RepeatLockRefused
)

// WaitingIDs is how waiting-room IDs relate to participant IDs. The docs say
// waiting-room IDs come only from WaitingListNotify; whether they equal the
// pid the person had, and whether allowWaitingParticipant accepts that pid,
// is undocumented.
type WaitingIDs int

const (
	// WaitingIDIsPID: someone moved to the waiting room keeps their pid as
	// the waiting-room ID. The default.
	WaitingIDIsPID WaitingIDs = iota
	// WaitingIDNewAdmitByPID: the waiting room gives a new ID, and admitting
	// by the pid the person had is accepted too.
	WaitingIDNewAdmitByPID
	// WaitingIDNewStrict: the waiting room gives a new ID, and admitting by
	// the old pid is refused with 400 MMC.111072008, as any unknown ID.
	WaitingIDNewStrict
)

// WithRepeatLock selects what a lock that changes nothing gets.
func WithRepeatLock(m RepeatLock) Option { return func(s *Server) { s.repeatLock = m } }

// WithBulkWaitingRoom says whether batchMoveToWaitingRoom exists (default
// true). When false the path answers like any unknown API: 404
// APIGW.0101, and calls to it are recorded with an empty Endpoint.
func WithBulkWaitingRoom(available bool) Option {
	return func(s *Server) { s.noBulkMove = !available }
}

// WithStrictMove selects how a move to the waiting room treats a pid that is
// not online. Strict: the whole call fails with 400 MMC.111072008 and
// nobody moves. Lenient (the default, like HangUp): known pids move,
// unknown ones are ignored, 200.
func WithStrictMove(strict bool) Option { return func(s *Server) { s.strictMove = strict } }

// WithWaitingRoomIDs selects how waiting-room IDs relate to pids; default
// WaitingIDIsPID.
func WithWaitingRoomIDs(m WaitingIDs) Option { return func(s *Server) { s.waitIDs = m } }

// WithRosterUserIDs makes realTimeInfo's participants[] carry userUUID and
// accountID (empty for anonymous and dial-in participants). The documented
// fields (§8a, §14b) do not include them, so the default is without.
func WithRosterUserIDs(on bool) Option { return func(s *Server) { s.rosterIDs = on } }

var (
	errConfLocked = apiError{http.StatusBadRequest, CodeConfLocked, "CONF_LOCKED"}
	errNotLocked  = apiError{http.StatusBadRequest, CodeBadRequest, "CONF_BAD_REQUEST"}
)

// setLocked changes the lock and announces a change; s.mu held.
func (s *Server) setLocked(c *conference, locked bool) {
	lc := s.live(c.id)
	if lc.locked == locked {
		return
	}
	lc.locked = locked
	s.dynamicChanged(c)
}

// Locked reports whether conf is locked.
func (s *Server) Locked(confID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.live(confID).locked
}

// WaitingID returns the waiting-room ID of the person who had pid, if they
// are in conf's waiting room.
func (s *Server) WaitingID(confID, pid string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	lc := s.live(confID)
	for _, w := range lc.waiting {
		if (w.ID == pid && lc.waitOrig[w.ID] == "") || lc.waitOrig[w.ID] == pid {
			return w.ID, true
		}
	}
	return "", false
}

// waitingID derives a deterministic waiting-room ID, distinct from pids.
func waitingID(confID string, seq int) string {
	sum := sha256.Sum256([]byte("meetingtest/waiting/" + confID + "/" + strconv.Itoa(seq)))
	return hex.EncodeToString(sum[:16])
}

// moveToWaiting moves pid from the roster to the waiting room and returns
// its waiting-room ID; ok is false when pid is not online. A sticky
// participant ignores the REST move (force false) but not the host's own
// client (force true). s.mu held.
func (s *Server) moveToWaiting(c *conference, pid string, force bool) (wid string, ok bool) {
	i, online := c.index[pid]
	if !online {
		return "", false
	}
	p := c.roster[i]
	if p.Sticky && !force {
		return "", true
	}
	c.roster = slices.Delete(c.roster, i, i+1)
	c.reindex()
	s.listChanged(c, NotifyParticipants, nil, []string{pid})
	lc := s.live(c.id)
	w := p
	if s.waitIDs != WaitingIDIsPID {
		c.seq++
		w.ID = waitingID(c.id, c.seq)
		if lc.waitOrig == nil {
			lc.waitOrig = map[string]string{}
		}
		lc.waitOrig[w.ID] = pid
	}
	lc.waiting = append(lc.waiting, w)
	s.listChanged(c, NotifyWaitingList, []P{w}, nil)
	return w.ID, true
}

// admit lets the waiting person with id back in, under the pid they had;
// s.mu held.
func (s *Server) admit(c *conference, id string) bool {
	lc := s.live(c.id)
	i := slices.IndexFunc(lc.waiting, func(w P) bool { return w.ID == id })
	if i < 0 && s.waitIDs == WaitingIDNewAdmitByPID {
		i = slices.IndexFunc(lc.waiting, func(w P) bool { return lc.waitOrig[w.ID] == id })
	}
	if i < 0 {
		return false
	}
	w := lc.waiting[i]
	lc.waiting = slices.Delete(lc.waiting, i, i+1)
	s.listChanged(c, NotifyWaitingList, nil, []string{w.ID})
	p := w
	if orig, ok := lc.waitOrig[w.ID]; ok {
		p.ID = orig
		delete(lc.waitOrig, w.ID)
	}
	p = c.join(p)
	s.listChanged(c, NotifyParticipants, []P{p}, nil)
	return true
}

// --- REST handlers ------------------------------------------------------------

// decodeFields reads a JSON object body into its raw fields.
func decodeFields(body []byte, bodyErr error) (map[string]json.RawMessage, error) {
	if bodyErr != nil {
		return nil, bodyErr
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil {
		return nil, err
	}
	if fields == nil {
		return nil, errors.New("body is not an object")
	}
	return fields, nil
}

// handleLock is LockMeeting: PUT lock {"isLock":1|0}.
func (s *Server) handleLock(w http.ResponseWriter, r *http.Request, body []byte, bodyErr error) {
	var lock int
	fields, err := decodeFields(body, bodyErr)
	if err == nil {
		raw, ok := fields["isLock"]
		if !ok || json.Unmarshal(raw, &lock) != nil || (lock != 0 && lock != 1) {
			err = errors.New("isLock must be 0 or 1")
		}
	}
	s.mu.Lock()
	e := s.lock(r, lock == 1, err)
	s.mu.Unlock()
	if e != nil {
		writeError(w, *e)
		return
	}
	writeJSON(w, http.StatusOK, struct{}{})
}

func (s *Server) lock(r *http.Request, locked bool, parseErr error) *apiError {
	c, e := s.controlAuth(r)
	if e != nil {
		return e
	}
	if parseErr != nil {
		return fail(errBadRequest)
	}
	if s.live(c.id).locked == locked && s.repeatLock == RepeatLockRefused {
		if locked {
			return fail(errConfLocked)
		}
		return fail(errNotLocked)
	}
	s.setLocked(c, locked)
	return nil
}

// handleMove is MoveToWaitingRoom: PUT moveToWaitingRoom {"participantID":pid}.
func (s *Server) handleMove(w http.ResponseWriter, r *http.Request, body []byte, bodyErr error) {
	var pid string
	fields, err := decodeFields(body, bodyErr)
	if err == nil {
		if json.Unmarshal(fields["participantID"], &pid) != nil || pid == "" {
			err = errors.New("participantID must be a non-empty string")
		}
	}
	s.moveReply(w, r, []string{pid}, err)
}

// handleBatchMove is BatchMoveToWaitingRoom: PUT batchMoveToWaitingRoom
// {"batchParticipants":[pid,…]}.
func (s *Server) handleBatchMove(w http.ResponseWriter, r *http.Request, body []byte, bodyErr error) {
	var ids []string
	fields, err := decodeFields(body, bodyErr)
	if err == nil {
		if json.Unmarshal(fields["batchParticipants"], &ids) != nil || len(ids) == 0 || slices.Contains(ids, "") {
			err = errors.New("batchParticipants must be a non-empty array of pids")
		}
	}
	s.moveReply(w, r, ids, err)
}

func (s *Server) moveReply(w http.ResponseWriter, r *http.Request, ids []string, parseErr error) {
	s.mu.Lock()
	e := s.move(r, ids, parseErr)
	s.mu.Unlock()
	if e != nil {
		writeError(w, *e)
		return
	}
	writeJSON(w, http.StatusOK, struct{}{})
}

// move decides and applies a move: all or nothing on any error; s.mu held.
func (s *Server) move(r *http.Request, ids []string, parseErr error) *apiError {
	c, e := s.controlAuth(r)
	if e != nil {
		return e
	}
	if parseErr != nil {
		return fail(errBadRequest)
	}
	if s.strictMove {
		for _, id := range ids {
			if !c.online(id) {
				return fail(errNoParticipant)
			}
		}
	}
	for _, id := range ids {
		s.moveToWaiting(c, id, false)
	}
	return nil
}

// handleAllowWaiting is AllowWaitingParticipant: PUT allowWaitingParticipant
// {"participantID":id} or {"allowAll":true}.
func (s *Server) handleAllowWaiting(w http.ResponseWriter, r *http.Request, body []byte, bodyErr error) {
	var id string
	var all bool
	fields, err := decodeFields(body, bodyErr)
	if err == nil {
		rawID, hasID := fields["participantID"]
		rawAll, hasAll := fields["allowAll"]
		switch {
		case hasAll && (json.Unmarshal(rawAll, &all) != nil || !all):
			err = errors.New("allowAll must be true")
		case hasID && (json.Unmarshal(rawID, &id) != nil || id == ""):
			err = errors.New("participantID must be a non-empty string")
		case hasID == hasAll:
			err = errors.New("give participantID or allowAll")
		}
	}
	s.mu.Lock()
	e := s.allow(r, id, all, err)
	s.mu.Unlock()
	if e != nil {
		writeError(w, *e)
		return
	}
	writeJSON(w, http.StatusOK, struct{}{})
}

func (s *Server) allow(r *http.Request, id string, all bool, parseErr error) *apiError {
	c, e := s.controlAuth(r)
	if e != nil {
		return e
	}
	if parseErr != nil {
		return fail(errBadRequest)
	}
	if all {
		for _, w := range slices.Clone(s.live(c.id).waiting) {
			s.admit(c, w.ID)
		}
		return nil
	}
	if !s.admit(c, id) {
		return fail(errNoParticipant)
	}
	return nil
}
