package client

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"
)

// Config configures a Registry, the client of srsr's v1 API. Only Servers is required.
type Config struct {
	// Servers are the base URLs of the registry's nodes, such as "http://10.0.0.2:4214": one,
	// or every node of a deployment sharing a PostgreSQL database. A connection failure or a
	// 5xx answer moves a call on to the next node.
	Servers []string
	// Token is sent as "Authorization: Bearer <token>" when not empty.
	Token string
	// CAFile is a PEM file of the CAs to trust for https:// servers instead of the system's.
	CAFile string
	// HTTPClient sends every request. Default: one with its own transport (honouring CAFile)
	// and no overall timeout, since event streams stay open; RequestTimeout bounds each call.
	// One of your own should have no Timeout either, or every watch ends at it.
	HTTPClient *http.Client
	// RequestTimeout bounds each call; a long-poll gets its wait on top. An event stream's
	// answer must start within it. Default DefaultRequestTimeout.
	RequestTimeout time.Duration
	// InitialBackoff and MaxBackoff are the retry delays of background work (KeepAlive,
	// Watch, WaitFor) once every server has failed: initial, doubling to max, with jitter.
	// Defaults DefaultInitialBackoff and DefaultMaxBackoff.
	InitialBackoff, MaxBackoff time.Duration
	// OnError is told of each failure of background work, as a *RetryError, which is then
	// retried; it is called from that work's goroutine and should return quickly. Default: drop.
	OnError func(error)
}

// Registry is a client of srsr's v1 API, shaped as resources: Registration, Instances and
// Events. Create it with NewRegistry; it is safe for concurrent use.
type Registry struct {
	servers        []*url.URL
	token          string
	httpClient     *http.Client
	requestTimeout time.Duration
	initialBackoff time.Duration
	maxBackoff     time.Duration
	onError        func(error)

	// mu guards preferred, the index of the server that answered last, and random.
	mu        sync.Mutex
	preferred int
	random    *rand.Rand
}

// NewRegistry checks config and returns a Registry. It sends nothing: a registry that is not
// up yet is no error here.
func NewRegistry(config Config) (*Registry, error) {
	if len(config.Servers) == 0 {
		return nil, errors.New("srsr: servers: give at least one base URL, such as http://127.0.0.1:4214")
	}
	r := &Registry{
		token:          config.Token,
		httpClient:     config.HTTPClient,
		requestTimeout: orDefault(config.RequestTimeout, DefaultRequestTimeout),
		initialBackoff: orDefault(config.InitialBackoff, DefaultInitialBackoff),
		maxBackoff:     orDefault(config.MaxBackoff, DefaultMaxBackoff),
		onError:        config.OnError,
		random:         rand.New(rand.NewSource(time.Now().UnixNano())),
	}
	if r.maxBackoff < r.initialBackoff {
		return nil, fmt.Errorf("srsr: backoff: max %s is below initial %s", r.maxBackoff, r.initialBackoff)
	}
	if r.onError == nil {
		r.onError = func(error) {}
	}
	for _, server := range config.Servers {
		base, err := url.Parse(strings.TrimRight(server, "/") + "/")
		if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
			return nil, fmt.Errorf("srsr: servers: %q is not an http:// or https:// base URL", server)
		}
		r.servers = append(r.servers, base)
	}
	if r.httpClient == nil {
		transport := http.DefaultTransport.(*http.Transport).Clone()
		if config.CAFile != "" {
			roots, err := readCAFile(config.CAFile)
			if err != nil {
				return nil, err
			}
			transport.TLSClientConfig = &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
		}
		r.httpClient = &http.Client{Transport: transport}
	} else if config.CAFile != "" {
		return nil, errors.New("srsr: CAFile: give it or HTTPClient, not both (set the CA in HTTPClient's transport)")
	}
	return r, nil
}

func orDefault(value, otherwise time.Duration) time.Duration {
	if value <= 0 {
		return otherwise
	}
	return value
}

func readCAFile(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("srsr: CAFile: %w", err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("srsr: CAFile: %s holds no PEM certificate", path)
	}
	return roots, nil
}

// Registration is the resource that registers, renews and deregisters instances.
func (r *Registry) Registration() *Registration { return &Registration{r} }

// Instances is the resource that reads the catalog.
func (r *Registry) Instances() *Instances { return &Instances{r} }

// Events is the resource that watches the catalog's changes.
func (r *Registry) Events() *Events { return &Events{r} }

