package client

import (
	"context"
	"errors"
	"net/url"
	"strconv"
	"testing"
	"time"
)

func TestInstancesGetListPickAndServices(t *testing.T) {
	registry, _ := newRegistry(t, Config{Servers: []string{shared.URL}})
	ctx := context.Background()
	name := serviceName(t)
	web, err := registry.Registration().Register(ctx, name, RegisterOptions{Address: "10.0.2.1:80", Meta: map[string]string{"tier": "web"}})
	if err != nil {
		t.Fatal(err)
	}
	db, err := registry.Registration().Register(ctx, name, RegisterOptions{Address: "10.0.2.2:80", Meta: map[string]string{"tier": "db"}})
	if err != nil {
		t.Fatal(err)
	}
	defer registry.Registration().Deregister(ctx, web.ID)
	defer registry.Registration().Deregister(ctx, db.ID)
	instances := registry.Instances()

	if got, err := instances.Get(ctx, db.ID); err != nil || got == nil || got.Address != "10.0.2.2:80" || got.Meta["tier"] != "db" {
		t.Errorf("Get = %+v, %v; want the db instance", got, err)
	}
	if got, err := instances.Get(ctx, "no-such-id"); err != nil || got != nil {
		t.Errorf("Get(unknown) = %+v, %v; want nil, nil", got, err)
	}

	if all, err := instances.List(ctx, name, nil); err != nil || len(all) != 2 {
		t.Errorf("List = %+v, %v; want both instances", all, err)
	}
	if dbs, err := instances.List(ctx, name, map[string]string{"tier": "db"}); err != nil || len(dbs) != 1 || dbs[0].ID != db.ID {
		t.Errorf("List(tier=db) = %+v, %v; want the db instance alone", dbs, err)
	}
	if none, err := instances.List(ctx, name+"-nobody", nil); err != nil || none == nil || len(none) != 0 {
		t.Errorf("List(unknown) = %#v, %v; want an empty slice", none, err)
	}

	if picked, err := instances.Pick(ctx, name, map[string]string{"tier": "web"}); err != nil || picked == nil || picked.ID != web.ID {
		t.Errorf("Pick(tier=web) = %+v, %v; want the web instance", picked, err)
	}
	if picked, err := instances.Pick(ctx, name, map[string]string{"tier": "cache"}); err != nil || picked != nil {
		t.Errorf("Pick(tier=cache) = %+v, %v; want nil, nil", picked, err)
	}

	services, err := instances.Services(ctx)
	if err != nil {
		t.Fatalf("Services: %v", err)
	}
	found := false
	for _, service := range services {
		if service.Name == name {
			found = service.Instances == 2
		}
	}
	if !found {
		t.Errorf("Services = %+v; want %s with 2 instances", services, name)
	}
}

func TestWaitForReturnsOnceEnoughInstancesAreLive(t *testing.T) {
	registry, _ := newRegistry(t, Config{Servers: []string{shared.URL}})
	ctx := context.Background()
	name := serviceName(t)
	type outcome struct {
		instances []Instance
		satisfied bool
		err       error
	}
	result := make(chan outcome, 1)
	go func() {
		instances, satisfied, err := registry.Instances().WaitFor(ctx, name, 2, 30*time.Second)
		result <- outcome{instances, satisfied, err}
	}()
	for _, address := range []string{"10.0.3.1:80", "10.0.3.2:80"} {
		instance, err := registry.Registration().Register(ctx, name, RegisterOptions{Address: address})
		if err != nil {
			t.Fatal(err)
		}
		defer registry.Registration().Deregister(ctx, instance.ID)
	}
	got := <-result
	if got.err != nil || !got.satisfied || len(got.instances) != 2 {
		t.Errorf("WaitFor = %d instances, %v, %v; want 2, true, nil", len(got.instances), got.satisfied, got.err)
	}
}

func TestWaitForRunningOutOfTimeIsNotAnError(t *testing.T) {
	registry, _ := newRegistry(t, Config{Servers: []string{shared.URL}})
	started := time.Now()
	instances, satisfied, err := registry.Instances().WaitFor(context.Background(), serviceName(t), 1, 300*time.Millisecond)
	if err != nil || satisfied || len(instances) != 0 {
		t.Errorf("WaitFor = %v, %v, %v; want no instances, false, nil", instances, satisfied, err)
	}
	if elapsed := time.Since(started); elapsed < 300*time.Millisecond {
		t.Errorf("WaitFor returned after %s; want it to wait its 300ms", elapsed)
	}
}

func TestWaitForEndsWithItsContext(t *testing.T) {
	registry, _ := newRegistry(t, Config{Servers: []string{shared.URL}})
	ctx, cancel := context.WithCancel(context.Background())
	result := make(chan error, 1)
	go func() {
		_, _, err := registry.Instances().WaitFor(ctx, serviceName(t), 1, time.Minute)
		result <- err
	}()
	cancel()
	if err := <-result; err == nil {
		t.Error("WaitFor after cancel = nil error; want the context's")
	}
}

func TestWaitForRetriesAnUnreachableRegistryThenSaysItWasUnreachable(t *testing.T) {
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	registry, failures := newRegistry(t, Config{Servers: []string{"http://127.0.0.1:" + strconv.Itoa(port)}})
	instances, satisfied, err := registry.Instances().WaitFor(context.Background(), serviceName(t), 1, 500*time.Millisecond)
	var network *url.Error
	if satisfied || len(instances) != 0 || !errors.As(err, &network) {
		t.Errorf("WaitFor = %v, %v, %v; want nothing, false and the connection error", instances, satisfied, err)
	}
	if failures.count() < 2 {
		t.Errorf("%d failures told to OnError; want the attempts retried", failures.count())
	}
}
