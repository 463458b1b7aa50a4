package client

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Events watches the catalog's changes over the v1 API's Server-Sent Events
// (GET /v1/events). Get it from Registry.Events.
type Events struct{ r *Registry }

// The types of Event.
const (
	// EventSnapshot carries the live instances of the names watched, in Instances.
	EventSnapshot = "snapshot"
	EventRegister = "register"
	// EventDeregister and EventExpire carry the instance as it was last.
	EventDeregister = "deregister"
	EventExpire     = "expire"
	// EventUpdate carries the instance with its patched meta.
	EventUpdate = "update"
	// EventError is the last event of a watch the registry refused, with Err.
	EventError = "error"
)

// Event is one event of a watch.
type Event struct {
	// Type is one of the Event* constants.
	Type string
	// Index is the catalog index of the change, or the one the snapshot was read at.
	Index uint64
	// Instance is the instance that changed; nil for a snapshot.
	Instance *Instance
	// Instances are a snapshot's live instances; nil for a change.
	Instances []Instance
	// Err is why the registry refused the watch, for an EventError.
	Err error
}

// idleTimeout is how long a stream may be silent before it is taken as dropped; the
// registry sends a ping comment every 15 s.
const idleTimeout = 45 * time.Second

// Watch streams the events of names (every name when none is given) until ctx is done,
// then closes the channel. The first event is a snapshot. A dropped or ended stream is
// reopened, on the next server when there are several, with backoff once all have failed
// and Last-Event-ID, so the registry sends exactly the changes missed; when it no longer
// holds them it sends a fresh snapshot, which is passed on. Failures go to Config.OnError.
//
// Receive until the channel closes. A watch the registry refuses (a 4xx, such as a missing
// token or a bad name) ends with an EventError whose Err says why.
func (e *Events) Watch(ctx context.Context, names ...string) <-chan Event {
	return e.WatchFrom(ctx, 0, names...)
}

// WatchFrom is Watch starting after index, with no snapshot when the registry still holds
// the changes since then (index 0 starts with a snapshot).
func (e *Events) WatchFrom(ctx context.Context, index uint64, names ...string) <-chan Event {
	w := &watch{events: make(chan Event)}
	query := url.Values{}
	for _, name := range names {
		query.Add("name", name)
	}
	go w.run(ctx, e.r, query, index)
	return w.events
}

// watch is one running Watch.
type watch struct {
	events chan Event
}

func (w *watch) run(ctx context.Context, r *Registry, query url.Values, lastIndex uint64) {
	defer close(w.events)
	failures := 0
	for {
		failure := w.stream(ctx, r, query, &lastIndex, &failures)
		if ctx.Err() != nil {
			return
		}
		if isFinal(failure) {
			select {
			case w.events <- Event{Type: EventError, Err: failure}:
			case <-ctx.Done():
			}
			return
		}
		failures++
		retryIn := r.backoff(failures)
		r.onError(&RetryError{Service: "watch " + query.Encode(), Failures: failures, RetryIn: retryIn, Err: failure})
		if !sleep(ctx, retryIn) {
			return
		}
	}
}

// stream opens one event stream and passes its events on until it ends; it returns why.
// A stream that opened resets failures.
func (w *watch) stream(ctx context.Context, r *Registry, query url.Values, lastIndex *uint64, failures *int) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	resp, err := openStream(ctx, cancel, r, query, *lastIndex)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	*failures = 0
	// A stream silent past idleTimeout (the registry pings every 15 s) is taken as dropped.
	idle := time.AfterFunc(idleTimeout, cancel)
	defer idle.Stop()
	messages := sseReader{reader: bufio.NewReader(resp.Body), onLine: func() { idle.Reset(idleTimeout) }}
	for {
		kind, id, data, err := messages.next()
		if err != nil {
			if ctx.Err() != nil && !idle.Stop() {
				return fmt.Errorf("srsr: GET %s: the stream was silent for %s", resp.Request.URL, idleTimeout)
			}
			return fmt.Errorf("srsr: GET %s: the stream ended: %w", resp.Request.URL, err)
		}
		event, known, err := decodeEvent(kind, id, data)
		if err != nil {
			return fmt.Errorf("srsr: GET %s: %w", resp.Request.URL, err)
		}
		if !known {
			continue
		}
		// A receiver that takes its time is not a silent stream.
		idle.Stop()
		select {
		case w.events <- event:
			*lastIndex = event.Index
		case <-ctx.Done():
			return ctx.Err()
		}
		idle.Reset(idleTimeout)
	}
}

