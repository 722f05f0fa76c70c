"""AWS errors raised by the sandbox's extensions.

moto maps an exception to a service by the package of its module: a class whose ``__module__``
starts with ``moto`` but lives outside the service's package is looked up in the wrong service model
and comes back as HTTP 500 (which botocore retries, slowly).  Defining the classes here, outside
``moto``, makes moto look the code up in the model of the service being called, which gives the
HTTP status and error shape that AWS documents.
"""

from moto.core.exceptions import ServiceException


class AwsError(ServiceException):
    """An error with the AWS error code ``code``.

    The HTTP status comes from the service model.  Some codes AWS answers are not in the model
    (STS and IAM's ``AccessDenied`` and ``ExpiredToken``, HTTP 403), and moto would answer them with
    400: give ``status`` for those (extensions.moto_fixes applies it).
    """

    def __init__(self, code: str, message: str, status: int | None = None, **fields: object) -> None:
        super().__init__(code, message)
        self.http_status = status
        # Extra members of the error shape, e.g. Reason of HandshakeConstraintViolationException.
        for name, value in fields.items():
            setattr(self, name, value)
