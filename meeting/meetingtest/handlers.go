package meetingtest

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
)

type passwordEntry struct {
	ConferenceRole string `json:"conferenceRole"`
	Password       string `json:"password"`
}

type conferenceInfo struct {
	ConferenceID    string          `json:"conferenceID"`
	Subject         string          `json:"subject"`
	ConferenceState string          `json:"conferenceState"`
	PasswordEntry   []passwordEntry `json:"passwordEntry"`
	ChairJoinURI    string          `json:"chairJoinUri"`
	GuestJoinURI    string          `json:"guestJoinUri"`
	UserUUID        string          `json:"userUUID"`
	ScheduserName   string          `json:"scheduserName"`
	VmrFlag         int             `json:"vmrFlag"`
	VmrConferenceID string          `json:"vmrConferenceID"`
}

type participantInfo struct {
	ParticipantID string `json:"participantID"`
	Name          string `json:"name"`
	Role          int    `json:"role"`
	State         string `json:"state"`
	AttendeeType  string `json:"attendeeType"`
	AccountID     string `json:"accountId"`
}

type pageParticipant struct {
	Data   []participantInfo `json:"data"`
	Offset int               `json:"offset"`
	Limit  int               `json:"limit"`
	Count  int               `json:"count"`
}

type confDetailReply struct {
	ConferenceData conferenceInfo  `json:"conferenceData"`
	Data           pageParticipant `json:"data"`
}

var stateNames = [...]string{stateScheduled: "Schedule", stateRunning: "Created", stateEnded: "Destroyed"}

// queryInt reads an optional integer query parameter within [lo, hi].
func queryInt(r *http.Request, name string, def, lo, hi int) (int, bool) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, true
	}
	n, err := strconv.Atoi(v)
	return n, err == nil && n >= lo && n <= hi
}

// handleConfDetail is ShowMeetingDetail (docs/meeting-api.md §6).
func (s *Server) handleConfDetail(w http.ResponseWriter, r *http.Request, _ []byte, _ error) {
	user, ok := s.accessUser(r)
	if !ok {
		writeError(w, errAccessToken)
		return
	}
	confID := r.URL.Query().Get("conferenceID")
	offset, okOff := queryInt(r, "offset", 0, 0, 1<<30)
	limit, okLim := queryInt(r, "limit", 20, 1, 500)
	if confID == "" || !okOff || !okLim {
		writeError(w, errBadRequest)
		return
	}
	s.mu.Lock()
	c, known := s.confs[confID]
	if !known {
		s.mu.Unlock()
		writeError(w, errConfData)
		return
	}
	reply := confDetailReply{
		ConferenceData: conferenceInfo{
			ConferenceID:    c.id,
			Subject:         c.subject,
			ConferenceState: stateNames[c.state],
			UserUUID:        c.scheduler,
			ScheduserName:   c.scheduler,
		},
		Data: pageParticipant{Data: []participantInfo{}, Offset: offset, Limit: limit, Count: len(c.invited)},
	}
	// The chair password only for the scheduler's token (or anyone, when no
	// scheduler was set); the guest password for everyone.
	if !c.schedulerSet || user == c.scheduler {
		reply.ConferenceData.PasswordEntry = append(reply.ConferenceData.PasswordEntry,
			passwordEntry{ConferenceRole: "chair", Password: c.hostPwd})
	}
	reply.ConferenceData.PasswordEntry = append(reply.ConferenceData.PasswordEntry,
		passwordEntry{ConferenceRole: "general", Password: c.guestPwd})
	for i := offset; i < len(c.invited) && i < offset+limit; i++ {
		a := c.invited[i]
		reply.Data.Data = append(reply.Data.Data, participantInfo{
			ParticipantID: a.phone, Name: a.name, Role: b2i(a.host), State: "MEETTING", AttendeeType: "normal",
		})
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, reply)
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// handleRealTimeInfo is ShowRealTimeInfoOfMeeting (docs/meeting-api.md §8a): only
// online participants; roles come from confInfo. O(participants): the lock
// covers a copy of the roster, the encoding happens outside it.
func (s *Server) handleRealTimeInfo(w http.ResponseWriter, r *http.Request, _ []byte, _ error) {
	s.mu.Lock()
	c, e := s.controlAuth(r)
	if e != nil {
		s.mu.Unlock()
		writeError(w, *e)
		return
	}
	invited := slices.Clone(c.invited)
	roster := slices.Clone(c.roster)
	chairID := ""
	if c.online(c.chairID) {
		chairID = c.chairID
	}
	coHosts := make([]string, 0, len(c.coHosts))
	for _, id := range c.coHosts {
		if c.online(id) {
			coHosts = append(coHosts, id)
		}
	}
	s.mu.Unlock()
	if s.maskPhones {
		for i := range roster {
			roster[i].Phone = MaskPhone(roster[i].Phone)
		}
		for i := range invited {
			invited[i].phone = MaskPhone(invited[i].phone)
		}
	}

	size := 96 + 64*len(coHosts)
	for _, a := range invited {
		size += 64 + len(a.name) + len(a.phone) + len(a.userUUID) + len(a.accountID)
	}
	for _, p := range roster {
		size += 128 + len(p.ID) + len(p.Name) + len(p.Phone) + len(p.UserUUID) + len(p.AccountID)
	}
	b := appendRealTime(make([]byte, 0, size), invited, roster, chairID, coHosts, s.rosterIDs)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

var errHangUpBody = errors.New("bulkHangUpParticipants must be a non-empty array of strings")

// parseHangUp decodes {"bulkHangUpParticipants":[pid,…]}; anything else is an
// error, never a panic.
func parseHangUp(body []byte) ([]string, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil {
		return nil, err
	}
	raw, ok := fields["bulkHangUpParticipants"]
	if !ok {
		return nil, errHangUpBody
	}
	var ids []string
	if err := json.Unmarshal(raw, &ids); err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, errHangUpBody
	}
	return ids, nil
}

// handleHangUp is HangUp (docs/meeting-api.md §9).
func (s *Server) handleHangUp(w http.ResponseWriter, r *http.Request, body []byte, bodyErr error) {
	ids, parseErr := parseHangUp(body)
	if bodyErr != nil {
		parseErr = bodyErr
	}
	s.mu.Lock()
	e := s.hangUp(r, ids, parseErr)
	s.mu.Unlock()
	if e != nil {
		writeError(w, *e)
		return
	}
	writeJSON(w, http.StatusOK, struct{}{})
}

// hangUp decides and applies a HangUp: all or nothing on any error; s.mu held.
func (s *Server) hangUp(r *http.Request, ids []string, parseErr error) *apiError {
	c, e := s.controlAuth(r)
	if e != nil {
		return e
	}
	if parseErr != nil || (s.hangUpLimit > 0 && len(ids) > s.hangUpLimit) {
		return fail(errBadRequest)
	}
	gone := make(map[string]bool, len(ids))
	for _, id := range ids {
		if s.strictHangUp && !c.online(id) {
			return fail(errNoParticipant)
		}
		if !s.hostHangUp && id == c.chairID && c.online(id) {
			return fail(errHostHangUp)
		}
		gone[id] = true
	}
	var left []string // announced on the WebSocket as removes
	for _, p := range c.roster {
		if gone[p.ID] && !p.Sticky {
			left = append(left, p.ID)
		}
	}
	c.remove(gone)
	s.listChanged(c, NotifyParticipants, nil, left)
	return nil
}
