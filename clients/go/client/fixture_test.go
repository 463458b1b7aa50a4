package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The shared wire fixture (test/fixtures/client_cases.json), which the TypeScript, Go and
// Python suites all replay against a live srsr so that the clients cannot drift apart.

type fixtureStep struct {
	Call    string                 `json:"call"`
	Args    map[string]interface{} `json:"args"`
	Result  json.RawMessage        `json:"result"`
	Capture string                 `json:"capture"`
	Error   *struct {
		Status   int    `json:"status"`
		Contains string `json:"contains"`
	} `json:"error"`
	Request *struct {
		Method  string      `json:"method"`
		Path    string      `json:"path"`
		Body    interface{} `json:"body"`
		RawBody *string     `json:"rawBody"`
	} `json:"request"`
	Response *struct {
		Status int         `json:"status"`
		Body   interface{} `json:"body"`
	} `json:"response"`
}

func TestTheSharedWireFixture(t *testing.T) {
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	text, err := os.ReadFile(filepath.Join(root, "test", "fixtures", "client_cases.json"))
	if err != nil {
		t.Fatalf("the shared fixture: %v", err)
	}
	var fixture struct {
		Cases []struct {
			Name  string        `json:"name"`
			Steps []fixtureStep `json:"steps"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(text, &fixture); err != nil {
		t.Fatalf("the shared fixture: %v", err)
	}
	if len(fixture.Cases) == 0 {
		t.Fatal("the shared fixture has no cases")
	}
	registry, _ := newRegistry(t, Config{Servers: []string{shared.URL}})
	for _, fixtureCase := range fixture.Cases {
		steps := fixtureCase.Steps
		t.Run(fixtureCase.Name, func(t *testing.T) {
			captured := map[string]interface{}{}
			for i, step := range steps {
				replayStep(t, registry, captured, fmt.Sprintf("step %d", i+1), step)
			}
		})
	}
}

func replayStep(t *testing.T, registry *Registry, captured map[string]interface{}, where string, step fixtureStep) {
	t.Helper()
	if step.Request != nil {
		replayRequest(t, captured, where, step)
		return
	}
	args, _ := substitute(step.Args, captured).(map[string]interface{})
	where = fmt.Sprintf("%s (%s %v)", where, step.Call, args)
	if ttl, given := args["ttl"]; step.Call == "register" && given && ttl == 0.0 {
		// Go's zero time.Duration means "the registry's default", so the client cannot send
		// ttl 0; a negative TTL (sent, and refused) is the fixture's next step.
		t.Logf("%s: skipped: RegisterOptions.TTL 0 means the default TTL in Go", where)
		return
	}
	result, err := fixtureCall(registry, step.Call, args)
	if step.Error != nil {
		var status *StatusError
		if !errors.As(err, &status) || status.StatusCode != step.Error.Status || !strings.Contains(err.Error(), step.Error.Contains) {
			t.Fatalf("%s = %v, %v; want a %d *StatusError containing %q", where, result, err, step.Error.Status, step.Error.Contains)
		}
		return
	}
	if err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	actual := generic(t, result)
	if step.Result != nil {
		var expected interface{}
		if err := json.Unmarshal(step.Result, &expected); err != nil {
			t.Fatal(err)
		}
		if problem := match(substitute(expected, captured), actual, "result"); problem != "" {
			t.Fatalf("%s: %s", where, problem)
		}
	}
	if step.Capture != "" {
		captured[step.Capture] = actual
	}
}

// fixtureCall maps a fixture call to this client's method and returns its result as the
// fixture shows it: an instance or nil, a slice, or a bool.
func fixtureCall(registry *Registry, call string, args map[string]interface{}) (interface{}, error) {
	ctx := context.Background()
	text := func(key string) string { value, _ := args[key].(string); return value }
	meta := func() map[string]string {
		object, _ := args["meta"].(map[string]interface{})
		if object == nil {
			return nil
		}
		strings := map[string]string{}
		for key, value := range object {
			strings[key], _ = value.(string)
		}
		return strings
	}
	instanceOrNil := func(instance *Instance, err error) (interface{}, error) {
		if instance == nil {
			return nil, err
		}
		return instance, err
	}
	switch call {
	case "register":
		ttl, _ := args["ttl"].(float64)
		return instanceOrNil(registry.Registration().Register(ctx, text("name"), RegisterOptions{
			Address: text("address"), Meta: meta(), TTL: time.Duration(ttl * float64(time.Second))}))
	case "get":
		return instanceOrNil(registry.Instances().Get(ctx, text("id")))
	case "list":
		return registry.Instances().List(ctx, text("name"), meta())
	case "pick":
		return instanceOrNil(registry.Instances().Pick(ctx, text("name"), meta()))
	case "services":
		return registry.Instances().Services(ctx)
	case "heartbeat":
		instance, err := registry.Registration().Heartbeat(ctx, text("id"))
		return instance != nil, err
	case "deregister":
		return registry.Registration().Deregister(ctx, text("id"))
	case "update_meta":
		patch, _ := args["meta"].(map[string]interface{})
		set, remove := map[string]string{}, []string{}
		for key, value := range patch {
			if value == nil {
				remove = append(remove, key)
			} else {
				set[key], _ = value.(string)
			}
		}
		return instanceOrNil(registry.Registration().UpdateMeta(ctx, text("id"), set, remove...))
	}
	return nil, fmt.Errorf("the fixture calls %q, which this replay does not know: add it", call)
}

func replayRequest(t *testing.T, captured map[string]interface{}, where string, step fixtureStep) {
	t.Helper()
	path, _ := substitute(step.Request.Path, captured).(string)
	where = fmt.Sprintf("%s (%s %s)", where, step.Request.Method, path)
	var body io.Reader
	switch {
	case step.Request.RawBody != nil:
		body = strings.NewReader(*step.Request.RawBody)
	case step.Request.Body != nil:
		encoded, err := json.Marshal(substitute(step.Request.Body, captured))
		if err != nil {
			t.Fatal(err)
		}
		body = bytes.NewReader(encoded)
	}
	req, err := http.NewRequest(step.Request.Method, shared.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	defer resp.Body.Close()
	text, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	if resp.StatusCode != step.Response.Status {
		t.Fatalf("%s: status %d (%s); want %d", where, resp.StatusCode, text, step.Response.Status)
	}
	if step.Response.Body != nil {
		var actual interface{}
		if err := json.Unmarshal(text, &actual); err != nil {
			t.Fatalf("%s: body %q is not JSON: %v", where, text, err)
		}
		if problem := match(substitute(step.Response.Body, captured), actual, "body"); problem != "" {
			t.Fatalf("%s: %s", where, problem)
		}
	}
}

// generic is value as JSON decodes it: maps, slices, float64, string, bool, nil.
func generic(t *testing.T, value interface{}) interface{} {
	t.Helper()
	encoded, err := json.Marshal(value)
	if err != nil {
		t.Fatal(err)
	}
	var decoded interface{}
	if err := json.Unmarshal(encoded, &decoded); err != nil {
		t.Fatal(err)
	}
	return decoded
}

var placeholder = regexp.MustCompile(`\{(\w+)\.(\w+)\}`)

// substitute replaces "{a.id}" with the field id of the result captured as a, in strings
// anywhere within value; a string that is only a placeholder takes the captured value as is.
func substitute(value interface{}, captured map[string]interface{}) interface{} {
	lookup := func(name, field string) interface{} {
		object, _ := captured[name].(map[string]interface{})
		return object[field]
	}
	switch typed := value.(type) {
	case string:
		if whole := placeholder.FindStringSubmatch(typed); whole != nil && whole[0] == typed {
			return lookup(whole[1], whole[2])
		}
		return placeholder.ReplaceAllStringFunc(typed, func(found string) string {
			parts := placeholder.FindStringSubmatch(found)
			return fmt.Sprint(lookup(parts[1], parts[2]))
		})
	case map[string]interface{}:
		replaced := map[string]interface{}{}
		for key, item := range typed {
			replaced[key] = substitute(item, captured)
		}
		return replaced
	case []interface{}:
		replaced := make([]interface{}, len(typed))
		for i, item := range typed {
			replaced[i] = substitute(item, captured)
		}
		return replaced
	}
	return value
}

// match says how actual differs from expected ("" when it matches): objects are subsets,
// arrays match length and elementwise, {"$type": T} matches by type.
func match(expected, actual interface{}, at string) string {
	switch want := expected.(type) {
	case map[string]interface{}:
		if kind, typed := want["$type"].(string); typed && len(want) == 1 {
			if jsonType(actual) != kind {
				return fmt.Sprintf("%s is %v (%s); want a %s", at, actual, jsonType(actual), kind)
			}
			return ""
		}
		got, isObject := actual.(map[string]interface{})
		if !isObject {
			return fmt.Sprintf("%s is %v; want an object", at, actual)
		}
		for key, item := range want {
			if problem := match(item, got[key], at+"."+key); problem != "" {
				return problem
			}
		}
		return ""
	case []interface{}:
		got, isArray := actual.([]interface{})
		if !isArray || len(got) != len(want) {
			return fmt.Sprintf("%s is %v; want %d items", at, actual, len(want))
		}
		for i := range want {
			if problem := match(want[i], got[i], fmt.Sprintf("%s[%d]", at, i)); problem != "" {
				return problem
			}
		}
		return ""
	}
	if expected != actual {
		return fmt.Sprintf("%s is %#v; want %#v", at, actual, expected)
	}
	return ""
}

func jsonType(value interface{}) string {
	switch value.(type) {
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "boolean"
	case map[string]interface{}:
		return "object"
	case []interface{}:
		return "array"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", value)
}

func TestTheFixtureMatcherFindsDifferences(t *testing.T) {
	var expected interface{}
	if err := json.Unmarshal([]byte(`{"id": {"$type": "string"}, "meta": {"zone": "a"}, "list": [1, 2]}`), &expected); err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		`{"id": "x", "meta": {"zone": "a", "more": "b"}, "list": [1, 2], "extra": true}`: "",
		`{"id": 5, "meta": {"zone": "a"}, "list": [1, 2]}`:                               "result.id",
		`{"id": "x", "meta": {"zone": "b"}, "list": [1, 2]}`:                             "result.meta.zone",
		`{"id": "x", "meta": {"zone": "a"}, "list": [1]}`:                                "result.list",
		`{"id": "x", "meta": {"zone": "a"}, "list": [1, 3]}`:                             "result.list[1]",
		`null`: "want an object",
	}
	for text, want := range cases {
		var actual interface{}
		if err := json.Unmarshal([]byte(text), &actual); err != nil {
			t.Fatal(err)
		}
		problem := match(expected, actual, "result")
		if (want == "") != (problem == "") || !strings.Contains(problem, want) {
			t.Errorf("match(%s) = %q; want a problem mentioning %q", text, problem, want)
		}
	}
	captured := map[string]interface{}{"a": map[string]interface{}{"id": "abc"}}
	if got := substitute("/v1/instances/{a.id}", captured); got != "/v1/instances/abc" {
		t.Errorf("substitute in a path = %v", got)
	}
}
