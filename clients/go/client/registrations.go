package client

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"time"
)

// Registration registers, renews and deregisters instances. Get it from
// Registry.Registration; KeepAlive does all three in the background.
type Registration struct{ r *Registry }

// RegisterOptions describe an instance to register. All fields are optional.
type RegisterOptions struct {
	// Address is how others reach the instance: "http://10.0.0.5:8080" or "10.0.0.5:8080".
	// Empty: the registry uses the address the request came from, as http://<ip>[:Port].
	Address string
	// Port is appended to Address as ":port" (or to the deduced address).
	Port int
	// Meta are labels that List and Pick can filter on.
	Meta map[string]string
	// TTL is how long the instance lives without a heartbeat; 0 for the registry's default
	// (its --timeout). It may have fractions of a second.
	TTL time.Duration
}

type v1RegisterRequest struct {
	Address string            `json:"address,omitempty"`
	Port    int               `json:"port,omitempty"`
	Meta    map[string]string `json:"meta,omitempty"`
	TTL     float64           `json:"ttl,omitempty"`
}

// Register registers an instance of name and returns it, with the id the registry gave it.
// It does not renew it: see KeepAlive for that.
func (s *Registration) Register(ctx context.Context, name string, options RegisterOptions) (*Instance, error) {
	body := v1RegisterRequest{Address: options.Address, Port: options.Port, Meta: options.Meta, TTL: options.TTL.Seconds()}
	var instance Instance
	c := call{method: http.MethodPost, path: "v1/services/" + url.PathEscape(name) + "/instances", body: body}
	if _, err := s.r.do(ctx, c, false, &instance); err != nil {
		return nil, err
	}
	return &instance, nil
}

// Heartbeat renews the instance for its TTL and returns it with its new ExpiresAt, or nil
// when the registry no longer has it (it expired or was deregistered: register again).
func (s *Registration) Heartbeat(ctx context.Context, id string) (*Instance, error) {
	return s.instanceCall(ctx, http.MethodPut, "v1/instances/"+url.PathEscape(id)+"/heartbeat", nil)
}

// UpdateMeta sets the keys of set and removes the keys in remove from the instance's meta,
// and returns the instance as it now is, or nil when the registry does not have it.
func (s *Registration) UpdateMeta(ctx context.Context, id string, set map[string]string, remove ...string) (*Instance, error) {
	patch := map[string]*string{}
	for _, key := range remove {
		patch[key] = nil
	}
	for key, value := range set {
		value := value
		patch[key] = &value
	}
	return s.instanceCall(ctx, http.MethodPatch, "v1/instances/"+url.PathEscape(id), map[string]interface{}{"meta": patch})
}

// Deregister removes the instance. It answers false when the registry did not have it
// (already deregistered or expired), which is no error: either way it is gone.
func (s *Registration) Deregister(ctx context.Context, id string) (bool, error) {
	_, err := s.r.do(ctx, call{method: http.MethodDelete, path: "v1/instances/" + url.PathEscape(id)}, true, nil)
	if errors.Is(err, errNotFound) {
		return false, nil
	}
	return err == nil, err
}

func (s *Registration) instanceCall(ctx context.Context, method, path string, body interface{}) (*Instance, error) {
	var instance Instance
	_, err := s.r.do(ctx, call{method: method, path: path, body: body}, true, &instance)
	if errors.Is(err, errNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &instance, nil
}
