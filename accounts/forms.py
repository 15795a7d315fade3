"""Sign-in forms that enforce the username's length before anything is looked up or recorded."""

from __future__ import annotations

from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator

# Passwords are never stored as typed, but hashing megabytes on every attempt is a cheap way to load the server.
PASSWORD_MAX_LENGTH = 4096


class _LengthLimits:
    """AuthenticationForm sets the username's max_length after the field is built, so it is never validated:
    an over-long name would reach authenticate() and the sign-in throttling's records (a database error)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        username = self.fields["username"]
        username.validators.append(MaxLengthValidator(username.max_length))
        password = self.fields["password"]
        password.max_length = PASSWORD_MAX_LENGTH
        password.validators.append(MaxLengthValidator(PASSWORD_MAX_LENGTH))


class SignInForm(_LengthLimits, AuthenticationForm):
    pass


class AdminSignInForm(_LengthLimits, AdminAuthenticationForm):
    pass
