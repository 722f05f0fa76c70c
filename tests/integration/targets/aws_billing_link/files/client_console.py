"""Answer an invitation as the client does in their console: accept or decline it with the client's own keys.

Usage: client_console.py ENDPOINT_URL REGION (accept|decline) HANDSHAKE_ID, with the client's keys in
AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY. Prints the handshake's new state.
"""

import sys

import boto3


def main(endpoint_url, region, answer, handshake_id):
    organizations = boto3.client("organizations", endpoint_url=endpoint_url, region_name=region)
    respond = {"accept": organizations.accept_handshake, "decline": organizations.decline_handshake}[answer]
    print(respond(HandshakeId=handshake_id)["Handshake"]["State"])


if __name__ == "__main__":
    main(*sys.argv[1:])
