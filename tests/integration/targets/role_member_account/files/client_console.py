"""Accept the organization's invitation as the client does in their console, once it is there.

Usage: client_console.py ENDPOINT_URL REGION DELAY_SECONDS TIMEOUT_SECONDS, with the client's keys in
AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY. Waits until the account has an open invitation, waits DELAY_SECONDS
more (the client takes a moment), accepts it and prints its id; exits 1 if none shows within TIMEOUT_SECONDS.
"""

import sys
import time

import boto3


def main(endpoint_url, region, delay, timeout):
    organizations = boto3.client("organizations", endpoint_url=endpoint_url, region_name=region)
    deadline = time.monotonic() + float(timeout)
    while time.monotonic() < deadline:
        handshakes = organizations.list_handshakes_for_account(Filter={"ActionType": "INVITE"})["Handshakes"]
        open_ones = [h for h in handshakes if h["State"] in ("OPEN", "REQUESTED")]
        if open_ones:
            time.sleep(float(delay))
            print(organizations.accept_handshake(HandshakeId=open_ones[0]["Id"])["Handshake"]["Id"])
            return 0
        time.sleep(0.2)
    print("no invitation came", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
