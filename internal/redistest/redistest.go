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
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"math/big"
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
	url   string
	addr  string
	cmd   *exec.Cmd
	out   *bytes.Buffer
	roots *x509.CertPool // TLS only: trusts the server's certificate
	bin   string
	args  []string

	once sync.Once
	done chan struct{} // closed once the process has been reaped
}

// URL is the server's redis:// URL (rediss:// with TLS, with the password
// when there is one).
func (s *Server) URL() string { return s.url }

// RootCAs trusts a TLS server's self-signed certificate (nil without TLS).
func (s *Server) RootCAs() *x509.CertPool { return s.roots }

// Option configures Start.
type Option func(*serverConfig)

type serverConfig struct {
	tls      bool
	password string
}

// TLS makes the server speak TLS only, with a fresh self-signed
// certificate for 127.0.0.1.
func TLS() Option { return func(c *serverConfig) { c.tls = true } }

// Password makes the server require a password (requirepass).
func Password(p string) Option { return func(c *serverConfig) { c.password = p } }

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
func Start(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	var cfg serverConfig
	for _, o := range opts {
		o(&cfg)
	}
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
		s, err := start(tb, bin, cfg)
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

func start(tb testing.TB, bin string, cfg serverConfig) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	dir := tb.TempDir()
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	// No persistence, loopback only, no protected mode surprises: a
	// throwaway server for one test.
	args := []string{"--bind", "127.0.0.1",
		"--dir", dir, "--save", "", "--appendonly", "no",
		"--daemonize", "no", "--loglevel", "warning",
		"--logfile", filepath.Join(dir, "redis.log")}
	scheme, auth := "redis://", ""
	var roots *x509.CertPool
	if cfg.tls {
		cert, key, pool, err := selfSigned(dir)
		if err != nil {
			return nil, err
		}
		args = append(args, "--port", "0", "--tls-port", strconv.Itoa(port),
			"--tls-cert-file", cert, "--tls-key-file", key, "--tls-auth-clients", "no")
		scheme, roots = "rediss://", pool
	} else {
		args = append(args, "--port", strconv.Itoa(port))
	}
	if cfg.password != "" {
		args = append(args, "--requirepass", cfg.password)
		auth = ":" + cfg.password + "@"
	}
	cmd := exec.Command(bin, args...)
	out := &bytes.Buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &Server{url: scheme + auth + addr + "/0", addr: addr, cmd: cmd, out: out, roots: roots,
		bin: bin, args: args, done: make(chan struct{})}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait(); close(s.done) }() // reaps the process; ends when it exits
	if err := waitReady(addr, s.tlsConfig(), exited); err != nil {
		s.Stop()
		log, _ := os.ReadFile(filepath.Join(dir, "redis.log"))
		return nil, fmt.Errorf("%w; log: %s", err, bytes.TrimSpace(log))
	}
	return s, nil
}

func (s *Server) tlsConfig() *tls.Config {
	if s.roots == nil {
		return nil
	}
	return &tls.Config{RootCAs: s.roots, ServerName: "127.0.0.1"}
}

// Restart starts a stopped server again on the same address, empty (no
// persistence): Redis coming back after an outage.
func (s *Server) Restart(tb testing.TB) {
	tb.Helper()
	s.Stop()
	cmd := exec.Command(s.bin, s.args...)
	cmd.Stdout, cmd.Stderr = s.out, s.out
	if err := cmd.Start(); err != nil {
		tb.Fatalf("restart redis-server: %v", err)
	}
	done := make(chan struct{})
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait(); close(done) }() // reaps the process; ends when it exits
	s.cmd, s.done, s.once = cmd, done, sync.Once{}
	if err := waitReady(s.addr, s.tlsConfig(), exited); err != nil {
		s.Stop()
		tb.Fatalf("restart redis-server: %v", err)
	}
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
func waitReady(addr string, tlsCfg *tls.Config, exited <-chan error) error {
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	backoff := 5 * time.Millisecond
	for {
		if ping(ctx, addr, tlsCfg) == nil {
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

// ping sends PING; a server with a password answers NOAUTH, which also
// says it is up.
func ping(ctx context.Context, addr string, tlsCfg *tls.Config) error {
	var d net.Dialer
	var c net.Conn
	var err error
	if tlsCfg != nil {
		c, err = (&tls.Dialer{NetDialer: &d, Config: tlsCfg}).DialContext(ctx, "tcp", addr)
	} else {
		c, err = d.DialContext(ctx, "tcp", addr)
	}
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
	if !strings.HasPrefix(line, "+PONG") && !strings.HasPrefix(line, "-NOAUTH") {
		return fmt.Errorf("PING answered %q", strings.TrimSpace(line))
	}
	return nil
}

// selfSigned writes a fresh ECDSA certificate for 127.0.0.1 into dir and
// returns its files and a pool that trusts it.
func selfSigned(dir string) (certFile, keyFile string, pool *x509.CertPool, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", "", nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "redistest"},
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return "", "", nil, err
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return "", "", nil, err
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		return "", "", nil, err
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		return "", "", nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return "", "", nil, err
	}
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool, nil
}
