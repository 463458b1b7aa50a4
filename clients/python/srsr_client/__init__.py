"""Python client for srsr, the Really Simple Service Registry.

Register a service, keep it registered in the background through registry restarts and
outages, deregister on close, and look services up::

    from srsr_client import ServiceRegistryClient

    with ServiceRegistryClient("http://127.0.0.1:4214", "greeter", port=8080) as registry:
        print(registry.lookup("greeter"))
"""

import logging

from .backoff import Backoff
from .client import ServiceRegistryClient
from .errors import RegistryError

__all__ = ["Backoff", "RegistryError", "ServiceRegistryClient"]
__version__ = "0.1.0"

# A library leaves output to the application: without logging configured, stay quiet.
logging.getLogger("srsr_client").addHandler(logging.NullHandler())
