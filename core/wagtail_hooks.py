from wagtail import hooks

from . import audit


@hooks.register("register_log_actions")
def register_audit_actions(actions):
    """Every app's registered staff actions, in Wagtail's site history with their details in words."""
    audit.register(actions)
