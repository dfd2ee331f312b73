"""Pieces of the Wagtail admin that every app's hooks use."""

from wagtail.admin.menu import MenuItem


class PermissionMenuItem(MenuItem):
    """A menu item shown only to people with `perm`."""

    def __init__(self, *args, perm, **kwargs):
        self.perm = perm
        super().__init__(*args, **kwargs)

    def is_shown(self, request):
        return request.user.has_perm(self.perm)
