package client_test

import (
	"context"
	"fmt"
	"log"
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
