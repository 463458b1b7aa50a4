package client

import (
	"errors"
	"strconv"
	"strings"
	"testing"
)

func contains(text, part string) bool { return strings.Contains(text, part) }

func TestLookupOfAnUnknownServiceIsNotFoundNotAnError(t *testing.T) {
	c := NewServiceRegistryClient("", "", shared.URL)
	address, found, err := c.Lookup(serviceName(t))
	if err != nil || found || address != "" {
		t.Errorf(`Lookup = %q, %v, %v; want "", false, nil`, address, found, err)
	}
}

func TestLookupErrorCarriesStatusAndBody(t *testing.T) {
	c := NewServiceRegistryClient("", "", shared.URL)
	_, found, err := c.Lookup("")
	var status *StatusError
	if !errors.As(err, &status) {
		t.Fatalf("Lookup(\"\") error = %v; want a *StatusError", err)
	}
	if found {
		t.Error("found = true alongside an error")
	}
	if status.StatusCode != 400 || status.Body != `{"error":"name: must not be empty"}` {
		t.Errorf("StatusError = %d %q; want 400 and the server's message", status.StatusCode, status.Body)
	}
	if !contains(err.Error(), "400 Bad Request") || !contains(err.Error(), "name: must not be empty") {
		t.Errorf("error %q should carry the status and the body", err)
	}
}

func TestLookupWhenTheServerIsUnreachableIsAnError(t *testing.T) {
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	c := NewServiceRegistryClient("", "", "http://127.0.0.1:"+strconv.Itoa(port))
	_, found, err := c.Lookup("anything")
	if err == nil || found {
		t.Fatalf("Lookup = found %v, error %v; want an error", found, err)
	}
	if !contains(err.Error(), "/lookup") {
		t.Errorf("error %q should say which request failed", err)
	}
}
