package client

import (
	"context"
	"errors"
	"net/url"
	"testing"
	"time"
)

func TestRegisterStoresTheAddressAsTheServerDescribes(t *testing.T) {
	cases := []struct {
		name    string
		address string
		options []Option
		want    string
	}{
		{"address", "http://10.1.2.3:8080", nil, "http://10.1.2.3:8080"},
		{"address and port", "10.0.0.5", []Option{WithPort(9000)}, "10.0.0.5:9000"},
		// The server deduces the host from the connection, which comes from loopback here.
		{"port only", "", []Option{WithPort(9123)}, "http://127.0.0.1:9123"},
		{"neither", "", nil, "http://127.0.0.1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			name := serviceName(t)
			c := NewServiceRegistryClient(name, tc.address, shared.URL, tc.options...)
			if err := c.Register(); err != nil {
				t.Fatalf("Register: %v", err)
			}
			defer c.Deregister()
			if c.ID() == "" {
				t.Error("ID() is empty after Register")
			}
			address, found := mustLookup(t, c, name)
			if !found || address != tc.want {
				t.Errorf("Lookup(%q) = %q, %v; want %q, true", name, address, found, tc.want)
			}
		})
	}
}

func TestRegisterTwiceFailsUntilDeregistered(t *testing.T) {
	c := NewServiceRegistryClient(serviceName(t), "http://10.0.0.1:1", shared.URL)
	if err := c.Register(); err != nil {
		t.Fatalf("Register: %v", err)
	}
	if err := c.Register(); err == nil {
		t.Error("second Register succeeded; want an error saying it is already registered")
	}
	c.Deregister()
	if err := c.Register(); err != nil {
		t.Errorf("Register after Deregister: %v", err)
	}
	c.Deregister()
}

func TestRegisterRejectsTimingThatCannotWork(t *testing.T) {
	for name, option := range map[string]Option{
		"zero heartbeat interval":   WithHeartbeatInterval(0),
		"backoff max below initial": WithBackoff(time.Second, time.Millisecond),
	} {
		c := NewServiceRegistryClient(serviceName(t), "http://10.0.0.1:1", shared.URL, option)
		if err := c.Register(); err == nil {
			c.Deregister()
			t.Errorf("%s: Register succeeded; want an error", name)
		}
	}
}

func TestRegisterErrorCarriesStatusAndBody(t *testing.T) {
	c := NewServiceRegistryClient(serviceName(t), "not an address", shared.URL)
	err := c.Register()
	var status *StatusError
	if !errors.As(err, &status) {
		t.Fatalf("Register() error = %v; want a *StatusError", err)
	}
	if status.StatusCode != 400 || !contains(status.Body, `"error":"address: `) {
		t.Errorf("StatusError = %d %q; want 400 with an address error", status.StatusCode, status.Body)
	}
	if !contains(err.Error(), "400") || !contains(err.Error(), "/register") || !contains(err.Error(), "address: ") {
		t.Errorf("error %q should name the status, the endpoint and the server's message", err)
	}
	if c.ID() != "" {
		t.Errorf("ID() = %q after a failed Register; want empty", c.ID())
	}
	c.Deregister() // never registered: must be a no-op
}

func TestHeartbeatsKeepTheServiceAlivePastTheTimeout(t *testing.T) {
	server := startServer(t, "1")
	name := serviceName(t)
	kept := NewServiceRegistryClient(name, "http://10.0.0.2:1", server.URL,
		WithHeartbeatInterval(200*time.Millisecond))
	// The control: registered after kept and never heartbeating, so it must expire; once it
	// has, a full timeout has passed since kept registered too.
	silentName := name + "-silent"
	silent := NewServiceRegistryClient(silentName, "http://10.0.0.3:1", server.URL,
		WithHeartbeatInterval(time.Hour))
	for _, c := range []*Client{kept, silent} {
		if err := c.Register(); err != nil {
			t.Fatalf("Register: %v", err)
		}
		defer c.Deregister()
	}
	firstID := kept.ID()

	// Elapsed time is what is tested, so poll until the control has expired (eventually's
	// 50 ms only paces the polls); kept must be found at every poll on the way.
	eventually(t, 10*time.Second, "the expiry of the client without heartbeats", func() bool {
		if address, found := mustLookup(t, kept, name); !found || address != "http://10.0.0.2:1" {
			t.Fatalf("Lookup = %q, %v; want the heartbeating service", address, found)
		}
		_, found := mustLookup(t, kept, silentName)
		return !found
	})
	if address, found := mustLookup(t, kept, name); !found || address != "http://10.0.0.2:1" {
		t.Errorf("Lookup = %q, %v after the timeout; want the heartbeating service", address, found)
	}
	if kept.ID() != firstID {
		t.Errorf("ID changed from %s to %s: kept alive by re-registering, not by heartbeats", firstID, kept.ID())
	}
}

