"""The login lockout (django-axes), with a second, higher limit per account.

Guesses are counted per account and client address (AXES_FAILURE_LIMIT), and per account
across all addresses (KB_LOGIN_USERNAME_FAILURE_LIMIT): an attacker who changes address
gets a few more guesses, not five more for every address he can reach.
"""

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum


class LoginAttempts(AxesDatabaseHandler):
    def get_failures(self, request, credentials=None) -> int:
        failures = super().get_failures(request, credentials)
        username = get_client_username(request, credentials)
        if not username:
            return failures
        across_addresses = (
            AccessAttempt.objects.filter(
                username=username, attempt_time__gte=get_cool_off_threshold(request)
            ).aggregate(total=Sum("failures_since_start"))["total"]
            or 0
        )
        if across_addresses >= settings.KB_LOGIN_USERNAME_FAILURE_LIMIT:
            # Locked everywhere: count as the per-address limit, which axes compares with.
            return max(failures, get_failure_limit(request, credentials))
        return failures
