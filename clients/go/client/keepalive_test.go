package client

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"
)

// waitRegistered waits for the KeepAlive's first registration.
func waitRegistered(t *testing.T, kept *KeepAlive, limit time.Duration) *Instance {
	t.Helper()
	select {
	case <-kept.Registered():
		return kept.Instance()
	case <-time.After(limit):
		t.Fatalf("not registered within %s", limit)
		return nil
	}
}

func stopKept(t *testing.T, kept *KeepAlive) {
	t.Helper()
	if _, err := kept.Stop(context.Background()); err != nil {
		t.Errorf("Stop: %v", err)
	}
}

func TestKeepAliveHeartbeatsAtAThirdOfTheTTLPastTheTTL(t *testing.T) {
	registry, _ := newRegistry(t, Config{Servers: []string{shared.URL}})
	ctx := context.Background()
	name := serviceName(t)
	kept := registry.Registration().KeepAlive(name, RegisterOptions{Address: "10.0.4.1:80", TTL: 1500 * time.Millisecond})
	first, err := kept.Register(ctx)
	if err != nil {
		t.Fatalf("Register: %v", err)
	}
	defer stopKept(t, kept)
	// The control: registered after kept with the same TTL and never renewed, so once it has
	// expired, a full TTL has passed since kept registered too.
	silent, err := registry.Registration().Register(ctx, name, RegisterOptions{Address: "10.0.4.2:80", TTL: 1500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "the expiry of the instance without heartbeats", func() bool {
		got, err := registry.Instances().Get(ctx, silent.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got == nil
	})
	got, err := registry.Instances().Get(ctx, first.ID)
	if err != nil || got == nil {
		t.Fatalf("Get(kept) after a TTL = %v, %v; want it kept alive by heartbeats", got, err)
	}
	if kept.Instance().ID != first.ID {
		t.Errorf("ID changed from %s to %s: kept alive by registering again, not by heartbeats", first.ID, kept.Instance().ID)
	}
}

func TestKeepAliveRegistersAgainWithTheSameMetaAfterA404(t *testing.T) {
	server := startServer(t, "30")
	registry, _ := newRegistry(t, Config{Servers: []string{server.URL}})
	name := serviceName(t)
	meta := map[string]string{"zone": "b", "version": "7"}
	kept := registry.Registration().KeepAlive(name, RegisterOptions{Address: "10.0.4.3:80", Meta: meta, TTL: 600 * time.Millisecond})
	first, err := kept.Register(context.Background())
	if err != nil {
		t.Fatalf("Register: %v", err)
	}
	defer stopKept(t, kept)

	server.restart(t) // the memory store forgets it; the next heartbeat is a 404
	eventually(t, 10*time.Second, "registration under a new id", func() bool {
		instance := kept.Instance()
		return instance != nil && instance.ID != first.ID
	})
	again, err := registry.Instances().Get(context.Background(), kept.Instance().ID)
	if err != nil || again == nil || !sameMeta(again.Meta, meta) || again.TTL != 600*time.Millisecond {
		t.Errorf("after re-registering: %+v, %v; want meta %v and the 600ms TTL", again, err, meta)
	}
}

func TestKeepAliveStartedBeforeItsRegistryRegistersOnceItIsUp(t *testing.T) {
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	registry, failures := newRegistry(t, Config{Servers: []string{"http://127.0.0.1:" + strconv.Itoa(port)}})
	name := serviceName(t)
	kept := registry.Registration().KeepAlive(name, RegisterOptions{Address: "10.0.4.4:80"})
	kept.Start()
	eventually(t, 10*time.Second, "a failed attempt while no registry is up", func() bool { return failures.count() > 0 })
	var retry *RetryError
	if first := failures.snapshot()[0]; !errors.As(first, &retry) || retry.Service != name {
		t.Errorf("failure = %v; want a *RetryError naming %s", first, name)
	}

	server, err := launchServerWith(port, "30", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(server.stop)
	instance := waitRegistered(t, kept, 15*time.Second)
	if got, err := registry.Instances().Get(context.Background(), instance.ID); err != nil || got == nil {
		t.Fatalf("Get = %v, %v; want the registration made in the background", got, err)
	}

	gone, err := kept.Stop(context.Background())
	if err != nil || !gone {
		t.Errorf("Stop = %v, %v; want true, nil", gone, err)
	}
	if got, err := registry.Instances().Get(context.Background(), instance.ID); err != nil || got != nil {
		t.Errorf("Get after Stop = %v, %v; want it deregistered", got, err)
	}
	if gone, err := kept.Stop(context.Background()); err != nil || gone {
		t.Errorf("second Stop = %v, %v; want false, nil", gone, err)
	}
}

func TestKeepAliveRegisterFailsFastWhenTheRegistryIsUnreachable(t *testing.T) {
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	registry, _ := newRegistry(t, Config{Servers: []string{"http://127.0.0.1:" + strconv.Itoa(port)}})
	kept := registry.Registration().KeepAlive(serviceName(t), RegisterOptions{Address: "10.0.4.5:80"})
	if instance, err := kept.Register(context.Background()); err == nil {
		t.Fatalf("Register = %+v; want the connection error", instance)
	}
	if gone, err := kept.Stop(context.Background()); err != nil || gone {
		t.Errorf("Stop after a failed Register = %v, %v; want false, nil", gone, err)
	}
}

func TestKeepAliveRunDeregistersWhenItsContextEnds(t *testing.T) {
	registry, _ := newRegistry(t, Config{Servers: []string{shared.URL}})
	name := serviceName(t)
	kept := registry.Registration().KeepAlive(name, RegisterOptions{Address: "10.0.4.6:80"})
	ctx, cancel := context.WithCancel(context.Background())
	result := make(chan error, 1)
	go func() { result <- kept.Run(ctx) }()
	instance := waitRegistered(t, kept, 10*time.Second)
	cancel()
	if err := <-result; err != nil {
		t.Errorf("Run: %v", err)
	}
	if got, err := registry.Instances().Get(context.Background(), instance.ID); err != nil || got != nil {
		t.Errorf("Get after Run ended = %v, %v; want it deregistered", got, err)
	}
}
