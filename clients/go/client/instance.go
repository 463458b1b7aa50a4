package client

import (
	"encoding/json"
	"time"
)

// Instance is one registration of a service, as the v1 API shows it.
type Instance struct {
	ID      string
	Name    string
	Address string
	Meta    map[string]string
	// TTL is how long the instance lives after registering or its last heartbeat.
	TTL          time.Duration
	RegisteredAt time.Time
	ExpiresAt    time.Time
}

// wireInstance is Instance as JSON: the TTL in seconds, fractions allowed.
type wireInstance struct {
	ID           string            `json:"id"`
	Name         string            `json:"name"`
	Address      string            `json:"address"`
	Meta         map[string]string `json:"meta"`
	TTL          float64           `json:"ttl"`
	RegisteredAt time.Time         `json:"registeredAt"`
	ExpiresAt    time.Time         `json:"expiresAt"`
}

// UnmarshalJSON reads the v1 API's instance, whose ttl is in seconds.
func (i *Instance) UnmarshalJSON(data []byte) error {
	var wire wireInstance
	if err := json.Unmarshal(data, &wire); err != nil {
		return err
	}
	*i = Instance{ID: wire.ID, Name: wire.Name, Address: wire.Address, Meta: wire.Meta,
		TTL: seconds(wire.TTL), RegisteredAt: wire.RegisteredAt, ExpiresAt: wire.ExpiresAt}
	if i.Meta == nil {
		i.Meta = map[string]string{}
	}
	return nil
}

// MarshalJSON writes the instance as the v1 API does.
func (i Instance) MarshalJSON() ([]byte, error) {
	return json.Marshal(wireInstance{ID: i.ID, Name: i.Name, Address: i.Address, Meta: i.Meta,
		TTL: i.TTL.Seconds(), RegisteredAt: i.RegisteredAt, ExpiresAt: i.ExpiresAt})
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// Service is one name with live instances, and how many.
type Service struct {
	Name      string `json:"name"`
	Instances int    `json:"instances"`
}
