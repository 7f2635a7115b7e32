package meeting

import (
	"bytes"
	"encoding/json"
)

// The invite list (meeting-api.md §14c): realTimeInfo's attendees[], each
// {accountID, userUUID, name, phone}. It decides who is "uninvited", and a
// sweep disconnects those, so a list that cannot be read is reported as
// unknown (AttendeesKnown false), never as empty: an empty list would make
// everyone online look uninvited.

type attendeeReply struct {
	AccountID  flexString `json:"accountID"`
	AccountID2 flexString `json:"accountId"` // AttendeesNotify's spelling
	UserUUID   flexString `json:"userUUID"`
	Name       flexString `json:"name"`
	Phone      flexString `json:"phone"`
}

// decodeInviteList reads attendees[] from a realTimeInfo reply. ok is false
// when the field is absent, null, not an array, or holds an entry that is
// not an object. An empty array is a known, empty invite list.
func decodeInviteList(body []byte) (list []Attendee, ok bool) {
	var r struct {
		Attendees json.RawMessage `json:"attendees"`
	}
	if decodeObject(body, &r) != nil || isNull(r.Attendees) || firstByte(r.Attendees) != '[' {
		return nil, false
	}
	var raw []json.RawMessage
	if json.Unmarshal(r.Attendees, &raw) != nil {
		return nil, false
	}
	list = make([]Attendee, 0, len(raw))
	for _, e := range raw {
		if b := bytes.TrimSpace(e); len(b) == 0 || b[0] != '{' {
			return nil, false
		}
		var a attendeeReply
		if json.Unmarshal(e, &a) != nil {
			return nil, false
		}
		acct := a.AccountID
		if acct == "" {
			acct = a.AccountID2
		}
		list = append(list, Attendee{
			AccountID: string(acct),
			UserUUID:  string(a.UserUUID),
			Name:      string(a.Name),
			Phone:     string(a.Phone),
		})
	}
	return list, true
}