// call is one request of the v1 API.
type call struct {
	method string
	path   string // already percent-encoded, relative to a server's base URL
	query  url.Values
	body   interface{}
	header http.Header
	// hold is how long the registry may hold the request (a long-poll's wait).
	hold time.Duration
	// stream leaves the answer's body open and untimed (an event stream).
	stream bool
}

// errNotFound is a 404 on a call that treats it as a value.
var errNotFound = errors.New("not found")

// do runs the steps every call shares: build the request, send it to a server (moving on
// to the next on a connection failure or a 5xx), require a 2xx, decode the answer into out
// (when not nil). A 404 is errNotFound when notFound is true, else a *StatusError.
func (r *Registry) do(ctx context.Context, c call, notFound bool, out interface{}) (http.Header, error) {
	ctx, cancel := context.WithTimeout(ctx, r.requestTimeout+c.hold)
	defer cancel()
	resp, err := r.send(ctx, c)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound && notFound {
		return resp.Header, errNotFound
	}
	if err := requireOK(resp); err != nil {
		return nil, err
	}
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			return nil, fmt.Errorf("srsr: %s %s: decoding the answer: %w", c.method, resp.Request.URL, err)
		}
	}
	return resp.Header, nil
}

// send tries each server once, from the one that answered last, and returns the first
// answer that is not a 5xx; the caller closes its body. When every server failed it returns
// the last failure.
func (r *Registry) send(ctx context.Context, c call) (*http.Response, error) {
	var body []byte
	if c.body != nil {
		var err error
		if body, err = json.Marshal(c.body); err != nil {
			return nil, fmt.Errorf("srsr: encoding the %s %s request: %w", c.method, c.path, err)
		}
	}
	r.mu.Lock()
	first := r.preferred
	r.mu.Unlock()
	var failure error
	for i := range r.servers {
		server := (first + i) % len(r.servers)
		resp, err := r.sendTo(ctx, r.servers[server], c, body)
		if err == nil && resp.StatusCode < 500 {
			r.mu.Lock()
			r.preferred = server
			r.mu.Unlock()
			return resp, nil
		}
		if err == nil {
			err = requireOK(resp)
			resp.Body.Close()
		}
		failure = err
		if ctx.Err() != nil {
			break
		}
	}
	return nil, failure
}

func (r *Registry) sendTo(ctx context.Context, server *url.URL, c call, body []byte) (*http.Response, error) {
	target := server.String() + c.path
	if len(c.query) > 0 {
		target += "?" + c.query.Encode()
	}
	var reader io.Reader
	if body != nil {
		reader = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, c.method, target, reader)
	if err != nil {
		return nil, fmt.Errorf("srsr: %s %s: %w", c.method, target, err)
	}
	for key, values := range c.header {
		req.Header[key] = values
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if r.token != "" {
		req.Header.Set("Authorization", "Bearer "+r.token)
	}
	resp, err := r.httpClient.Do(req)
	if err != nil {
		// *url.Error already reads `Get "<url>": <cause>`.
		return nil, fmt.Errorf("srsr: %w", err)
	}
	return resp, nil
}

// requireOK turns an answer other than a 2xx into a *StatusError, reading its body.
func requireOK(resp *http.Response) error {
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		return nil
	}
	text, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	return &StatusError{Method: resp.Request.Method, URL: resp.Request.URL.String(),
		StatusCode: resp.StatusCode, Body: strings.TrimSpace(string(text))}
}

// isFinal says whether err is an answer the registry would give again however often it is
// asked: a 4xx other than 408 and 429. Anything else is worth retrying after a backoff.
func isFinal(err error) bool {
	var status *StatusError
	return errors.As(err, &status) && status.StatusCode < 500 &&
		status.StatusCode != http.StatusRequestTimeout && status.StatusCode != http.StatusTooManyRequests
}

// backoff is the wait after failures consecutive failures of background work.
func (r *Registry) backoff(failures int) time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return backoffDelay(failures, r.initialBackoff, r.maxBackoff, r.random.Int63n)
}

// sleep waits for d or until ctx is done, and says whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-timer.C:
		return true
	}
}

// ErrorMessage is the registry's own message from a StatusError's body, {"error": "..."},
// or the body itself when it is not that shape.
func (e *StatusError) ErrorMessage() string {
	var answer struct {
		Error string `json:"error"`
	}
	if json.Unmarshal([]byte(e.Body), &answer) == nil && answer.Error != "" {
		return answer.Error
	}
	return e.Body
}
