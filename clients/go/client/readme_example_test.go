package client

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// readmeExample is the first ```go block after "## Example" in clients/go/README.md.
func readmeExample(t *testing.T) string {
	t.Helper()
	text, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, found := strings.Cut(string(text), "\n## Example\n")
	if !found {
		t.Fatal(`README.md has no "## Example" section`)
	}
	_, code, found := strings.Cut(section, "```go\n")
	if !found {
		t.Fatal("README.md's example has no ```go block")
	}
	code, _, _ = strings.Cut(code, "```")
	return code
}

// The README's install steps from a checkout: a scratch module outside the tree that
// requires the client through a local replace directive, built with no network, and the
// README's example, started before its registry and stopped with SIGTERM.
func TestTheReadmeExampleBuildsFromACheckoutWithALocalReplace(t *testing.T) {
	checkout, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	scratch := t.TempDir()
	goMod := "module example.com/billing\n\ngo 1.19\n\n" +
		"require github.com/srsr-dev/srsr/clients/go v0.0.0\n\n" +
		"replace github.com/srsr-dev/srsr/clients/go => " + checkout + "\n"
	for name, content := range map[string]string{"go.mod": goMod, "main.go": readmeExample(t)} {
		if err := os.WriteFile(filepath.Join(scratch, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	program := filepath.Join(scratch, "billing")
	build := exec.Command(goTool, "build", "-o", program, ".")
	build.Dir = scratch
	build.Env = append(os.Environ(), "GOPROXY=off", "GOFLAGS=-mod=mod", "GOWORK=off")
	if output, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build with a local replace, offline: %v\n%s", err, output)
	}

	// Started before its registry, it keeps trying rather than exiting.
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	registryURL := "http://127.0.0.1:" + strconv.Itoa(port)
	service := exec.Command(program)
	service.Env = append(os.Environ(), "SRSR_URL="+registryURL)
	output := &lockedBuffer{}
	service.Stdout, service.Stderr = output, output
	if err := service.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- service.Wait() }()
	defer func() {
		_ = service.Process.Kill()
	}()
	eventually(t, 15*time.Second, "the example retrying while no registry is up", func() bool {
		return strings.Contains(output.String(), "keeping") || strings.Contains(output.String(), "connection refused")
	})

	server, err := launchServerWith(port, "30", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(server.stop)
	registry, _ := newRegistry(t, Config{Servers: []string{registryURL}})
	ctx := context.Background()
	eventually(t, 15*time.Second, "billing registered by the example", func() bool {
		instances, err := registry.Instances().List(ctx, "billing", map[string]string{"zone": "eu-west-1a"})
		return err == nil && len(instances) == 1
	})

	if err := service.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("the example exited with %v after SIGTERM; want 0\n%s", err, output.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("the example did not exit within 15s of SIGTERM\n%s", output.String())
	}
	if instances, err := registry.Instances().List(ctx, "billing", nil); err != nil || len(instances) != 0 {
		t.Errorf("billing after SIGTERM = %+v, %v; want it deregistered", instances, err)
	}
}
