package commands

import (
	"fmt"
	"testing"
)

func TestAuthorize(t *testing.T) {
	base := Policy{Channels: map[string]bool{"C1": true, "C2": true}}
	users := Policy{Channels: base.Channels, Users: map[string]bool{"UMOD": true}}
	groups := Policy{Channels: base.Channels, Usergroups: []string{"SMODS", "SOPS"}}
	both := Policy{Channels: base.Channels, Users: map[string]bool{"UMOD": true}, Usergroups: []string{"SMODS"}}
	confs := Policy{Channels: base.Channels, Conferences: map[string][]string{"C1": {"914083136"}, "C2": {}}}

	tests := []struct {
		name     string
		p        Policy
		s        Subject
		conf     string
		wantCode string // "" = allowed
	}{
		{"listed channel, no user restriction", base, Subject{UserID: "U1", ChannelID: "C1"}, "1", ""},
		{"DM flag", base, Subject{UserID: "U1", ChannelID: "C1", IsDM: true}, "1", DeniedDM},
		{"DM channel ID", base, Subject{UserID: "U1", ChannelID: "D123"}, "1", DeniedDM},
		{"DM channel even if listed", Policy{Channels: map[string]bool{"D1": true}}, Subject{UserID: "U1", ChannelID: "D1"}, "1", DeniedDM},
		{"unlisted channel", base, Subject{UserID: "U1", ChannelID: "C9"}, "1", DeniedChannel},
		{"empty channel ID", base, Subject{UserID: "U1"}, "1", DeniedChannel},
		{"empty policy refuses all", Policy{}, Subject{UserID: "U1", ChannelID: "C1"}, "1", DeniedChannel},
		{"channel listed as false", Policy{Channels: map[string]bool{"C1": false}}, Subject{UserID: "U1", ChannelID: "C1"}, "1", DeniedChannel},
		{"no user ID", base, Subject{ChannelID: "C1"}, "1", DeniedUser},
		{"listed user", users, Subject{UserID: "UMOD", ChannelID: "C1"}, "1", ""},
		{"unlisted user", users, Subject{UserID: "U2", ChannelID: "C1"}, "1", DeniedUser},
		{"user list ignores groups", users, Subject{UserID: "U2", ChannelID: "C1", Groups: map[string]bool{"SMODS": true}}, "1", DeniedUser},
		{"group member", groups, Subject{UserID: "U2", ChannelID: "C1", Groups: map[string]bool{"SOPS": true}}, "1", ""},
		{"group non-member", groups, Subject{UserID: "U2", ChannelID: "C1", Groups: map[string]bool{}}, "1", DeniedUser},
		{"group listed as false", groups, Subject{UserID: "U2", ChannelID: "C1", Groups: map[string]bool{"SMODS": false}}, "1", DeniedUser},
		{"member of an unconfigured group", groups, Subject{UserID: "U2", ChannelID: "C1", Groups: map[string]bool{"SOTHER": true}}, "1", DeniedUser},
		{"group lookup failed", groups, Subject{UserID: "U2", ChannelID: "C1"}, "1", DeniedLookupFailed},
		{"listed user needs no lookup", both, Subject{UserID: "UMOD", ChannelID: "C1"}, "1", ""},
		{"unlisted user, lookup failed", both, Subject{UserID: "U2", ChannelID: "C1"}, "1", DeniedLookupFailed},
		{"unlisted user, group member", both, Subject{UserID: "U2", ChannelID: "C1", Groups: map[string]bool{"SMODS": true}}, "1", ""},
		{"allowed conference", confs, Subject{UserID: "U1", ChannelID: "C1"}, "914083136", ""},
		{"other conference", confs, Subject{UserID: "U1", ChannelID: "C1"}, "111111111", DeniedConference},
		{"empty conference list allows none", confs, Subject{UserID: "U1", ChannelID: "C2"}, "914083136", DeniedConference},
		{"empty conference with restriction", confs, Subject{UserID: "U1", ChannelID: "C1"}, "", DeniedConference},
		{"unrestricted channel", Policy{Channels: map[string]bool{"C1": true, "C3": true}, Conferences: confs.Conferences},
			Subject{UserID: "U1", ChannelID: "C3"}, "111111111", ""},
		{"user checked before conference", Policy{Channels: base.Channels, Users: users.Users, Conferences: confs.Conferences},
			Subject{UserID: "U2", ChannelID: "C1"}, "111111111", DeniedUser},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Authorize(tt.p, tt.s, tt.conf)
			if got.Code != tt.wantCode || got.Allowed != (tt.wantCode == "") {
				t.Fatalf("Authorize() = %+v, want code %q (allowed %v)", got, tt.wantCode, tt.wantCode == "")
			}
			if !got.Allowed && got.Reason == "" {
				t.Errorf("refusal without a reason for the user: %+v", got)
			}
			if got.Allowed && got.Reason != "" {
				t.Errorf("allowed decision with a refusal reason: %+v", got)
			}
		})
	}
}

