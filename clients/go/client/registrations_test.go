package client

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

// newRegistry is a Registry of servers with short backoffs, its background failures kept.
func newRegistry(t *testing.T, config Config) (*Registry, *retryLog) {
	t.Helper()
	failures := &retryLog{}
	if config.InitialBackoff == 0 {
		config.InitialBackoff, config.MaxBackoff = 50*time.Millisecond, 200*time.Millisecond
	}
	if config.OnError == nil {
		config.OnError = failures.add
	}
	registry, err := NewRegistry(config)
	if err != nil {
		t.Fatalf("NewRegistry: %v", err)
	}
	return registry, failures
}

// retryLog collects the background failures given to Config.OnError.
type retryLog struct {
	mu   sync.Mutex
	list []error
}

func (l *retryLog) add(err error) {
	l.mu.Lock()
	l.list = append(l.list, err)
	l.mu.Unlock()
}

func (l *retryLog) count() int { return len(l.snapshot()) }

func (l *retryLog) snapshot() []error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]error(nil), l.list...)
}

func TestRegistrationRegisterHeartbeatUpdateMetaDeregister(t *testing.T) {
	registry, _ := newRegistry(t, Config{Servers: []string{shared.URL}})
	ctx := context.Background()
	name := serviceName(t)
	registration := registry.Registration()

	instance, err := registration.Register(ctx, name, RegisterOptions{
		Address: "10.0.1.1:80", Meta: map[string]string{"zone": "a", "tier": "web"}, TTL: 1500 * time.Millisecond})
	if err != nil {
		t.Fatalf("Register: %v", err)
	}
	if instance.ID == "" || instance.Name != name || instance.Address != "10.0.1.1:80" ||
		instance.Meta["zone"] != "a" || instance.TTL != 1500*time.Millisecond {
		t.Fatalf("Register = %+v; want the instance as registered, with an id and a 1.5 s TTL", instance)
	}
	if got := instance.ExpiresAt.Sub(instance.RegisteredAt); got != 1500*time.Millisecond {
		t.Errorf("ExpiresAt - RegisteredAt = %s; want 1.5s", got)
	}

	renewed, err := registration.Heartbeat(ctx, instance.ID)
	if err != nil || renewed == nil || renewed.ID != instance.ID || renewed.ExpiresAt.Before(instance.ExpiresAt) {
		t.Fatalf("Heartbeat = %+v, %v; want the same instance, expiring no earlier", renewed, err)
	}

	patched, err := registration.UpdateMeta(ctx, instance.ID, map[string]string{"version": "2"}, "zone")
	if err != nil || patched == nil {
		t.Fatalf("UpdateMeta = %v, %v", patched, err)
	}
	if want := map[string]string{"tier": "web", "version": "2"}; !sameMeta(patched.Meta, want) {
		t.Errorf("meta after UpdateMeta = %v; want %v", patched.Meta, want)
	}

	for i, want := range []bool{true, false} {
		gone, err := registration.Deregister(ctx, instance.ID)
		if err != nil || gone != want {
			t.Errorf("Deregister #%d = %v, %v; want %v, nil", i+1, gone, err, want)
		}
	}
	if renewed, err := registration.Heartbeat(ctx, instance.ID); err != nil || renewed != nil {
		t.Errorf("Heartbeat after Deregister = %v, %v; want nil, nil (not found is a value)", renewed, err)
	}
	if patched, err := registration.UpdateMeta(ctx, instance.ID, map[string]string{"a": "b"}); err != nil || patched != nil {
		t.Errorf("UpdateMeta after Deregister = %v, %v; want nil, nil", patched, err)
	}
}

func TestRegistrationRefusalIsAStatusErrorWithTheRegistrysMessage(t *testing.T) {
	registry, _ := newRegistry(t, Config{Servers: []string{shared.URL}})
	_, err := registry.Registration().Register(context.Background(), serviceName(t), RegisterOptions{Address: "not an address"})
	var status *StatusError
	if !errors.As(err, &status) {
		t.Fatalf("Register error = %v; want a *StatusError", err)
	}
	if status.StatusCode != 400 || !strings.HasPrefix(status.ErrorMessage(), "address: ") {
		t.Errorf("StatusError = %d %q; want 400 and an address error", status.StatusCode, status.ErrorMessage())
	}
	if !strings.Contains(err.Error(), "400") || !strings.Contains(err.Error(), "/v1/services/") {
		t.Errorf("error %q should name the status and the request", err)
	}
}

func sameMeta(got, want map[string]string) bool {
	if len(got) != len(want) {
		return false
	}
	for key, value := range want {
		if got[key] != value {
			return false
		}
	}
	return true
}
