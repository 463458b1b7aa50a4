"""Python client for srsr, the Really Simple Service Registry.

``RegistryClient`` speaks the v1 API: register with meta and a TTL and stay registered in the
background, list, pick, watch and wait for services, with tokens, TLS and several servers::

    from srsr_client import RegistryClient

    registry = RegistryClient("http://127.0.0.1:4214")
    with registry.registration.keep_alive("greeter", port=8080, meta={"zone": "a"}, ttl=15):
        print(registry.instances.pick("greeter", meta={"zone": "a"}))

``ServiceRegistryClient`` is the original ``srsrpy`` client's interface, on the legacy API::

    from srsr_client import ServiceRegistryClient

    with ServiceRegistryClient("http://127.0.0.1:4214", "greeter", port=8080) as registry:
        print(registry.lookup("greeter"))
"""

import logging

from .backoff import Backoff
from .client import ServiceRegistryClient
from .errors import RegistryError
from .events import RegistryEvent, Watch
from .instances import Instance, InstanceList, ServiceList, WaitResult
from .keep_alive import KeepAlive
from .registry_client import RegistryClient

__all__ = [
    "Backoff",
    "Instance",
    "InstanceList",
    "KeepAlive",
    "RegistryClient",
    "RegistryError",
    "RegistryEvent",
    "ServiceList",
    "ServiceRegistryClient",
    "WaitResult",
    "Watch",
]
__version__ = "0.1.0"

# A library leaves output to the application: without logging configured, stay quiet.
logging.getLogger("srsr_client").addHandler(logging.NullHandler())