// TestAuthorizeExhaustive checks every combination of the inputs against an
// independent statement of the rules, so that no combination fails open.
func TestAuthorizeExhaustive(t *testing.T) {
	channels := []string{"", "C1", "C9", "D1", "G1"}
	policyChannels := []map[string]bool{nil, {}, {"C1": true, "D1": true, "G1": true}}
	userLists := []map[string]bool{nil, {"UMOD": true}}
	groupLists := [][]string{nil, {"SMODS"}}
	memberships := []map[string]bool{nil, {}, {"SMODS": true}, {"SOTHER": true}}
	conferenceRules := []map[string][]string{nil, {"C1": {"914083136"}}, {"C1": {}}}
	userIDs := []string{"", "UMOD", "U2"}
	conferences := []string{"914083136", "111"}

	n := 0
	for _, pc := range policyChannels {
		for _, ul := range userLists {
			for _, gl := range groupLists {
				for _, cr := range conferenceRules {
					p := Policy{Channels: pc, Users: ul, Usergroups: gl, Conferences: cr}
					for _, ch := range channels {
						for _, dm := range []bool{false, true} {
							for _, uid := range userIDs {
								for _, m := range memberships {
									for _, conf := range conferences {
										s := Subject{UserID: uid, ChannelID: ch, IsDM: dm, Groups: m}
										got := Authorize(p, s, conf)
										want := oracle(p, s, conf)
										n++
										if got.Allowed != want {
											t.Errorf("Authorize(%s) allowed = %v, want %v (%+v)", describe(p, s, conf), got.Allowed, want, got)
										}
										if got.Allowed == (got.Code != "") || !got.Allowed && got.Reason == "" {
											t.Errorf("Authorize(%s) = %+v: inconsistent decision", describe(p, s, conf), got)
										}
									}
								}
							}
						}
					}
				}
			}
		}
	}
	t.Logf("checked %d combinations", n)
}

// oracle restates the policy as a conjunction of requirements.
func oracle(p Policy, s Subject, conf string) bool {
	notDM := !s.IsDM && (s.ChannelID == "" || s.ChannelID[0] != 'D')
	channelOK := s.ChannelID != "" && p.Channels[s.ChannelID]
	restricted := len(p.Users) > 0 || len(p.Usergroups) > 0
	inGroup := false
	for _, g := range p.Usergroups {
		inGroup = inGroup || s.Groups[g]
	}
	userOK := s.UserID != "" && (!restricted || p.Users[s.UserID] || inGroup)
	confOK := true
	if list, ok := p.Conferences[s.ChannelID]; ok {
		confOK = false
		for _, c := range list {
			confOK = confOK || c == conf
		}
	}
	return notDM && channelOK && userOK && confOK
}

func describe(p Policy, s Subject, conf string) string {
	return fmt.Sprintf("channels=%v users=%v groups=%v confs=%v; subject=%+v; conf=%s",
		p.Channels, p.Users, p.Usergroups, p.Conferences, s, conf)
}
