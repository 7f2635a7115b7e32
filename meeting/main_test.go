package meeting_test

import (
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	// After failed dials (TestSharedControlTokenStoreDown) go-redis's pool
	// starts a prober that ends on its next wake after Close: the library's
	// goroutine, owned by the closed pool (as in redisstate's tests).
	goleak.VerifyTestMain(m, goleak.IgnoreAnyFunction("github.com/redis/go-redis/v9/internal/pool.(*ConnPool).tryDial"))
}
