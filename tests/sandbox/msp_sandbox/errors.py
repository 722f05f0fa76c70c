"""AWS errors raised by the sandbox's extensions.

moto maps an exception to a service by the package of its module: a class whose ``__module__``
starts with ``moto`` but lives outside the service's package is looked up in the wrong service model
and comes back as HTTP 500 (which botocore retries, slowly).  Defining the classes here, outside
``moto``, makes moto look the code up in the model of the service being called, which gives the
HTTP status and error shape that AWS documents.
"""

from moto.core.exceptions import ServiceException


class AwsError(ServiceException):
    """An error with the AWS error code ``code``; the HTTP status comes from the service model."""

    def __init__(self, code: str, message: str, **fields: object) -> None:
        super().__init__(code, message)
        # Extra members of the error shape, e.g. Reason of HandshakeConstraintViolationException.
        for name, value in fields.items():
            setattr(self, name, value)
