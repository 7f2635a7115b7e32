package meeting

import (
	"cmp"
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

var attendeeFields = []string{"accountID", "accountId", "userUUID", "name", "phone"}

func (a *attendeeReply) field(i int) json.Unmarshaler {
	switch i {
	case 0:
		return &a.AccountID
	case 1:
		return &a.AccountID2
	case 2:
		return &a.UserUUID
	case 3:
		return &a.Name
	default:
		return &a.Phone
	}
}

// decodeInviteList reads attendees[] from a realTimeInfo reply (the roster
// reads it in decodeRealTime's one pass; this is for a reply on its own).
func decodeInviteList(body []byte) (list []Attendee, ok bool) {
	var top [1][]byte
	if decodeTop(body, []string{"attendees"}, top[:]) != nil {
		return nil, false
	}
	return decodeInviteArray(top[0])
}

// decodeInviteArray reads the raw attendees value of a valid reply. ok is
// false when it is absent, null, not an array, or holds an entry that is
// not an object. An empty array is a known, empty invite list.
func decodeInviteArray(raw []byte) (list []Attendee, ok bool) {
	if isNull(raw) || raw[0] != '[' {
		return nil, false
	}
	ok = true
	list = []Attendee{}
	eachElement(raw, 0, func(v []byte) bool {
		if v[0] != '{' {
			ok = false
			return false
		}
		var a attendeeReply
		eachMember(v, 0, func(key, v []byte) {
			if i := fieldIndex(attendeeFields, key); i >= 0 {
				_ = a.field(i).UnmarshalJSON(v) // never fails: tolerant fields
			}
		})
		list = append(list, Attendee{
			AccountID: string(cmp.Or(a.AccountID, a.AccountID2)),
			UserUUID:  string(a.UserUUID),
			Name:      string(a.Name),
			Phone:     string(a.Phone),
		})
		return true
	})
	if !ok {
		return nil, false
	}
	return list, true
}
