package meeting

import (
	"slices"
	"testing"
)

func TestDecodeInviteList(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		want   []Attendee
		wantOK bool
	}{
		{"documented", `{"attendees":[{"accountID":"a","userUUID":"u","name":"N","phone":"+1"}]}`,
			[]Attendee{{AccountID: "a", UserUUID: "u", Name: "N", Phone: "+1"}}, true},
		{"accountId spelling, numbers as text", `{"attendees":[{"accountId":"a2","phone":8613700000000}]}`,
			[]Attendee{{AccountID: "a2", Phone: "8613700000000"}}, true},
		{"empty list is known", `{"attendees":[]}`, []Attendee{}, true},
		{"absent", `{"participants":[]}`, nil, false},
		{"null", `{"attendees":null}`, nil, false},
		{"not an array", `{"attendees":{"name":"x"}}`, nil, false},
		{"an entry not an object", `{"attendees":[{"name":"x"},"y"]}`, nil, false},
		{"a null entry", `{"attendees":[null]}`, nil, false},
		{"not JSON", `<html>`, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := decodeInviteList([]byte(tt.body))
			if ok != tt.wantOK || !slices.Equal(got, tt.want) {
				t.Fatalf("got %+v, %v; want %+v, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}
