"""Glue between the login forms and django-axes."""


def axes_username(request, credentials=None):
    """The site's form calls it `login` (an email), Wagtail's admin `username`."""
    credentials = credentials or {}
    for key in ("login", "username", "email"):
        value = credentials.get(key) or (
            request.POST.get(key) if request is not None and request.method == "POST" else None
        )
        if value:
            return str(value).strip().lower()
    return None
