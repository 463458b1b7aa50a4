package client

import (
	"context"
	"errors"
	"fmt"
	"time"
)

type registerRequest struct {
	Name    string `json:"name"`
	Address string `json:"address,omitempty"`
	Port    int    `json:"port,omitempty"`
}

type registerResponse struct {
	ID      string `json:"id"`
	Success bool   `json:"success"`
}

type idRequest struct {
	ID string `json:"id"`
}

type successResponse struct {
	Success bool `json:"success"`
}

// RetryError is a failure of the background loop, passed to the WithErrorHandler handler.
// The loop has already scheduled the next attempt.
type RetryError struct {
	Service string
	// Failures counts consecutive failed attempts, this one included.
	Failures int
	// RetryIn is the delay before the next attempt, backoff and jitter included.
	RetryIn time.Duration
	Err     error
}

func (e *RetryError) Error() string {
	return fmt.Sprintf("srsr: keeping %q registered failed (%d in a row), retrying in %s: %v",
		e.Service, e.Failures, e.RetryIn.Round(time.Millisecond), e.Err)
}

func (e *RetryError) Unwrap() error { return e.Err }

// Register registers the service and starts renewing the registration in the background
// until Deregister. It fails if the client is already registered.
func (c *Client) Register() error {
	return c.RegisterContext(context.Background())
}

// RegisterContext is Register with a context for the registration request. The context
// does not bound the background loop, which runs until Deregister; see Run for that.
func (c *Client) RegisterContext(ctx context.Context) error {
	if err := c.checkTiming(); err != nil {
		return err
	}
	c.lifecycle.Lock()
	defer c.lifecycle.Unlock()
	if c.loopDone != nil {
		return errors.New("srsr: register: already registered; call Deregister first")
	}
	id, err := c.register(ctx)
	if err != nil {
		return err
	}
	c.setID(id)
	loopCtx, stop := context.WithCancel(context.Background())
	c.stopLoop, c.loopDone = stop, make(chan struct{})
	go c.keepRegistered(loopCtx, c.loopDone)
	return nil
}

// Deregister stops the background loop and removes the registration. It is safe to call
// more than once, and without Register; failures are dropped, see DeregisterContext.
func (c *Client) Deregister() {
	_ = c.DeregisterContext(context.Background())
}

// DeregisterContext is Deregister with a context for the request, returning its error. An
// instance the registry had already forgotten is not an error: either way it is gone.
func (c *Client) DeregisterContext(ctx context.Context) error {
	c.lifecycle.Lock()
	defer c.lifecycle.Unlock()
	if c.loopDone == nil {
		return nil
	}
	c.stopLoop()
	<-c.loopDone
	c.stopLoop, c.loopDone = nil, nil
	id := c.ID()
	c.setID("")
	if id == "" {
		return nil
	}
	var answer successResponse
	return c.post(ctx, "/deregister", idRequest{ID: id}, &answer)
}

// Run registers the service, keeps it registered until ctx is done, then deregisters it.
// It returns the registration's error, or the deregistration's once ctx is done.
func (c *Client) Run(ctx context.Context) error {
	if err := c.RegisterContext(ctx); err != nil {
		return err
	}
	<-ctx.Done()
	// ctx is already done, so the last request needs a context of its own.
	deregisterCtx, cancel := context.WithTimeout(context.Background(), DefaultRequestTimeout)
	defer cancel()
	return c.DeregisterContext(deregisterCtx)
}

// ID is the instance id of the current registration, which changes when the client
// registers again; "" when not registered.
func (c *Client) ID() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.id
}

func (c *Client) setID(id string) {
	c.mu.Lock()
	c.id = id
	c.mu.Unlock()
}

func (c *Client) checkTiming() error {
	if c.heartbeatInterval <= 0 {
		return fmt.Errorf("srsr: heartbeat interval: must be positive, got %s", c.heartbeatInterval)
	}
	if c.initialBackoff <= 0 || c.maxBackoff < c.initialBackoff {
		return fmt.Errorf("srsr: backoff: initial must be positive and at most max, got %s and %s",
			c.initialBackoff, c.maxBackoff)
	}
	return nil
}

func (c *Client) register(ctx context.Context) (string, error) {
	var answer registerResponse
	request := registerRequest{Name: c.name, Address: c.address, Port: c.port}
	if err := c.post(ctx, "/register", request, &answer); err != nil {
		return "", err
	}
	if !answer.Success || answer.ID == "" {
		return "", fmt.Errorf("srsr: register %q: the registry answered without an id", c.name)
	}
	return answer.ID, nil
}

// keepRegistered renews the registration every heartbeat interval, backing off after
// failures, until ctx is done. It closes done when it returns.
func (c *Client) keepRegistered(ctx context.Context, done chan<- struct{}) {
	defer close(done)
	delay := c.heartbeatInterval
	failures := 0
	for {
		timer := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-timer.C:
		}
		err := c.renew(ctx)
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			failures, delay = 0, c.heartbeatInterval
			continue
		}
		failures++
		delay = backoffDelay(failures, c.initialBackoff, c.maxBackoff, c.jitter.Int63n)
		c.onError(&RetryError{Service: c.name, Failures: failures, RetryIn: delay, Err: err})
	}
}

// renew sends a heartbeat, and registers again when the registry has forgotten the
// instance. After an outage it tries the old id first rather than registering at once:
// if the outage was short the instance is still live, and a second registration would
// leave a duplicate until it expired.
func (c *Client) renew(ctx context.Context) error {
	if id := c.ID(); id != "" {
		var answer successResponse
		if err := c.post(ctx, "/heartbeat", idRequest{ID: id}, &answer); err != nil {
			return err
		}
		if answer.Success {
			return nil
		}
	}
	// The registry restarted without keeping registrations, or the instance expired
	// while heartbeats could not get through.
	id, err := c.register(ctx)
	c.setID(id) // "" on failure: the old id is known to be dead
	return err
}
