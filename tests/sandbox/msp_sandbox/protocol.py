"""What a request is (service, action, protocol, caller) and how that service spells an error.

The call log and the fault injector sit in front of moto, so they must read requests and write
errors the way each AWS protocol does: JSON 1.1 (Organizations), REST-JSON (Account Management)
and query/XML (IAM, STS).  The protocol and the REST routes come from botocore's own service models.
"""

import functools
import io
import json
import re
import uuid
from dataclasses import dataclass, field
from urllib.parse import parse_qs

import botocore.session

# The name in the SigV4 credential scope is the signing name; botocore's model name differs for a few.
_SIGNING_NAME_TO_SERVICE = {"monitoring": "cloudwatch", "email": "ses", "states": "stepfunctions"}
_CREDENTIAL_RE = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")


@dataclass
class RequestInfo:
    service: str
    action: str
    protocol: str
    region: str
    access_key: str
    params: dict = field(default_factory=dict)


@functools.cache
def _service_model(service: str):
    try:
        return botocore.session.get_session().get_service_model(service)
    except Exception:  # an unknown service: the request still reaches moto, which answers as it can
        return None


@functools.cache
def _rest_routes(service: str) -> tuple:
    """(method, compiled path regex, operation name) for every operation of a REST service."""
    model = _service_model(service)
    routes = []
    if model is None:
        return ()
    for name in model.operation_names:
        http = model.operation_model(name).http
        uri = http.get("requestUri", "/").split("?", 1)[0]
        pattern = re.sub(r"\{[^}]+\+\}", ".+", uri)
        pattern = re.sub(r"\{[^}]+\}", "[^/]+", pattern)
        routes.append((http.get("method", "POST"), re.compile(f"^{pattern}/?$"), name))
    return tuple(routes)


def protocol_of(service: str) -> str:
    model = _service_model(service)
    return model.metadata.get("protocol", "json") if model is not None else "json"


def read_body(environ: dict) -> bytes:
    """Read the request body and put it back, so moto can read it again."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    body = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)
    return body


def identify(environ: dict, body: bytes) -> RequestInfo:
    auth = environ.get("HTTP_AUTHORIZATION", "")
    match = _CREDENTIAL_RE.search(auth)
    access_key, region, signing_name = match.groups() if match else ("", "us-east-1", "unknown")
    service = _SIGNING_NAME_TO_SERVICE.get(signing_name, signing_name)
    protocol = protocol_of(service)
    params: dict = {}
    action = ""
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        action = target.rsplit(".", 1)[-1]
        params = _json(body)
    elif protocol in ("query", "ec2"):
        form = parse_qs(body.decode("utf-8", "replace")) if body else {}
        form.update(parse_qs(environ.get("QUERY_STRING", "")))
        params = {key: values[0] for key, values in form.items()}
        action = params.get("Action", "")
    else:
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO", "/")
        for route_method, pattern, name in _rest_routes(service):
            if route_method == method and pattern.match(path):
                action = name
                break
        params = _json(body)
    return RequestInfo(service, action or "Unknown", protocol, region, access_key, params)


def _json(body: bytes) -> dict:
    try:
        value = json.loads(body or b"{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def render_error(info: RequestInfo, code: str, message: str, status: int) -> tuple[str, list, bytes]:
    """An error response in the protocol of ``info.service``, as botocore parses it."""
    request_id = str(uuid.uuid4())
    status_line = f"{status} {_REASONS.get(status, 'Error')}"
    if info.protocol in ("query", "ec2"):
        fault = "Sender" if status < 500 else "Receiver"
        body = (
            f'<ErrorResponse xmlns="https://{info.service}.amazonaws.com/doc/">'
            f"<Error><Type>{fault}</Type><Code>{_xml(code)}</Code><Message>{_xml(message)}</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>"
        ).encode()
        headers = [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)]
    elif info.protocol == "json":
        body = json.dumps({"__type": code, "message": message}).encode()
        headers = [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-RequestId", request_id)]
    else:  # rest-json, rest-xml is not used by the services this sandbox extends
        body = json.dumps({"message": message}).encode()
        headers = [
            ("Content-Type", "application/json"),
            ("x-amzn-ErrorType", code),
            ("x-amzn-RequestId", request_id),
        ]
    headers.append(("Content-Length", str(len(body))))
    return status_line, headers, body


def error_code_of(headers: list, body: bytes) -> str | None:
    """The AWS error code in a response moto produced, whatever its protocol."""
    for name, value in headers:
        if name.lower() == "x-amzn-errortype":
            return value.split(":", 1)[0]
    text = body.decode("utf-8", "replace")
    match = re.search(r"<Code>([^<]+)</Code>", text)
    if match:
        return match.group(1)
    value = _json(body)
    if "__type" in value:
        return str(value["__type"]).rsplit("#", 1)[-1]
    return None


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_REASONS = {
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}
