"""Unit tests of the service account desired-state logic."""

import uuid

import pytest

from ansible_collections.hoop.gateway.plugins.module_utils.context import RunContext
from ansible_collections.hoop.gateway.plugins.module_utils.errors import HoopError
from ansible_collections.hoop.gateway.plugins.module_utils.http_client import HttpResponse
from ansible_collections.hoop.gateway.plugins.module_utils.serviceaccount import (
    ServiceAccountManager,
    derived_id,
    desired_account,
    differs,
    find,
    normalise,
    select_accounts,
    validate_serviceaccount_params,
    write_body,
)

STORED = {
    "id": "id-1",
    "org_id": "org-1",
    "subject": "robot@clients",
    "name": "Robot",
    "status": "active",
    "groups": ["sre", "admin"],
}


def params(**kwargs):
    base = {
        "subject": "robot@clients",
        "name": None,
        "groups": None,
        "append": False,
        "state": "present",
    }
    base.update(kwargs)
    return base


def test_id_is_uuid5_of_the_subject_as_the_contract_says():
    expected = str(uuid.uuid5(uuid.NAMESPACE_URL, "serviceaccount/robot@clients"))
    assert derived_id("robot@clients") == expected


def test_normalise_sorts_groups_and_treats_missing_as_empty():
    assert normalise(dict(STORED, groups=["b", "a", "b"]))["groups"] == ["a", "b"]
    assert normalise(dict(STORED, groups=None, name=None))["groups"] == []
    assert normalise(dict(STORED, name=None))["name"] == ""


def test_find_matches_the_subject_exactly():
    accounts = [dict(STORED, subject="Robot@clients"), STORED]
    assert find(accounts, "robot@clients")["subject"] == "robot@clients"
    assert find(accounts, "robot@clients ") is None
    assert find([], "robot@clients") is None


def test_groups_in_another_order_are_equal():
    current = normalise(STORED)
    assert not differs(current, desired_account(params(groups=["admin", "sre"]), current))


def test_omitted_groups_and_name_keep_the_current_ones():
    current = normalise(STORED)
    desired = desired_account(params(), current)
    assert desired["groups"] == ["admin", "sre"]
    assert desired["name"] == "Robot"
    assert not differs(current, desired)


def test_append_adds_to_the_current_groups():
    current = normalise(STORED)
    desired = desired_account(params(groups=["auditor", "sre"], append=True), current)
    assert desired["groups"] == ["admin", "auditor", "sre"]


def test_replace_and_empty_list_remove_groups():
    current = normalise(STORED)
    assert desired_account(params(groups=["sre"]), current)["groups"] == ["sre"]
    assert desired_account(params(groups=[]), current)["groups"] == []


def test_disabled_means_inactive_and_is_a_difference():
    current = normalise(STORED)
    desired = desired_account(params(state="disabled"), current)
    assert desired["status"] == "inactive"
    assert differs(current, desired)


def test_missing_account_gets_the_derived_id():
    desired = desired_account(params(groups=["sre"]), None)
    assert desired["id"] == derived_id("robot@clients")
    assert desired["name"] == ""


def test_write_body_is_the_complete_resource_with_the_current_name():
    current = normalise(STORED)
    body = write_body(desired_account(params(state="disabled"), current))
    assert body == {
        "subject": "robot@clients",
        "name": "Robot",
        "status": "inactive",
        "groups": ["admin", "sre"],
    }


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (params(subject=""), "'subject' must not be empty"),
        (params(subject="  "), "'subject' must not be empty"),
        (params(subject="spiffe://cluster/ns/robot"), "contains '/'"),
        (params(name=""), "'name' must not be empty"),
        (params(groups=["admin", ""]), "non-empty group names"),
        (params(subject=" robot"), "leading or trailing spaces or control characters"),
        (params(subject="robot\n"), "leading or trailing spaces or control characters"),
        (params(subject="ro\tbot"), "leading or trailing spaces or control characters"),
        (params(groups=[" admin", "sre"]), "' admin'"),
        (params(groups=["['a']"]), "flat list of group names"),
    ],
)
def test_bad_input_is_refused_with_a_reason(given, expected):
    with pytest.raises(HoopError) as caught:
        validate_serviceaccount_params(given)
    assert expected in caught.value.message


def test_a_group_that_only_looks_like_admin_is_warned_about():
    from ansible_collections.hoop.gateway.plugins.module_utils.serviceaccount import (
        serviceaccount_warnings,
    )

    assert serviceaccount_warnings(params(groups=["admin", "sre"])) == []
    (warning,) = serviceaccount_warnings(params(groups=["Admin", "sre"]))
    assert "'Admin' is not 'admin'" in warning


def test_select_accounts_filters_and_sorts():
    accounts = [
        dict(STORED, subject="c", status="inactive", groups=["sre"]),
        dict(STORED, subject="a", groups=["sre", "admin"]),
        dict(STORED, subject="b", groups=[]),
    ]
    assert [a["subject"] for a in select_accounts(accounts)] == ["a", "b", "c"]
    assert [a["subject"] for a in select_accounts(accounts, {"c", "b"})] == ["b", "c"]
    assert [a["subject"] for a in select_accounts(accounts, status="inactive")] == ["c"]
    assert [a["subject"] for a in select_accounts(accounts, group="sre")] == ["a", "c"]
    assert select_accounts(accounts, group="sre")[0]["groups"] == ["admin", "sre"]


class ScriptedClient:
    """Answers the manager's calls from a script, for the error branches no real gateway
    reaches on purpose."""

    def __init__(self, lists, answers):
        self.lists = list(lists)
        self.answers = list(answers)
        self.calls = []

    def list_serviceaccounts(self):
        self.calls.append("GET")
        return self.lists.pop(0)

    def request(self, method, path, what, body=None, allow=()):
        self.calls.append(method)
        status = self.answers.pop(0)
        assert status in allow or 200 <= status < 300
        return HttpResponse(status, {}, "{}", path)


def test_409_without_the_account_listed_fails_clearly():
    client = ScriptedClient([[], []], [409])
    with pytest.raises(HoopError) as caught:
        ServiceAccountManager(client, RunContext(environ={})).ensure(params())
    assert "409" in caught.value.message
    assert client.calls == ["GET", "POST", "GET"]


def test_put_404_after_listing_fails_clearly():
    client = ScriptedClient([[STORED]], [404])
    with pytest.raises(HoopError) as caught:
        ServiceAccountManager(client, RunContext(environ={})).ensure(params(state="disabled"))
    assert "404" in caught.value.message
    assert "Run the task again" in caught.value.message
