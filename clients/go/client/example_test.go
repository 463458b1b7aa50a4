package client_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/srsr-dev/srsr/clients/go/client"
)

// A service registers itself, stays registered while it runs, and deregisters on exit.
func Example() {
	registry := client.NewServiceRegistryClient("billing", "http://10.0.0.5:8080", "http://localhost:4214")
	if err := registry.Register(); err != nil {
		log.Fatal(err)
	}
	defer registry.Deregister()

	address, found, err := registry.Lookup("payments")
	switch {
	case err != nil:
		log.Print(err)
	case !found:
		fmt.Println("payments is not registered")
	default:
		fmt.Println("payments is at", address)
	}
}

// Register only a port: the registry stores http://<the address it sees>:8080.
func ExampleWithPort() {
	registry := client.NewServiceRegistryClient("billing", "", "http://localhost:4214",
		client.WithPort(8080),
		client.WithHeartbeatInterval(10*time.Second),
		client.WithErrorHandler(func(err error) { log.Print(err) }))
	if err := registry.Register(); err != nil {
		log.Fatal(err)
	}
	defer registry.Deregister()
}

// Run ties the registration to a context: here, until SIGINT or SIGTERM.
func ExampleClient_Run() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	registry := client.NewServiceRegistryClient("billing", "http://10.0.0.5:8080", "http://localhost:4214")
	if err := registry.Run(ctx); err != nil {
		log.Fatal(err)
	}
}

// The v1 client: a service that registers with metadata and a TTL in the background (its
// registry may come up later), finds an instance in its zone, and deregisters on SIGINT or
// SIGTERM.
func ExampleNewRegistry() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	registry, err := client.NewRegistry(client.Config{
		Servers: []string{"https://registry-a.internal:4214", "https://registry-b.internal:4214"},
		Token:   os.Getenv("SRSR_TOKEN"),
		CAFile:  "/etc/srsr/ca.pem",
		OnError: func(err error) { log.Print(err) },
	})
	if err != nil {
		log.Fatal(err)
	}
	billing := registry.Registration().KeepAlive("billing", client.RegisterOptions{
		Port: 8080, Meta: map[string]string{"zone": "eu-west-1a"}, TTL: 15 * time.Second})
	billing.Start()
	defer billing.Stop(context.Background())

	payments, err := registry.Instances().Pick(ctx, "payments", map[string]string{"zone": "eu-west-1a"})
	switch {
	case err != nil:
		log.Print(err)
	case payments == nil:
		fmt.Println("no payments instance in eu-west-1a")
	default:
		fmt.Println("payments is at", payments.Address)
	}
	<-ctx.Done()
}

// Watch a service's instances come and go, from a snapshot on.
func ExampleEvents_Watch() {
	registry, err := client.NewRegistry(client.Config{Servers: []string{"http://127.0.0.1:4214"}})
	if err != nil {
		log.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	live := map[string]client.Instance{}
	for event := range registry.Events().Watch(ctx, "payments") {
		switch event.Type {
		case client.EventSnapshot:
			live = map[string]client.Instance{}
			for _, instance := range event.Instances {
				live[instance.ID] = instance
			}
		case client.EventRegister, client.EventUpdate:
			live[event.Instance.ID] = *event.Instance
		case client.EventDeregister, client.EventExpire:
			delete(live, event.Instance.ID)
		case client.EventError:
			log.Fatal(event.Err)
		}
		fmt.Println(len(live), "payments instances")
	}
}

// Wait for a dependency before serving.
func ExampleInstances_WaitFor() {
	registry, err := client.NewRegistry(client.Config{Servers: []string{"http://127.0.0.1:4214"}})
	if err != nil {
		log.Fatal(err)
	}
	users, found, err := registry.Instances().WaitFor(context.Background(), "users", 2, time.Minute)
	if err != nil {
		log.Fatal(err)
	}
	if !found {
		log.Fatalf("only %d users instances after a minute", len(users))
	}
}
