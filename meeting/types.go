// Package meeting is a client for the part of the Huawei Cloud Meeting REST API
// that disconnecting participants needs: authentication, the host password,
// the meeting control token, the live roster and the bulk hang-up — plus the
// keep-out controls (lock, waiting room, admit; keepout.go), the invite list
// (Roster.Attendees) and the conference WebSocket (Watch).
package meeting

import "time"

// State is where a participant is in joining the meeting (realTimeInfo's
// participants[].state).
type State int

// Participant states as realTimeInfo reports them.
const (
	StateInMeeting State = 0
	StateCalling   State = 1
	StateJoining   State = 2
)

// String names the state the way a moderator would say it.
func (s State) String() string {
	switch s {
	case StateInMeeting:
		return "in meeting"
	case StateCalling:
		return "being called"
	case StateJoining:
		return "joining"
	default:
		return "unknown"
	}
}

// Participant is one live participant (one device) of a running meeting.
type Participant struct {
	ID         string // pid: what HangUp takes
	Name       string // display name, untrusted text
	Phone      string // SIP/TEL number, may be empty
	State      State
	Video      bool
	Muted      bool
	HandRaised bool
	Host       bool // confInfo.chairID
	CoHost     bool // listed in confInfo.coHosts
	Anonymous  bool // pinfoMap ANONYMOUS; only the conference WebSocket carries it (see Watch)

	// UserUUID and AccountID identify the signed-in user behind this
	// participant, when realTimeInfo's entry carries them (the documented
	// fields do not: expect them empty); always empty for anonymous and
	// dial-in participants.
	UserUUID  string
	AccountID string

	// Only the conference WebSocket carries these (see Watch); a roster
	// read from realTimeInfo leaves them zero.
	JoinedAt time.Time // pinfoMap ADDTIME; zero when unknown
	Device   string    // pinfoMap CLICENT_LOGIN_TYPE: "Desktop", "Mobile", "Pad", "OtherType"; "" when unknown
}

// Protected reports whether the bot must never disconnect this participant.
func (p Participant) Protected() bool { return p.Host || p.CoHost }

// Roster is the live participant list of one conference at one moment.
type Roster struct {
	ConferenceID string
	Subject      string // from confDetail; empty when unknown
	Participants []Participant
	ReadAt       time.Time
	RequestID    string // Huawei's X-Request-ID of the realTimeInfo call

	// Attendees is the invite list (realTimeInfo attendees[]): people invited
	// at scheduling or by the host during the meeting, online or not
	// (ParticipantID is empty: realTimeInfo does not carry it; Phone may be
	// masked).
	// AttendeesKnown is false when the reply had no readable attendees array:
	// then nobody can be called uninvited.
	Attendees      []Attendee
	AttendeesKnown bool

	// find, when set, is an index of Participants by pid (the live roster
	// lent by Watcher.ReadRoster has one).
	find func(id string) (Participant, bool)
}

// ByID finds a participant by pid.
func (r *Roster) ByID(id string) (Participant, bool) {
	if r.find != nil {
		return r.find(id)
	}
	for _, p := range r.Participants {
		if p.ID == id {
			return p, true
		}
	}
	return Participant{}, false
}

// DisconnectResult says, per requested pid, whether the participant is really
// gone: HangUp returns no per-participant result, so the client re-reads the
// roster after the call.
type DisconnectResult struct {
	ConferenceID string
	Requested    []string // pids sent, de-duplicated, in request order
	Gone         []string // absent from the roster read after the call
	StillPresent []string // still in that roster
	RequestIDs   []string // X-Request-ID of each hang-up call (one per chunk)
	// After is the confirming roster read; nil when it failed. Confirmed
	// by a watched meeting's remove events (Watcher.Disconnect) it holds
	// the live roster's conference, subject and time, and no participants:
	// lending the whole roster to every kick would make the next remove
	// frame copy it.
	After *Roster
	// MaybeApplied: some hang-up was accepted, or failed in a way that may
	// still have disconnected people (see Disconnect). With After nil, the
	// requested participants may be gone: "not confirmed", never "failed".
	MaybeApplied bool
}
