"""Real-server test rig: Pebble (ACME), pebble-challtestsrv and BIND, all on 127.0.0.1.

Plus in-process HTTPS stand-ins for GitHub's OIDC issuer and Entra ID's token
endpoint (``oidc``), because no real Entra emulator can be installed here.

The classes start real binaries on free ports, wait until they answer, and
stop them by PID.  A missing binary is an error naming scripts/install-rig.sh,
never a skip: these tests are the evidence that the renewer works.
"""

from .arm import SUBSCRIPTION, ArmDns
from .bind import DEFAULT_ZONES, Bind, Record, Resolver, Zone, cname
from .challtestsrv import Challtestsrv
from .entra import EntraTokenService
from .entra_model import FederatedCredential
from .oidc import GithubOidcIssuer
from .pebble import Pebble, PebbleProfile, make_eab_key
from .ports import free_port
from .procs import INSTALL_HINT, RigError, find_binary
from .tls import TlsMaterial, make_tls_material

__all__ = [
    "DEFAULT_ZONES",
    "INSTALL_HINT",
    "SUBSCRIPTION",
    "ArmDns",
    "Bind",
    "Challtestsrv",
    "EntraTokenService",
    "FederatedCredential",
    "GithubOidcIssuer",
    "Pebble",
    "PebbleProfile",
    "Record",
    "Resolver",
    "RigError",
    "TlsMaterial",
    "Zone",
    "cname",
    "find_binary",
    "free_port",
    "make_eab_key",
    "make_tls_material",
]

# Key Vault REST stand-in for the real Azure SDK clients (see keyvault.py).
from .keyvault import KeyVaultStandIn, StandInCredential

__all__ += ["KeyVaultStandIn", "StandInCredential"]

from .github_api import GitHubStandIn  # noqa: E402

__all__ += ["GitHubStandIn"]

from .faultproxy import Fault, FaultProxy  # noqa: E402

__all__ += ["Fault", "FaultProxy"]

from .httpfault import HttpFault, HttpFaultProxy  # noqa: E402
from .powerdns import PowerDns  # noqa: E402

__all__ += ["HttpFault", "HttpFaultProxy", "PowerDns"]

# renewer verify (issue 15): nginx sites, a Python TLS server and a blackhole.
from .nginx import Nginx, Site  # noqa: E402
from .tlsserve import Blackhole, TlsServer  # noqa: E402

__all__ += ["Blackhole", "Nginx", "Site", "TlsServer"]

# The second real ACME server (no ARI, 24 h certificates, pending challenges with errors).
from .stepca import StepCa  # noqa: E402

__all__ += ["StepCa"]
