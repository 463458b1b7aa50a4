// Package client is the Go client of srsr, the Really Simple Service Registry.
//
// NewRegistry speaks the v1 API, shaped as resources on one client in the manner of
// Consul's Go API: Registration (register with metadata and a TTL, heartbeat, update
// metadata, deregister, and KeepAlive, which does all of it in the background), Instances
// (Get, List, Pick, Services, WaitFor) and Events (Watch, over Server-Sent Events). It takes
// several servers (a connection failure or a 5xx moves on to the next), a bearer token and a
// CA file. "Not found" is a value (nil, false); any other answer but a 2xx is a *StatusError.
//
//	registry, err := client.NewRegistry(client.Config{Servers: []string{"http://registry:4214"}})
//	if err != nil { ... }
//	kept := registry.Registration().KeepAlive("billing", client.RegisterOptions{Port: 8080})
//	kept.Start() // retried in the background until the registry accepts it
//	defer kept.Stop(context.Background())
//
// NewServiceRegistryClient speaks srsr's original wire API (POST /register, /heartbeat,
// /deregister, /lookup with JSON bodies) and keeps the original Go client's shape, so
// switching is a change of import path:
//
//	c := client.NewServiceRegistryClient("billing", "http://10.0.0.5:8080", "http://registry:4214")
//	if err := c.Register(); err != nil { ... }
//	defer c.Deregister()
//
// Unlike the original, its background loop notices when the registry has forgotten the
// service (a restart with the memory store, an expiry after a network blip) and registers it
// again, and backs off while the registry is unreachable. It never panics; failures go to the
// handler set with WithErrorHandler.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Defaults for the options below.
const (
	// DefaultHeartbeatInterval matches the original clients; the server's default timeout is 30 s.
	DefaultHeartbeatInterval = 20 * time.Second
	DefaultInitialBackoff    = 1 * time.Second
	DefaultMaxBackoff        = 30 * time.Second
	// DefaultRequestTimeout bounds each HTTP request made without a caller's deadline.
	DefaultRequestTimeout = 10 * time.Second
)

// maxErrorBody is how much of a non-2xx answer is kept in a StatusError.
const maxErrorBody = 4096

// ServiceRegistryClient is the interface the original client package returned; *Client
// satisfies it, so code holding that interface keeps compiling.
type ServiceRegistryClient interface {
	Register() error
	Deregister()
}

// Client registers one service, keeps it registered in the background, and looks services
// up. Create it with NewServiceRegistryClient; its methods are safe for concurrent use.
type Client struct {
	serverAddress string
	name          string
	address       string
	port          int

	httpClient        *http.Client
	heartbeatInterval time.Duration
	initialBackoff    time.Duration
	maxBackoff        time.Duration
	onError           func(error)

	// lifecycle serialises Register and Deregister; stopLoop and loopDone are set while
	// the background loop runs.
	lifecycle sync.Mutex
	stopLoop  context.CancelFunc
	loopDone  chan struct{}
	// jitter is used only by the loop's goroutine, one loop at a time.
	jitter *rand.Rand

	// mu guards id, the instance id of the latest registration; "" when not registered.
	mu sync.Mutex
	id string
}

// Option configures a Client; pass any number to NewServiceRegistryClient.
type Option func(*Client)

// WithPort registers the service's port. With an empty address the registry deduces the
// host from the connection and stores http://<client-ip>:<port>; with an address it stores
// address:port.
func WithPort(port int) Option {
	return func(c *Client) { c.port = port }
}

// WithHeartbeatInterval sets how often the registration is renewed. It must be shorter than
// the server's timeout (-t, 30 s by default). Default DefaultHeartbeatInterval.
func WithHeartbeatInterval(interval time.Duration) Option {
	return func(c *Client) { c.heartbeatInterval = interval }
}

// WithBackoff sets the retry delay while the registry is unreachable: initial, doubling up
// to max, each with jitter. Defaults DefaultInitialBackoff and DefaultMaxBackoff.
func WithBackoff(initial, max time.Duration) Option {
	return func(c *Client) { c.initialBackoff, c.maxBackoff = initial, max }
}

// WithHTTPClient sets the HTTP client used for every request. The default is an
// http.Client with a DefaultRequestTimeout timeout.
func WithHTTPClient(httpClient *http.Client) Option {
	return func(c *Client) { c.httpClient = httpClient }
}

// WithErrorHandler receives every failure of the background loop, as a *RetryError. It is
// called from the loop's goroutine and should return quickly. By default failures are
// dropped: the loop handles them by retrying.
func WithErrorHandler(handler func(error)) Option {
	return func(c *Client) {
		if handler != nil {
			c.onError = handler
		}
	}
}

// NewServiceRegistryClient returns a client for the service name reachable at address,
// registering with the srsr server at serverAddress (for example "http://localhost:4214").
// An empty address lets the registry deduce it from the connection; see WithPort.
func NewServiceRegistryClient(name, address, serverAddress string, options ...Option) *Client {
	c := &Client{
		serverAddress:     strings.TrimRight(serverAddress, "/"),
		name:              name,
		address:           address,
		httpClient:        &http.Client{Timeout: DefaultRequestTimeout},
		heartbeatInterval: DefaultHeartbeatInterval,
		initialBackoff:    DefaultInitialBackoff,
		maxBackoff:        DefaultMaxBackoff,
		onError:           func(error) {},
		jitter:            rand.New(rand.NewSource(time.Now().UnixNano())),
	}
	for _, option := range options {
		option(c)
	}
	return c
}

// StatusError is a non-2xx answer from the registry.
type StatusError struct {
	Method     string
	URL        string
	StatusCode int
	// Body is the start of the answer, which for srsr is {"error":"<field>: <problem>"}.
	Body string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("srsr: %s %s: %d %s: %s", e.Method, e.URL, e.StatusCode,
		http.StatusText(e.StatusCode), e.Body)
}

// post runs the steps every call shares: encode the request, send it, require a 2xx answer,
// decode the answer into out.
func (c *Client) post(ctx context.Context, path string, request, out interface{}) error {
	body, err := json.Marshal(request)
	if err != nil {
		return fmt.Errorf("srsr: encoding %s request: %w", path, err)
	}
	url := c.serverAddress + path
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("srsr: POST %s: %w", url, err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.httpClient.Do(req)
	if err != nil {
		// *url.Error already reads `Post "<url>": <cause>`.
		return fmt.Errorf("srsr: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		text, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		return &StatusError{Method: http.MethodPost, URL: url, StatusCode: resp.StatusCode,
			Body: strings.TrimSpace(string(text))}
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("srsr: POST %s: decoding the answer: %w", url, err)
	}
	return nil
}
