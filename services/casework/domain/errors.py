"""The errors the casework domain raises: refusals with a reason an officer understands."""


class CommandRefused(Exception):
    """The command is not allowed and changed nothing; str() is the reason, for the person who asked."""


class NotPermitted(CommandRefused):
    """Refused for who the caller is (their role, office or own proposal), not for where the case is."""
