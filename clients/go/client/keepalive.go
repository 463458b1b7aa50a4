package client

import (
	"context"
	"errors"
	"sync"
	"time"
)

// KeepAlive keeps one instance registered in the background: it heartbeats every third of
// the instance's TTL (so two heartbeats can be lost before it expires), registers again with
// the same options when the registry answers a heartbeat with "not found" (it restarted with
// the memory store, or the instance expired while it could not be reached), and backs off
// while no server answers. Its failures go to Config.OnError. Get one from
// Registration.KeepAlive; its methods are safe for concurrent use.
type KeepAlive struct {
	registration *Registration
	name         string
	options      RegisterOptions

	// lifecycle serialises Start, Register and Stop; stopLoop and loopDone are set while
	// the loop runs.
	lifecycle sync.Mutex
	stopLoop  context.CancelFunc
	loopDone  chan struct{}

	// mu guards instance, the latest registration (nil while there is none), and registered.
	mu         sync.Mutex
	instance   *Instance
	registered chan struct{}
}

// KeepAlive returns a KeepAlive for an instance of name; nothing is sent until Start or
// Register.
func (s *Registration) KeepAlive(name string, options RegisterOptions) *KeepAlive {
	return &KeepAlive{registration: s, name: name, options: options, registered: make(chan struct{})}
}

// Start registers the instance in the background, retrying with backoff until a server
// accepts it, then keeps it registered until Stop. It returns at once, so a service can
// start before its registry; Registered says when it is registered. Calling it while
// running does nothing.
func (k *KeepAlive) Start() {
	k.lifecycle.Lock()
	defer k.lifecycle.Unlock()
	if k.loopDone == nil {
		k.startLoop()
	}
}

// Register registers the instance now, returning the registration's error if it fails
// (nothing runs then), and keeps it registered in the background until Stop: for a caller
// that would rather fail fast than wait for its registry. While running, it returns the
// current instance.
func (k *KeepAlive) Register(ctx context.Context) (*Instance, error) {
	k.lifecycle.Lock()
	defer k.lifecycle.Unlock()
	if k.loopDone != nil {
		if instance := k.Instance(); instance != nil {
			return instance, nil
		}
		return nil, errors.New("srsr: register: already registering in the background; wait on Registered")
	}
	instance, err := k.registration.Register(ctx, k.name, k.options)
	if err != nil {
		return nil, err
	}
	k.setInstance(instance)
	k.startLoop()
	return instance, nil
}

func (k *KeepAlive) startLoop() {
	ctx, stop := context.WithCancel(context.Background())
	k.stopLoop, k.loopDone = stop, make(chan struct{})
	go k.run(ctx, k.loopDone)
}

// Stop stops the background work and deregisters the instance. It answers whether the
// registry still had it; an error means the deregistration failed (the instance then
// expires after its TTL). Safe to call more than once, and without Start.
func (k *KeepAlive) Stop(ctx context.Context) (bool, error) {
	k.lifecycle.Lock()
	defer k.lifecycle.Unlock()
	if k.loopDone != nil {
		k.stopLoop()
		<-k.loopDone
		k.stopLoop, k.loopDone = nil, nil
	}
	instance := k.Instance()
	if instance == nil {
		return false, nil
	}
	k.mu.Lock()
	k.instance, k.registered = nil, make(chan struct{})
	k.mu.Unlock()
	return k.registration.Deregister(ctx, instance.ID)
}

// Run is Start, then Stop once ctx is done; it returns Stop's error.
func (k *KeepAlive) Run(ctx context.Context) error {
	k.Start()
	<-ctx.Done()
	// ctx is done, so the deregistration needs a context of its own.
	stopCtx, cancel := context.WithTimeout(context.Background(), k.registration.r.requestTimeout)
	defer cancel()
	_, err := k.Stop(stopCtx)
	return err
}

// Instance is the instance as last registered or renewed, or nil while it is not
// registered. Its ID changes when the KeepAlive registers again.
func (k *KeepAlive) Instance() *Instance {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.instance == nil {
		return nil
	}
	copied := *k.instance
	return &copied
}

// Registered is closed once the instance is registered (after Stop, a new channel
// is closed at the next registration).
func (k *KeepAlive) Registered() <-chan struct{} {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.registered
}

func (k *KeepAlive) setInstance(instance *Instance) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.instance = instance
	if instance != nil {
		select {
		case <-k.registered:
		default:
			close(k.registered)
		}
	}
}

// interval is a third of the TTL, so that two heartbeats can be lost before it expires.
func (k *KeepAlive) interval() time.Duration {
	if instance := k.Instance(); instance != nil && instance.TTL > 0 {
		return instance.TTL / 3
	}
	return DefaultHeartbeatInterval / 2
}

// run renews the registration until ctx is done, backing off after failures, and closes
// done when it returns.
func (k *KeepAlive) run(ctx context.Context, done chan<- struct{}) {
	defer close(done)
	delay := time.Duration(0)
	if k.Instance() != nil {
		delay = k.interval()
	}
	failures := 0
	for sleep(ctx, delay) {
		err := k.renew(ctx)
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			failures, delay = 0, k.interval()
			continue
		}
		failures++
		delay = k.registration.r.backoff(failures)
		// A backoff longer than the heartbeat interval would let the instance expire.
		if k.Instance() != nil && delay > k.interval() {
			delay = k.interval()
		}
		k.registration.r.onError(&RetryError{Service: k.name, Failures: failures, RetryIn: delay, Err: err})
	}
}

// renew heartbeats, or registers when there is no live registration.
func (k *KeepAlive) renew(ctx context.Context) error {
	if instance := k.Instance(); instance != nil {
		renewed, err := k.registration.Heartbeat(ctx, instance.ID)
		if err != nil {
			return err
		}
		if renewed != nil {
			k.setInstance(renewed)
			return nil
		}
		k.setInstance(nil)
	}
	// Not bound to ctx: once sent, a registration may be made whether or not its answer is
	// read, so a Stop meanwhile lets it finish and takes it back.
	registerCtx, cancel := context.WithTimeout(context.Background(), k.registration.r.requestTimeout)
	defer cancel()
	instance, err := k.registration.Register(registerCtx, k.name, k.options)
	if err != nil {
		return err
	}
	if ctx.Err() != nil {
		_, _ = k.registration.Deregister(registerCtx, instance.ID)
		return ctx.Err()
	}
	k.setInstance(instance)
	return nil
}
