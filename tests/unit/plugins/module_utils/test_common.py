"""module_utils/common.py: what every module shares."""

import pytest
from ansible_collections.amazon.aws.plugins.module_utils.modules import aws_argument_spec

from ansible_collections.msp.aws_accounts.plugins.module_utils.common import quiet_access_key

SPEC = {"account_id": {"type": "str", "required": True}}


def test_the_access_key_is_kept_out_of_the_output():
    assert quiet_access_key(SPEC)["access_key"]["no_log"] is True


@pytest.mark.parametrize("field", ["aliases", "fallback"])
def test_the_access_key_stays_amazon_aws_option_otherwise(field):
    # The documentation fragment amazon.aws.common.modules describes it: aliases and environment fallback unchanged.
    assert quiet_access_key(SPEC)["access_key"][field] == aws_argument_spec()["access_key"][field]


def test_the_module_options_are_kept_and_not_changed_in_place():
    spec = quiet_access_key(SPEC)
    assert spec["account_id"] == SPEC["account_id"]
    assert "access_key" not in SPEC
