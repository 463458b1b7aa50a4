package client

import (
	"bufio"
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// nextEvent receives the watch's next event, failing the test after limit.
func nextEvent(t *testing.T, events <-chan Event) Event {
	t.Helper()
	select {
	case event, open := <-events:
		if !open {
			t.Fatal("the watch ended; want another event")
		}
		return event
	case <-time.After(15 * time.Second):
		t.Fatal("no event within 15s")
		return Event{}
	}
}

func expectChange(t *testing.T, events <-chan Event, kind, id string) Event {
	t.Helper()
	event := nextEvent(t, events)
	if event.Type != kind || event.Instance == nil || event.Instance.ID != id {
		t.Fatalf("event = %s %+v; want %s of %s", event.Type, event.Instance, kind, id)
	}
	return event
}

// expectClosed drains nothing: the next receive must find the channel closed.
func expectClosed(t *testing.T, events <-chan Event) {
	t.Helper()
	select {
	case event, open := <-events:
		if open {
			t.Fatalf("event %+v after the watch should have ended", event)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the watch's channel did not close within 15s")
	}
}

func TestWatchSendsASnapshotThenEachChange(t *testing.T) {
	registry, _ := newRegistry(t, Config{Servers: []string{shared.URL}})
	ctx := context.Background()
	name := serviceName(t)
	registration := registry.Registration()
	before, err := registration.Register(ctx, name, RegisterOptions{Address: "10.0.5.1:80"})
	if err != nil {
		t.Fatal(err)
	}
	watching, stop := context.WithCancel(ctx)
	defer stop()
	events := registry.Events().Watch(watching, name)

	snapshot := nextEvent(t, events)
	if snapshot.Type != EventSnapshot || len(snapshot.Instances) != 1 || snapshot.Instances[0].ID != before.ID || snapshot.Index == 0 {
		t.Fatalf("first event = %+v; want a snapshot of %s", snapshot, before.ID)
	}
	after, err := registration.Register(ctx, name, RegisterOptions{Address: "10.0.5.2:80"})
	if err != nil {
		t.Fatal(err)
	}
	registered := expectChange(t, events, EventRegister, after.ID)
	if registered.Index <= snapshot.Index {
		t.Errorf("register event index %d; want above the snapshot's %d", registered.Index, snapshot.Index)
	}
	if _, err := registration.UpdateMeta(ctx, after.ID, map[string]string{"v": "2"}); err != nil {
		t.Fatal(err)
	}
	if updated := expectChange(t, events, EventUpdate, after.ID); updated.Instance.Meta["v"] != "2" {
		t.Errorf("update event meta = %v; want v=2", updated.Instance.Meta)
	}
	for _, id := range []string{before.ID, after.ID} {
		if _, err := registration.Deregister(ctx, id); err != nil {
			t.Fatal(err)
		}
		expectChange(t, events, EventDeregister, id)
	}
	stop()
	expectClosed(t, events)
}

func TestWatchTheRegistryRefusesEndsWithAnErrorEvent(t *testing.T) {
	registry, _ := newRegistry(t, Config{Servers: []string{shared.URL}})
	events := registry.Events().Watch(context.Background(), "not a name")
	event := nextEvent(t, events)
	var status *StatusError
	if event.Type != EventError || !errors.As(event.Err, &status) || status.StatusCode != 400 {
		t.Fatalf("event = %+v; want an EventError carrying a 400", event)
	}
	expectClosed(t, events)
}

// gate holds the first background failure it is told of until released, so a test can
// change the catalog while a watch is disconnected.
type gate struct {
	once     sync.Once
	dropped  chan struct{}
	released chan struct{}
}

func newGate() *gate { return &gate{dropped: make(chan struct{}), released: make(chan struct{})} }

func (g *gate) hold(error) {
	g.once.Do(func() {
		close(g.dropped)
		<-g.released
	})
}

func TestWatchSurvivesARestartAndResumesWithoutMissingOrRepeatingAChange(t *testing.T) {
	store := "sqlite:" + filepath.Join(t.TempDir(), "registry.db")
	server, err := launch(&testServer{timeout: "30", args: []string{"--store", store}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(server.stop)
	name := serviceName(t)
	held := newGate()
	watcher, _ := newRegistry(t, Config{Servers: []string{server.URL}, OnError: held.hold})
	writer, _ := newRegistry(t, Config{Servers: []string{server.URL}})
	ctx := context.Background()
	watching, stop := context.WithCancel(ctx)
	defer stop()
	events := watcher.Events().Watch(watching, name)
	if snapshot := nextEvent(t, events); snapshot.Type != EventSnapshot || len(snapshot.Instances) != 0 {
		t.Fatalf("first event = %+v; want an empty snapshot", snapshot)
	}
	a, err := writer.Registration().Register(ctx, name, RegisterOptions{Address: "10.0.6.1:80"})
	if err != nil {
		t.Fatal(err)
	}
	expectChange(t, events, EventRegister, a.ID)

	// The restart ends the stream; the watch is held disconnected while the catalog changes.
	server.restart(t)
	select {
	case <-held.dropped:
	case <-time.After(15 * time.Second):
		t.Fatal("the watch did not notice the restart within 15s")
	}
	b, err := writer.Registration().Register(ctx, name, RegisterOptions{Address: "10.0.6.2:80"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := writer.Registration().UpdateMeta(ctx, a.ID, map[string]string{"v": "2"}); err != nil {
		t.Fatal(err)
	}
	if _, err := writer.Registration().Deregister(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	close(held.released)

	// Exactly the changes missed, in order: no snapshot, no second register of a.
	expectChange(t, events, EventRegister, b.ID)
	expectChange(t, events, EventUpdate, a.ID)
	expectChange(t, events, EventDeregister, a.ID)
	// A change made now is the very next event, so nothing was repeated before it.
	c, err := writer.Registration().Register(ctx, name, RegisterOptions{Address: "10.0.6.3:80"})
	if err != nil {
		t.Fatal(err)
	}
	expectChange(t, events, EventRegister, c.ID)
}

func TestSSEReaderReadsEventsAndSkipsComments(t *testing.T) {
	stream := ": ping\n\nevent: snapshot\r\ndata: {\"a\":\r\ndata: 1}\r\nid: 7\r\nretry: 5\r\n\r\n" +
		"event:register\ndata:x\nid:8\n\n: ping\n\nevent: cut off\n"
	lines := 0
	reader := sseReader{reader: bufio.NewReader(strings.NewReader(stream)), onLine: func() { lines++ }}
	want := [][3]string{{"snapshot", "7", "{\"a\":\n1}"}, {"register", "8", "x"}}
	for _, expected := range want {
		kind, id, data, err := reader.next()
		if err != nil || [3]string{kind, id, data} != expected {
			t.Fatalf("next = %q %q %q, %v; want %q", kind, id, data, err, expected)
		}
	}
	if _, _, _, err := reader.next(); err != io.EOF {
		t.Errorf("next at the end = %v; want io.EOF, not the unfinished event", err)
	}
	if lines != 15 {
		t.Errorf("onLine called %d times; want once per line, 15", lines)
	}
}
