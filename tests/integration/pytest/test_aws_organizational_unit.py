"""aws_organizational_unit against the sandbox: paths created level by level, races, and empty-only removal."""

import pytest
from conftest import writes_since

MODULE = "aws_organizational_unit"


def ous_named(aws, parent_id: str, name: str) -> list[dict]:
    ous = aws.management("organizations").list_organizational_units_for_parent(ParentId=parent_id)
    return [ou for ou in ous["OrganizationalUnits"] if ou["Name"] == name]


def test_two_runs_racing_both_succeed_with_one_ou_per_level(run_module, sandbox, aws, world):
    first = run_module.start(MODULE, path="Clients/Production")
    second = run_module.start(MODULE, path="Clients/Production")
    results = [run_module.finish(first), run_module.finish(second)]
    for result in results:
        assert not result.failed, result.get("msg")
    [clients] = ous_named(aws, world["organization"]["root_id"], "Clients")
    [production] = ous_named(aws, clients["Id"], "Production")
    assert {result["organizational_unit"]["id"] for result in results} == {production["Id"]}


def test_duplicate_from_another_run_means_the_ou_is_there(run_module, sandbox, aws, world):
    # The other run's CreateOrganizationalUnit lands first: ours is answered as AWS would answer it.
    sandbox.add_fault(
        service="organizations",
        action="CreateOrganizationalUnit",
        error_code="DuplicateOrganizationalUnitException",
        when="after",
    )
    result = run_module(MODULE, path="Clients", tags={"owner": "msp"})
    assert not result.failed, result.get("msg")
    [clients] = ous_named(aws, world["organization"]["root_id"], "Clients")
    assert result["organizational_unit"]["id"] == clients["Id"]
    assert result["organizational_unit"]["tags"] == {"owner": "msp"}
    # The OU (made with these tags) is another run's: this run neither created nor changed anything.
    assert result["created"] == [] and not result.changed


def test_duplicate_that_never_shows_is_a_clear_error(run_module, sandbox, aws, world):
    # AWS answers "duplicate", but the OU never shows in the parent's listing: no crash, no success.
    sandbox.add_fault(
        service="organizations",
        action="CreateOrganizationalUnit",
        error_code="DuplicateOrganizationalUnitException",
        count=10,
    )
    result = run_module(MODULE, path="Clients")
    assert result.failed and "DuplicateOrganizationalUnitException" in result["msg"], result
    assert "Traceback" not in result.get("module_stderr", "") + result.stderr
    assert ous_named(aws, world["organization"]["root_id"], "Clients") == []


def test_non_empty_ou_is_kept_and_named(run_module, sandbox, aws):
    assert not run_module(MODULE, path="Clients/Production").failed
    mark = sandbox.mark()
    result = run_module(MODULE, path="Clients", state="absent")
    assert result.failed and "not empty" in result["msg"] and "OU Production" in result["msg"]
    assert writes_since(sandbox, mark) == []


@pytest.mark.parametrize("path", ["/", "Clients//Production"], ids=["root", "empty-level"])
def test_bad_path_writes_nothing(run_module, sandbox, path):
    mark = sandbox.mark()
    result = run_module(MODULE, path=path)
    assert result.failed and result["msg"].startswith("path: ")
    assert writes_since(sandbox, mark) == []
