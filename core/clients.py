"""Who is asking: the client's address, as the login lockout and the export throttle see it."""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    """The address of the client that sent `request`.

    Behind `settings.TRUSTED_PROXIES` proxies (DJANGO_BEHIND_PROXY), each of which appends
    the address it was reached from to X-Forwarded-For, the client is the entry that many
    places from the right: whatever stands further left was written by the client itself
    and could be anything. Without proxies the header is ignored, for the same reason.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXIES
    if not proxies:
        return remote
    forwarded = [entry.strip() for entry in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [entry for entry in forwarded if entry]
    if len(forwarded) < proxies:
        # Fewer hops than proxies: a request that did not come the configured way.
        return remote
    candidate = forwarded[-proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote
