package meetingtest

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
)

// randomHex returns n random bytes as lowercase hex. Tokens are random so a
// test can never pass by guessing or hard-coding one.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go ≥ 1.24)
	return hex.EncodeToString(b)
}

// requestID echoes the caller's X-Request-ID when it is a sane trace id, and
// otherwise makes one up, as Huawei does.
func requestID(in string) string {
	if in != "" && len(in) <= 128 {
		ok := true
		for i := 0; i < len(in) && ok; i++ {
			c := in[i]
			ok = c > 0x20 && c < 0x7f
		}
		if ok {
			return in
		}
	}
	return randomHex(16)
}

// stablePID derives a deterministic 32-hex pid, so generated participants keep
// their ids from run to run.
func stablePID(confID string, seq int) string {
	sum := sha256.Sum256([]byte("meetingtest/" + confID + "/" + strconv.Itoa(seq)))
	return hex.EncodeToString(sum[:16])
}

// stablePassword derives a deterministic 6-digit meeting password.
func stablePassword(confID, role string) string {
	sum := sha256.Sum256([]byte("meetingtest/password/" + role + "/" + confID))
	n := (uint32(sum[0])<<16 | uint32(sum[1])<<8 | uint32(sum[2])) % 1000000
	s := strconv.FormatUint(uint64(n), 10)
	for len(s) < 6 {
		s = "0" + s
	}
	return s
}
