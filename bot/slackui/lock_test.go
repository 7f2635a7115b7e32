package slackui

import (
	"testing"
	"time"
)

func TestParseLockActionIsStrict(t *testing.T) {
	good := EncodeLockValue(LockValue{Conference: "914083136", Duration: 15 * time.Minute})
	if v, err := ParseLockAction(ActionLock, good); err != nil || v.Conference != "914083136" || v.Duration != 15*time.Minute {
		t.Fatalf("ParseLockAction(lock, %q) = %+v, %v", good, v, err)
	}
	if v, err := ParseLockAction(ActionUnlock, "l1|914083136|0"); err != nil || v.Duration != 0 {
		t.Fatalf("unlock value refused: %+v, %v", v, err)
	}
	for _, tc := range []struct{ action, value string }{
		{ActionLock, "l1|914083136|5"},         // under 10 s
		{ActionLock, "l1|914083136|86401"},     // over 24 h
		{ActionLock, "l1|914083136|-60"},       // negative
		{ActionLock, "l1|914083136|0900"},      // not the canonical encoding
		{ActionLock, "l1|914083136|900|x"},     // extra field
		{ActionLock, "l2|914083136|900"},       // unknown version
		{ActionLock, "l1|91408<!here>|900"},    // not a meeting ID
		{ActionLock, "k1|914083136|||0|0|"},    // a list button's value
		{ActionUnlock, "l1|914083136|900"},     // unlock with a duration
		{ActionDisconnect, "l1|914083136|900"}, // wrong action
		{ActionLock, ""},
	} {
		if v, err := ParseLockAction(tc.action, tc.value); err == nil {
			t.Errorf("ParseLockAction(%s, %q) = %+v, want refused", tc.action, tc.value, v)
		}
	}
}
