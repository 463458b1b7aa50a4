package client

import "context"

type nameRequest struct {
	Name string `json:"name"`
}

type lookupResponse struct {
	Address string `json:"address"`
	Success bool   `json:"success"`
}

// Lookup returns the address of a live instance of the named service, chosen by the
// registry. A service with no live instance is ("", false, nil); an error means the
// registry could not be asked or refused the request.
//
// Lookup needs no registration: a client made only for lookups can pass "" for its own
// name and address.
func (c *Client) Lookup(name string) (string, bool, error) {
	return c.LookupContext(context.Background(), name)
}

// LookupContext is Lookup with a context for the request.
func (c *Client) LookupContext(ctx context.Context, name string) (string, bool, error) {
	var answer lookupResponse
	if err := c.post(ctx, "/lookup", nameRequest{Name: name}, &answer); err != nil {
		return "", false, err
	}
	if !answer.Success {
		return "", false, nil
	}
	return answer.Address, true, nil
}