// openStream sends GET /v1/events, resuming after lastIndex when it is not 0, and returns
// the answer once it is a 200 event stream. Only the answer's head is timed.
func openStream(ctx context.Context, cancel context.CancelFunc, r *Registry, query url.Values, lastIndex uint64) (*http.Response, error) {
	c := call{method: http.MethodGet, path: "v1/events", query: query, header: http.Header{"Accept": {"text/event-stream"}}}
	if lastIndex > 0 {
		c.header.Set("Last-Event-ID", strconv.FormatUint(lastIndex, 10))
	}
	headTimer := time.AfterFunc(r.requestTimeout, cancel)
	resp, err := r.send(ctx, c)
	if !headTimer.Stop() {
		if err == nil {
			resp.Body.Close()
		}
		return nil, fmt.Errorf("srsr: GET %sv1/events: no answer within %s", r.servers[0], r.requestTimeout)
	}
	if err != nil {
		return nil, err
	}
	if err := requireOK(resp); err != nil {
		resp.Body.Close()
		return nil, err
	}
	if kind := resp.Header.Get("Content-Type"); !strings.HasPrefix(kind, "text/event-stream") {
		resp.Body.Close()
		return nil, &StatusError{Method: http.MethodGet, URL: resp.Request.URL.String(), StatusCode: resp.StatusCode,
			Body: "the answer is " + kind + ", not text/event-stream"}
	}
	return resp, nil
}

// sseReader reads Server-Sent Events: "event:", "data:" and "id:" lines up to a blank one.
// Comments (": ping") and unknown fields are skipped.
type sseReader struct {
	reader *bufio.Reader
	// onLine is called for every line read, comments included.
	onLine func()
}

// next returns the next event's type, id and data.
func (s *sseReader) next() (kind, id, data string, err error) {
	var lines []string
	for {
		line, err := s.reader.ReadString('\n')
		if err != nil {
			return "", "", "", err
		}
		s.onLine()
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			if kind != "" || lines != nil {
				return kind, id, strings.Join(lines, "\n"), nil
			}
			continue
		}
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "event":
			kind = value
		case "data":
			lines = append(lines, value)
		case "id":
			id = value
		}
	}
}

// decodeEvent reads one event; known is false for a type this client does not know yet.
func decodeEvent(kind, id, data string) (event Event, known bool, err error) {
	switch kind {
	case EventSnapshot:
		var snapshot struct {
			Index     uint64     `json:"index"`
			Instances []Instance `json:"instances"`
		}
		if err := json.Unmarshal([]byte(data), &snapshot); err != nil {
			return Event{}, false, fmt.Errorf("snapshot event: %w", err)
		}
		if snapshot.Instances == nil {
			snapshot.Instances = []Instance{}
		}
		return Event{Type: kind, Index: snapshot.Index, Instances: snapshot.Instances}, true, nil
	case EventRegister, EventDeregister, EventExpire, EventUpdate:
		var change struct {
			Instance *Instance `json:"instance"`
		}
		if err := json.Unmarshal([]byte(data), &change); err != nil || change.Instance == nil {
			return Event{}, false, fmt.Errorf("%s event: no instance in %q", kind, data)
		}
		index, err := strconv.ParseUint(id, 10, 64)
		if err != nil || index == 0 {
			return Event{}, false, fmt.Errorf("%s event: id %q is not an index", kind, id)
		}
		return Event{Type: kind, Index: index, Instance: change.Instance}, true, nil
	}
	return Event{}, false, nil
}