func TestRegistersAgainAfterTheServerForgetsIt(t *testing.T) {
	server := startServer(t, "30")
	name := serviceName(t)
	c := NewServiceRegistryClient(name, "http://10.0.0.4:1", server.URL,
		WithHeartbeatInterval(100*time.Millisecond), WithBackoff(50*time.Millisecond, 200*time.Millisecond))
	if err := c.Register(); err != nil {
		t.Fatalf("Register: %v", err)
	}
	defer c.Deregister()
	firstID := c.ID()

	server.restart(t)
	// The old id must be unknown to the fresh server, or this test could not tell
	// re-registration from heartbeats.
	var answer successResponse
	if err := c.post(context.Background(), "/heartbeat", idRequest{ID: firstID}, &answer); err != nil || answer.Success {
		t.Fatalf("heartbeat with the old id = %v, %v; want the restarted server to have forgotten it", answer.Success, err)
	}

	// The client's new id, not the server's lookup: the server has the registration before the
	// client has read the answer that carries its id.
	eventually(t, 10*time.Second, "re-registration under a new id", func() bool {
		id := c.ID()
		return id != "" && id != firstID
	})
	if _, found := mustLookup(t, c, name); !found {
		t.Error("not found after the client re-registered")
	}
}

func TestBacksOffWhileTheServerIsDownThenRecovers(t *testing.T) {
	server := startServer(t, "30")
	name := serviceName(t)
	failures := &errorsOf{}
	c := NewServiceRegistryClient(name, "http://10.0.0.6:1", server.URL,
		WithHeartbeatInterval(100*time.Millisecond),
		WithBackoff(100*time.Millisecond, 400*time.Millisecond),
		WithErrorHandler(failures.handle))
	if err := c.Register(); err != nil {
		t.Fatalf("Register: %v", err)
	}
	defer c.Deregister()

	server.stop()
	eventually(t, 15*time.Second, "four failed attempts", func() bool { return len(failures.snapshot()) >= 4 })

	for i, failure := range failures.snapshot()[:4] {
		if failure.Failures != i+1 {
			t.Errorf("failure %d counts %d in a row; want %d", i+1, failure.Failures, i+1)
		}
		if failure.Service != name {
			t.Errorf("failure %d names service %q; want %q", i+1, failure.Service, name)
		}
		var network *url.Error
		if !errors.As(failure, &network) {
			t.Errorf("failure %d = %v; want it to wrap the network error", i+1, failure)
		}
		// Equal jitter keeps each delay in the upper half of 100, 200, 400, 400 ms.
		low := []time.Duration{50, 100, 200, 200}[i] * time.Millisecond
		if failure.RetryIn < low || failure.RetryIn > 400*time.Millisecond {
			t.Errorf("failure %d retries in %s; want between %s and 400ms", i+1, failure.RetryIn, low)
		}
	}

	server.restart(t)
	eventually(t, 10*time.Second, "recovery after the outage", func() bool {
		_, found := mustLookup(t, c, name)
		return found
	})
}

func TestDeregisterRemovesTheServiceAndIsIdempotent(t *testing.T) {
	name := serviceName(t)
	never := NewServiceRegistryClient(name, "http://10.0.0.7:1", shared.URL)
	if err := never.DeregisterContext(context.Background()); err != nil {
		t.Errorf("Deregister without Register: %v", err)
	}

	c := NewServiceRegistryClient(name, "http://10.0.0.7:1", shared.URL)
	if err := c.Register(); err != nil {
		t.Fatalf("Register: %v", err)
	}
	if _, found := mustLookup(t, c, name); !found {
		t.Fatal("not found after Register")
	}
	for i := 0; i < 2; i++ {
		if err := c.DeregisterContext(context.Background()); err != nil {
			t.Errorf("Deregister #%d: %v", i+1, err)
		}
	}
	if _, found := mustLookup(t, c, name); found {
		t.Error("still found after Deregister")
	}
	if c.ID() != "" {
		t.Errorf("ID() = %q after Deregister; want empty", c.ID())
	}
}

func TestRunKeepsTheServiceRegisteredUntilTheContextEnds(t *testing.T) {
	name := serviceName(t)
	c := NewServiceRegistryClient(name, "http://10.0.0.8:1", shared.URL)
	ctx, cancel := context.WithCancel(context.Background())
	result := make(chan error, 1)
	go func() { result <- c.Run(ctx) }()

	eventually(t, 5*time.Second, "registration by Run", func() bool {
		_, found := mustLookup(t, c, name)
		return found
	})
	cancel()
	if err := <-result; err != nil {
		t.Errorf("Run: %v", err)
	}
	if _, found := mustLookup(t, c, name); found {
		t.Error("still found after Run's context ended")
	}
}
