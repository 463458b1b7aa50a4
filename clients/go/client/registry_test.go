package client

import (
	"context"
	"crypto/x509"
	"errors"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestNewRegistryRefusesAConfigThatCannotWork(t *testing.T) {
	cases := map[string]Config{
		"no servers":            {},
		"not a URL":             {Servers: []string{"localhost:4214"}},
		"another scheme":        {Servers: []string{"ftp://127.0.0.1"}},
		"missing CA file":       {Servers: []string{"https://127.0.0.1"}, CAFile: "/nonexistent/ca.pem"},
		"backoff max < initial": {Servers: []string{"http://127.0.0.1"}, InitialBackoff: time.Second, MaxBackoff: time.Millisecond},
	}
	for name, config := range cases {
		if _, err := NewRegistry(config); err == nil || !strings.HasPrefix(err.Error(), "srsr: ") {
			t.Errorf("%s: NewRegistry error = %v; want one saying what is wrong", name, err)
		}
	}
}

func TestEveryCallToAnUnreachableRegistryIsAnErrorNamingTheRequest(t *testing.T) {
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	registry, _ := newRegistry(t, Config{Servers: []string{"http://127.0.0.1:" + strconv.Itoa(port)}})
	ctx := context.Background()
	instances, registration := registry.Instances(), registry.Registration()
	calls := map[string]func() error{
		"Register":   func() error { _, err := registration.Register(ctx, "x", RegisterOptions{}); return err },
		"Heartbeat":  func() error { _, err := registration.Heartbeat(ctx, "id"); return err },
		"UpdateMeta": func() error { _, err := registration.UpdateMeta(ctx, "id", nil, "k"); return err },
		"Deregister": func() error { _, err := registration.Deregister(ctx, "id"); return err },
		"Get":        func() error { _, err := instances.Get(ctx, "id"); return err },
		"List":       func() error { _, err := instances.List(ctx, "x", nil); return err },
		"Pick":       func() error { _, err := instances.Pick(ctx, "x", nil); return err },
		"Services":   func() error { _, err := instances.Services(ctx); return err },
	}
	for name, call := range calls {
		err := call()
		var network *url.Error
		if !errors.As(err, &network) || !strings.Contains(err.Error(), strconv.Itoa(port)+"/v1/") {
			t.Errorf("%s = %v; want a *url.Error naming the request", name, err)
		}
	}
}

func TestATokenIsSentAsABearerAndItsAbsenceIsA401(t *testing.T) {
	server, err := launch(&testServer{timeout: "30", env: []string{"SRSR_TOKEN=go-client-test-token"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(server.stop)
	ctx := context.Background()
	name := serviceName(t)

	anonymous, _ := newRegistry(t, Config{Servers: []string{server.URL}})
	_, err = anonymous.Registration().Register(ctx, name, RegisterOptions{Address: "10.0.7.1:80"})
	var status *StatusError
	if !errors.As(err, &status) || status.StatusCode != 401 {
		t.Errorf("Register without the token = %v; want a 401 *StatusError", err)
	}
	if event := nextEvent(t, anonymous.Events().Watch(ctx, name)); event.Type != EventError || !errors.As(event.Err, &status) || status.StatusCode != 401 {
		t.Errorf("Watch without the token = %+v; want an EventError carrying a 401", event)
	}

	trusted, _ := newRegistry(t, Config{Servers: []string{server.URL}, Token: "go-client-test-token"})
	instance, err := trusted.Registration().Register(ctx, name, RegisterOptions{Address: "10.0.7.1:80"})
	if err != nil {
		t.Fatalf("Register with the token: %v", err)
	}
	if listed, err := trusted.Instances().List(ctx, name, nil); err != nil || len(listed) != 1 || listed[0].ID != instance.ID {
		t.Errorf("List with the token = %+v, %v; want the instance", listed, err)
	}
}

func TestHTTPSWithTheCAFileGivenAndRefusedWithTheSystemsCAs(t *testing.T) {
	ca := newTestCA(t)
	transport := ca.transport()
	defer transport.CloseIdleConnections()
	server, err := launchServerWith(0, "30", &serverTLS{certFile: ca.certFile, keyFile: ca.keyFile, transport: transport})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(server.stop)
	ctx := context.Background()
	name := serviceName(t)

	trusting, _ := newRegistry(t, Config{Servers: []string{server.URL}, CAFile: ca.caFile})
	instance, err := trusting.Registration().Register(ctx, name, RegisterOptions{Address: "10.0.8.1:443"})
	if err != nil {
		t.Fatalf("Register over HTTPS with the CA file: %v", err)
	}
	if picked, err := trusting.Instances().Pick(ctx, name, nil); err != nil || picked == nil || picked.ID != instance.ID {
		t.Errorf("Pick over HTTPS = %+v, %v; want the instance", picked, err)
	}
	watching, stop := context.WithCancel(ctx)
	defer stop()
	if event := nextEvent(t, trusting.Events().Watch(watching, name)); event.Type != EventSnapshot || len(event.Instances) != 1 {
		t.Errorf("Watch over HTTPS = %+v; want a snapshot of the instance", event)
	}

	untrusting, _ := newRegistry(t, Config{Servers: []string{server.URL}})
	_, err = untrusting.Instances().Get(ctx, instance.ID)
	var unknownAuthority x509.UnknownAuthorityError
	if !errors.As(err, &unknownAuthority) {
		t.Errorf("Get with the system's CAs = %v; want an x509.UnknownAuthorityError", err)
	}
}

func TestRequestsMoveToTheNextServerWhenOneIsKilled(t *testing.T) {
	first, second := startServer(t, "30"), startServer(t, "30")
	registry, _ := newRegistry(t, Config{Servers: []string{first.URL, second.URL}})
	onSecond, _ := newRegistry(t, Config{Servers: []string{second.URL}})
	ctx := context.Background()
	name := serviceName(t)

	kept := registry.Registration().KeepAlive(name, RegisterOptions{Address: "10.0.9.1:80", TTL: 900 * time.Millisecond})
	before, err := kept.Register(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer stopKept(t, kept)
	if listed, err := onSecond.Instances().List(ctx, name, nil); err != nil || len(listed) != 0 {
		t.Fatalf("second node lists %+v, %v; want nothing: the first server answers while it is up", listed, err)
	}

	first.kill()
	if _, err := registry.Instances().Services(ctx); err != nil {
		t.Errorf("Services with the first server killed: %v", err)
	}
	moved, err := registry.Registration().Register(ctx, name, RegisterOptions{Address: "10.0.9.2:80"})
	if err != nil {
		t.Fatalf("Register with the first server killed: %v", err)
	}
	if got, err := onSecond.Instances().Get(ctx, moved.ID); err != nil || got == nil {
		t.Errorf("second node Get = %v, %v; want the registration made after the fail-over", got, err)
	}
	// The memory nodes share nothing: the KeepAlive's heartbeat is a 404 on the second node,
	// so it registers there again.
	eventually(t, 10*time.Second, "the KeepAlive registering on the second node", func() bool {
		instance := kept.Instance()
		if instance == nil || instance.ID == before.ID {
			return false
		}
		got, err := onSecond.Instances().Get(ctx, instance.ID)
		return err == nil && got != nil
	})
}

// freshPostgresDatabase drops and creates database on the server SRSR_TEST_POSTGRES names
// and returns its URL; it skips the test when the variable is not set.
func freshPostgresDatabase(t *testing.T, database string) string {
	t.Helper()
	admin := os.Getenv("SRSR_TEST_POSTGRES")
	if admin == "" {
		t.Skip("SRSR_TEST_POSTGRES is not set (npm test -- --postgres starts a throwaway server)")
	}
	psql, err := exec.LookPath("psql")
	if err != nil {
		// Debian keeps the server's programs, psql among them, beside initdb.
		found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/psql")
		if len(found) == 0 {
			t.Fatal("SRSR_TEST_POSTGRES is set, but psql is not installed (apt-get install postgresql-client)")
		}
		psql = found[len(found)-1]
	}
	for _, statement := range []string{
		`DROP DATABASE IF EXISTS "` + database + `" WITH (FORCE)`,
		`CREATE DATABASE "` + database + `"`,
	} {
		if output, err := exec.Command(psql, admin, "-v", "ON_ERROR_STOP=1", "-q", "-c", statement).CombinedOutput(); err != nil {
			t.Fatalf("psql %s: %v: %s", statement, err, output)
		}
	}
	parsed, err := url.Parse(admin)
	if err != nil {
		t.Fatal(err)
	}
	parsed.Path = "/" + database
	return parsed.String()
}

func TestARegistrationSurvivesItsNodeDyingOnASharedPostgreSQLDatabase(t *testing.T) {
	store := freshPostgresDatabase(t, "srsr_go_client_failover")
	var nodes []*testServer
	for i := 0; i < 2; i++ {
		node, err := launch(&testServer{timeout: "30", args: []string{"--store", store}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(node.stop)
		nodes = append(nodes, node)
	}
	registry, _ := newRegistry(t, Config{Servers: []string{nodes[0].URL, nodes[1].URL}})
	onSecond, _ := newRegistry(t, Config{Servers: []string{nodes[1].URL}})
	ctx := context.Background()
	name := serviceName(t)
	kept := registry.Registration().KeepAlive(name, RegisterOptions{Address: "10.0.10.1:80", TTL: 1500 * time.Millisecond})
	first, err := kept.Register(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer stopKept(t, kept)

	nodes[0].kill()
	// The control: registered on the live node after the kill with the same TTL, never renewed;
	// once it has expired, a full TTL has passed with only the second node heartbeating.
	silent, err := onSecond.Registration().Register(ctx, name, RegisterOptions{Address: "10.0.10.2:80", TTL: 1500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 15*time.Second, "the expiry of the instance without heartbeats", func() bool {
		got, err := onSecond.Instances().Get(ctx, silent.ID)
		return err == nil && got == nil
	})
	if got, err := onSecond.Instances().Get(ctx, first.ID); err != nil || got == nil {
		t.Fatalf("second node Get(%s) = %v, %v; want the registration kept alive through it", first.ID, got, err)
	}
	if kept.Instance().ID != first.ID {
		t.Errorf("ID changed from %s to %s: the second node should have known the registration", first.ID, kept.Instance().ID)
	}
}
