"""The one error the casework domain raises: a refusal with a reason an officer understands."""


class CommandRefused(Exception):
    """The command is not allowed and changed nothing; str() is the reason, for the person who asked."""
