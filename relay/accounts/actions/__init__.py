"""Account and key changes, one module per concern: ``keys``, ``enrolment``, ``password``,
``suspension``, ``second_factor``. The actions are importable from here."""

from relay.accounts.actions.enrolment import BAD_CODE, create_account, invite_staff
from relay.accounts.actions.keys import PUBLIC_KEY_BYTES, register_key, store_recovery_wrap
from relay.accounts.actions.password import change_password, end_sessions, reset_staff
from relay.accounts.actions.second_factor import begin_totp_setup, confirm_totp
from relay.accounts.actions.suspension import reinstate_account, suspend_account

__all__ = [
    "BAD_CODE",
    "PUBLIC_KEY_BYTES",
    "begin_totp_setup",
    "change_password",
    "confirm_totp",
    "create_account",
    "end_sessions",
    "invite_staff",
    "register_key",
    "reinstate_account",
    "reset_staff",
    "store_recovery_wrap",
    "suspend_account",
]
