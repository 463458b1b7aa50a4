package client

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// testServer is a real srsr server (bun main.ts) on a free port, memory store.
type testServer struct {
	port    int
	timeout string
	https   *serverTLS
	// args are more flags, env more variables, for the server.
	args   []string
	env    []string
	URL    string
	cmd    *exec.Cmd
	exited chan struct{}
	output *lockedBuffer
}

// lockedBuffer collects the server's output while the test may read it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func freePort() (int, error) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer listener.Close()
	return listener.Addr().(*net.TCPAddr).Port, nil
}

// repoRoot is three levels up: go test runs in clients/go/client.
func repoRoot() (string, error) {
	return filepath.Abs(filepath.Join("..", "..", ".."))
}

// serverTLS makes a testServer serve HTTPS with a certificate and key (PEM files).
type serverTLS struct {
	certFile, keyFile string
	// transport trusts the CA that signed the certificate.
	transport http.RoundTripper
}

// launchServer starts srsr with `-t timeout` on port (a free one when 0) and waits until
// it answers.
func launchServer(port int, timeout string) (*testServer, error) {
	return launchServerWith(port, timeout, nil)
}

// launchServerWith is launchServer, serving HTTPS when https is not nil.
func launchServerWith(port int, timeout string, https *serverTLS) (*testServer, error) {
	return launch(&testServer{port: port, timeout: timeout, https: https})
}

// launch starts srsr as spec describes (port, timeout, https, args, env) and waits until it
// answers.
func launch(spec *testServer) (*testServer, error) {
	port, timeout, https := spec.port, spec.timeout, spec.https
	root, err := repoRoot()
	if err != nil {
		return nil, err
	}
	bun := filepath.Join(root, "node_modules", ".bin", "bun")
	if _, err := os.Stat(bun); err != nil {
		return nil, fmt.Errorf("the tests need the srsr server: %v (run npm install at the repository root)", err)
	}
	if port == 0 {
		if port, err = freePort(); err != nil {
			return nil, err
		}
	}
	s := &testServer{
		port:    port,
		timeout: timeout,
		https:   https,
		args:    spec.args,
		env:     spec.env,
		URL:     "http://127.0.0.1:" + strconv.Itoa(port),
		exited:  make(chan struct{}),
		output:  &lockedBuffer{},
	}
	args := []string{filepath.Join(root, "main.ts"), "-p", strconv.Itoa(port), "-t", timeout}
	if https != nil {
		s.URL = "https://127.0.0.1:" + strconv.Itoa(port)
		args = append(args, "--tls-cert", https.certFile, "--tls-key", https.keyFile)
	}
	args = append(args, spec.args...)
	s.cmd = exec.Command(bun, args...)
	s.cmd.Dir = root
	s.cmd.Env = append(os.Environ(), spec.env...)
	s.cmd.Stdout, s.cmd.Stderr = s.output, s.output
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", bun, err)
	}
	go func() {
		_ = s.cmd.Wait()
		close(s.exited)
	}()
	if err := s.waitUntilAnswering(15 * time.Second); err != nil {
		s.stop()
		return nil, err
	}
	return s, nil
}

func (s *testServer) waitUntilAnswering(limit time.Duration) error {
	probe := &http.Client{Timeout: time.Second}
	if s.https != nil {
		probe.Transport = s.https.transport
	}
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		select {
		case <-s.exited:
			return fmt.Errorf("srsr exited before answering: %s", s.output.String())
		default:
		}
		resp, err := probe.Post(s.URL+"/lookup", "application/json", strings.NewReader(`{"name":"probe"}`))
		if err == nil {
			resp.Body.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("srsr did not answer on %s within %s: %s", s.URL, limit, s.output.String())
}

func (s *testServer) stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(5 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
}

// startServer is launchServer for one test, stopped when the test ends.
func startServer(t *testing.T, timeout string) *testServer {
	t.Helper()
	s, err := launchServer(0, timeout)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.stop)
	return s
}

// restart stops the server and starts a fresh one on the same port and flags, so every
// registration is forgotten with the memory store, and kept with SQLite.
func (s *testServer) restart(t *testing.T) {
	t.Helper()
	s.stop()
	fresh, err := launch(s)
	if err != nil {
		t.Fatal(err)
	}
	*s = *fresh
}

// shared serves the tests that neither restart the server nor depend on its timeout.
var shared *testServer

func TestMain(m *testing.M) {
	var err error
	if shared, err = launchServer(0, "30"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	shared.stop()
	os.Exit(code)
}

// eventually polls condition until it holds or limit passes; generous limits keep slow
// machines from failing the tests, and fast ones return at once.
func eventually(t *testing.T, limit time.Duration, what string, condition func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !condition() {
		if time.Now().After(deadline) {
			t.Fatalf("%s did not happen within %s", what, limit)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// serviceName is unique per test, so tests sharing a server do not see each other.
func serviceName(t *testing.T) string {
	return strings.ReplaceAll(t.Name(), "/", "-")
}

func mustLookup(t *testing.T, c *Client, name string) (string, bool) {
	t.Helper()
	address, found, err := c.Lookup(name)
	if err != nil {
		t.Fatalf("Lookup(%q): %v", name, err)
	}
	return address, found
}

// errorsOf collects the background loop's errors for a test to inspect.
type errorsOf struct {
	mu   sync.Mutex
	list []*RetryError
}

func (e *errorsOf) handle(err error) {
	var retry *RetryError
	if !errors.As(err, &retry) {
		retry = &RetryError{Err: fmt.Errorf("not a *RetryError: %w", err)}
	}
	e.mu.Lock()
	e.list = append(e.list, retry)
	e.mu.Unlock()
}

func (e *errorsOf) snapshot() []*RetryError {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]*RetryError(nil), e.list...)
}

// kill ends the server with SIGKILL: no graceful shutdown, as when its machine dies.
func (s *testServer) kill() {
	_ = s.cmd.Process.Kill()
	<-s.exited
}
