"""The errors the casework domain raises: refusals with a reason an officer understands."""


class CommandRefused(Exception):
    """The command is not allowed and changed nothing; str() is the reason, for the person who asked."""


class NotPermitted(CommandRefused):
    """Refused for who the caller is (their role, office or own proposal), not for where the case is."""


class InvalidValue(CommandRefused):
    """Refused for one value the person gave (a field of the command), whatever the case's state: `field` names it."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
