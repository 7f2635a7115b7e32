package meeting

import (
	"context"
	"time"
)

// SetSleep replaces the wait between retries, so tests can record the waits
// (and skip them) instead of asserting on wall-clock time.
func SetSleep(c *Client, f func(ctx context.Context, d time.Duration) error) { c.sleep = f }
