package redisstate_test

import (
	"strings"
	"testing"

	"github.com/kickbot/kickbot/redisstate"
)

func TestOpenRedactsPassword(t *testing.T) {
	_, err := redisstate.Open("redis://user:hunter2@127.0.0.1:6379/notadb")
	if err == nil {
		t.Fatal("Open accepted a bad database number")
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("error leaks the password: %v", err)
	}
	if _, err := redisstate.Open("rediss://:pw@redis.example:6380/2"); err != nil {
		t.Fatalf("rediss URL with password: %v", err)
	}
}
