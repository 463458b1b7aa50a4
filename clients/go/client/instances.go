package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Instances reads the catalog: Get, List, Pick, Services and WaitFor. Get it from
// Registry.Instances.
type Instances struct{ r *Registry }

// indexHeader carries the index a read was answered at, for the next long-poll.
const indexHeader = "X-Srsr-Index"

// longPollWait is the most one long-poll of WaitFor asks the registry to hold it.
const longPollWait = 30 * time.Second

// Get returns the instance with the id, or nil when the registry has no live instance
// with it.
func (s *Instances) Get(ctx context.Context, id string) (*Instance, error) {
	var instance Instance
	_, err := s.r.do(ctx, call{method: http.MethodGet, path: "v1/instances/" + url.PathEscape(id)}, true, &instance)
	if errors.Is(err, errNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &instance, nil
}

// List returns the live instances of name whose meta has every key and value of meta (nil
// for all), oldest first; none is an empty slice, not an error.
func (s *Instances) List(ctx context.Context, name string, meta map[string]string) ([]Instance, error) {
	instances, _, err := s.list(ctx, name, meta, 0, 0)
	return instances, err
}

type instanceList struct {
	Index     uint64     `json:"index"`
	Instances []Instance `json:"instances"`
}

// list is List as a long-poll: with index > 0 the registry holds the answer for up to wait
// while name's index is still index. It also returns the index the answer was read at.
func (s *Instances) list(ctx context.Context, name string, meta map[string]string, index uint64, wait time.Duration) ([]Instance, uint64, error) {
	query := metaQuery(meta)
	c := call{method: http.MethodGet, path: "v1/services/" + url.PathEscape(name), query: query}
	if index > 0 {
		query.Set("index", strconv.FormatUint(index, 10))
		query.Set("wait", strconv.FormatInt(wait.Milliseconds(), 10)+"ms")
		// The registry may add a jitter of up to wait/16.
		c.hold = wait + wait/16
	}
	var answer instanceList
	if _, err := s.r.do(ctx, c, false, &answer); err != nil {
		return nil, 0, err
	}
	if answer.Instances == nil {
		answer.Instances = []Instance{}
	}
	return answer.Instances, answer.Index, nil
}

// Pick returns one live instance of name whose meta matches (nil for any), chosen by the
// registry uniformly at random, or nil when there is none.
func (s *Instances) Pick(ctx context.Context, name string, meta map[string]string) (*Instance, error) {
	var instance Instance
	c := call{method: http.MethodGet, path: "v1/services/" + url.PathEscape(name) + "/pick", query: metaQuery(meta)}
	_, err := s.r.do(ctx, c, true, &instance)
	if errors.Is(err, errNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &instance, nil
}

// Services returns every name with a live instance, sorted, with how many it has.
func (s *Instances) Services(ctx context.Context) ([]Service, error) {
	var answer struct {
		Services []Service `json:"services"`
	}
	if _, err := s.r.do(ctx, call{method: http.MethodGet, path: "v1/services"}, false, &answer); err != nil {
		return nil, err
	}
	if answer.Services == nil {
		answer.Services = []Service{}
	}
	return answer.Services, nil
}

// WaitFor waits until name has at least count live instances, or timeout passes, by
// long-polls (each held by the registry until name changes). It returns the instances as
// last read and whether there were count of them; running out of time is not an error,
// unless the last attempt could not reach the registry: then it is that attempt's error.
// While the registry cannot be reached or fails it retries with backoff, each failure going
// to Config.OnError. A refusal (a 4xx) or ctx ending is an error.
func (s *Instances) WaitFor(ctx context.Context, name string, count int, timeout time.Duration) ([]Instance, bool, error) {
	waiting, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	deadline, _ := waiting.Deadline()
	var index uint64
	last := []Instance{}
	var unreachable error
	failures := 0
	for waiting.Err() == nil {
		wait := time.Until(deadline)
		if wait > longPollWait {
			wait = longPollWait
		}
		if wait < time.Millisecond {
			break
		}
		instances, answered, err := s.list(waiting, name, nil, index, wait)
		switch {
		case err == nil:
			failures, unreachable = 0, nil
			last, index = instances, answered
			if len(instances) >= count {
				return instances, true, nil
			}
		case waiting.Err() != nil:
		case isFinal(err):
			return last, false, err
		default:
			failures, unreachable = failures+1, err
			retryIn := s.r.backoff(failures)
			s.r.onError(&RetryError{Service: name, Failures: failures, RetryIn: retryIn, Err: err})
			sleep(waiting, retryIn)
		}
	}
	if err := ctx.Err(); err != nil {
		return last, false, fmt.Errorf("srsr: waiting for %d instances of %q: %w", count, name, err)
	}
	if unreachable != nil {
		return last, false, fmt.Errorf("srsr: waiting for %d instances of %q: %s passed, and the last attempt failed: %w",
			count, name, timeout, unreachable)
	}
	return last, false, nil
}

func metaQuery(meta map[string]string) url.Values {
	query := url.Values{}
	for key, value := range meta {
		query.Set("meta."+key, value)
	}
	return query
}
