// Package redistest gives tests a real Redis: a private redis-server on a
// free loopback port, in a temporary directory, stopped when the test ends;
// or the server REDIS_TEST_URL names.
//
// When redis-server is missing, a test skips and says why; when CI is set it
// fails instead, so a CI run can never pass with its Redis tests skipped.
package redistest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// EnvURL names a Redis server the tests use instead of starting their own
// (its keys are namespaced per test with Prefix, never flushed).
const EnvURL = "REDIS_TEST_URL"

// EnvServer names the redis-server binary; default: redis-server on PATH,
// then /usr/bin/redis-server.
const EnvServer = "REDIS_SERVER"

// startTimeout bounds how long a fresh redis-server may take to answer
// PING; it is minutes-long on purpose, for a loaded 2-core CI machine.
const startTimeout = 30 * time.Second

// Server is a redis-server this test started.
type Server struct {
	url  string
	addr string
	cmd  *exec.Cmd
	out  *bytes.Buffer

	once sync.Once
	done chan struct{} // closed once the process has been reaped
}

// URL is the server's redis:// URL.
func (s *Server) URL() string { return s.url }

// Addr is the server's host:port.
func (s *Server) Addr() string { return s.addr }

// URL returns a Redis URL for tb: REDIS_TEST_URL when set, otherwise a
// private server started for tb and stopped when tb ends.
func URL(tb testing.TB) string {
	tb.Helper()
	if u := os.Getenv(EnvURL); u != "" {
		return u
	}
	return Start(tb).URL()
}

// Prefix is a key prefix no other test (or run) shares, so tests can share
// one server.
func Prefix(tb testing.TB) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	name := strings.NewReplacer("/", ".", " ", "_").Replace(tb.Name())
	return "kickbot-test:" + name + ":" + hex.EncodeToString(b[:]) + ":"
}

// Start starts a private redis-server for tb (even when REDIS_TEST_URL is
// set: for tests that stop it). It is stopped when tb ends.
func Start(tb testing.TB) *Server {
	tb.Helper()
	bin, reason := serverBinary()
	if bin == "" {
		if ci() {
			tb.Fatalf("redis-server is required under CI=%s: %s", os.Getenv("CI"), reason)
		}
		tb.Skipf("skipping: needs a real Redis: %s; install redis-server (apt-get install redis-server) or set %s", reason, EnvURL)
	}
	var lastErr error
	// A free port can be taken between our probe and redis-server's bind:
	// try a few.
	for range 3 {
		s, err := start(tb, bin)
		if err == nil {
			tb.Cleanup(s.Stop)
			return s
		}
		lastErr = err
	}
	tb.Fatalf("start redis-server: %v", lastErr)
	return nil
}

func ci() bool {
	v := strings.ToLower(os.Getenv("CI"))
	return v != "" && v != "0" && v != "false"
}

func serverBinary() (string, string) {
	if p := os.Getenv(EnvServer); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Sprintf("%s=%s: %v", EnvServer, p, err)
		}
		return p, ""
	}
	if p, err := exec.LookPath("redis-server"); err == nil {
		return p, ""
	}
	if _, err := os.Stat("/usr/bin/redis-server"); err == nil {
		return "/usr/bin/redis-server", ""
	}
	return "", "redis-server is not on PATH nor at /usr/bin/redis-server"
}

func start(tb testing.TB, bin string) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	dir := tb.TempDir()
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	// No persistence, loopback only, no protected mode surprises: a
	// throwaway server for one test.
	cmd := exec.Command(bin,
		"--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--dir", dir, "--save", "", "--appendonly", "no",
		"--daemonize", "no", "--loglevel", "warning",
		"--logfile", filepath.Join(dir, "redis.log"))
	out := &bytes.Buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &Server{url: "redis://" + addr + "/0", addr: addr, cmd: cmd, out: out, done: make(chan struct{})}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait(); close(s.done) }() // reaps the process; ends when it exits
	if err := waitReady(addr, exited); err != nil {
		s.Stop()
		log, _ := os.ReadFile(filepath.Join(dir, "redis.log"))
		return nil, fmt.Errorf("%w; log: %s", err, bytes.TrimSpace(log))
	}
	return s, nil
}

// Stop ends the server and waits for it (idempotent): tests call it to
// take Redis away mid-test.
func (s *Server) Stop() {
	s.once.Do(func() {
		_ = s.cmd.Process.Kill()
		<-s.done
	})
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// waitReady polls until the server answers PING, it exits, or startTimeout.
func waitReady(addr string, exited <-chan error) error {
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	backoff := 5 * time.Millisecond
	for {
		if ping(ctx, addr) == nil {
			return nil
		}
		select {
		case err := <-exited:
			return fmt.Errorf("redis-server exited: %v", err)
		case <-ctx.Done():
			return fmt.Errorf("redis-server at %s did not answer PING within %s", addr, startTimeout)
		case <-time.After(backoff):
			backoff = min(2*backoff, 200*time.Millisecond)
		}
	}
}

func ping(ctx context.Context, addr string) error {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "+PONG") {
		return fmt.Errorf("PING answered %q", strings.TrimSpace(line))
	}
	return nil
}
