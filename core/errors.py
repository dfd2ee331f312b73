"""The base of every refusal the apps raise: a translated message, with its parameters, for the
person who asked. Nothing was written when one is raised."""

from django.utils.translation import gettext_lazy as _


class Refused(Exception):
    default_message = _("The operation was refused.")

    def __init__(self, message=None, **params):
        self.params = params
        self.message = message if message is not None else self.default_message
        super().__init__(str(self))

    def __str__(self):
        text = str(self.message)
        return text % self.params if self.params else text
