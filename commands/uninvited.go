package commands

import (
	"time"

	"github.com/kickbot/kickbot/meeting"
)

// UninvitedView is who is online but not on the meeting's invite list.
type UninvitedView struct {
	Conference string
	Subject    string
	ReadAt     time.Time
	// Known is false when the invite list could not be read: then nobody
	// is called uninvited and nothing may be swept.
	Known bool
	// Uninvited: online, not the host or a co-host, matched by nobody on
	// the invite list although they carry a user ID or a full phone number
	// to match by. In roster order.
	Uninvited []meeting.Participant
	// CannotTell: online, unmatched, with neither a user ID nor a usable
	// phone number (anonymous, masked number): shown apart, never swept.
	CannotTell []meeting.Participant
	Invited    int // online and matched (the host and co-hosts count here)
}

// Uninvited sorts the roster's participants against its invite list
// (meeting-api.md §14c). A participant is invited when a user ID
// (UserUUID or AccountID) they carry equals an invitee's, or else when
// their full phone number equals an invitee's, both normalised as Resolve
// does ("+86 138-0000-0000" = "8613800000000"); a masked number matches
// nothing. Whether Huawei writes the same person's number the same way on
// both lists (SIP "+9911…" against E.164) is UNCONFIRMED: a mismatch shows
// an invited person as uninvited, which a moderator sees before clicking.
func Uninvited(r *meeting.Roster) UninvitedView {
	v := UninvitedView{}
	if r == nil {
		return v
	}
	v.Conference, v.Subject, v.ReadAt, v.Known = r.ConferenceID, r.Subject, r.ReadAt, r.AttendeesKnown
	if !r.AttendeesKnown {
		return v
	}
	uuids, accounts, phones := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, a := range r.Attendees {
		if a.UserUUID != "" {
			uuids[a.UserUUID] = true
		}
		if a.AccountID != "" {
			accounts[a.AccountID] = true
		}
		if d := fullPhone(a.Phone); d != "" {
			phones[d] = true
		}
	}
	for _, p := range r.Participants {
		phone := fullPhone(p.Phone)
		switch {
		case p.Protected(),
			p.UserUUID != "" && uuids[p.UserUUID],
			p.AccountID != "" && accounts[p.AccountID],
			phone != "" && phones[phone]:
			v.Invited++
		case p.UserUUID == "" && p.AccountID == "" && phone == "":
			v.CannotTell = append(v.CannotTell, p)
		default:
			v.Uninvited = append(v.Uninvited, p)
		}
	}
	return v
}

// fullPhone is a phone number's digits, or "" for a number that is empty,
// masked or not a plain number (a SIP URI).
func fullPhone(s string) string {
	if maskedPhone(s) {
		return ""
	}
	return phoneDigits(s)
}

// Sweepable is who one "Disconnect all" takes: the first max uninvited
// limit people (KICK_MAX_SWEEP), and how many are left out.
func (v UninvitedView) Sweepable(limit int) (take []meeting.Participant, left int) {
	n := min(max(limit, 0), len(v.Uninvited))
	return v.Uninvited[:n], len(v.Uninvited) - n
}
