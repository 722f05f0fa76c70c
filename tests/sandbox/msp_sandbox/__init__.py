"""msp_sandbox: a local AWS for msp.aws_accounts, built on moto's server.

moto 5.2.5 lacks several APIs an MSP relies on (Organizations handshakes, asynchronous
CreateAccount, the Account Management primary-email API, centralised root access) and never
evaluates trust policies.  This package adds them to moto's own classes at start-up, wraps moto's
WSGI application with a call log and a fault injector, and seeds a realistic world.  It never edits
moto's installed files.
"""

MOTO_VERSION = "5.2.5"
SERVICE_NAME = "msp-sandbox"
