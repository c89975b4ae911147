# Copyright (c) hoop.gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Desired state of the gateway's service accounts: read once, compare, write what differs.

The gateway has no route to read one account, so the list is read once; it replaces the
groups on every PUT and some releases store an empty name, so a PUT always carries the
complete desired resource.
"""

import uuid

from ansible_collections.hoop.gateway.plugins.module_utils.errors import HoopError
from ansible_collections.hoop.gateway.plugins.module_utils.gateway import (
    GatewayClient,
    serviceaccount_path,
)
from ansible_collections.hoop.gateway.plugins.module_utils.gateway_args import (
    gateway_module_kwargs,
)

STATUS_BY_STATE = {"present": "active", "disabled": "inactive"}
STATUSES = ("active", "inactive")
FIELDS = ("id", "org_id", "subject", "name", "status", "groups")


def serviceaccount_module_kwargs():
    return gateway_module_kwargs(
        dict(
            subject=dict(type="str", required=True),
            name=dict(type="str"),
            groups=dict(type="list", elements="str"),
            append=dict(type="bool", default=False),
            state=dict(type="str", default="present", choices=sorted(STATUS_BY_STATE)),
        )
    )


def serviceaccount_info_module_kwargs():
    return gateway_module_kwargs(
        dict(
            subject=dict(type="raw"),
            status=dict(type="str", choices=list(STATUSES)),
            group=dict(type="str"),
        )
    )


def derived_id(subject):
    """The id the gateway gives an account: UUID v5 of ``serviceaccount/<subject>``."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "serviceaccount/" + subject))


def normalise(raw):
    """An account as the gateway stores it, in a form that compares: groups a sorted set."""
    groups = raw.get("groups") or []
    return {
        "id": raw.get("id"),
        "org_id": raw.get("org_id"),
        "subject": raw.get("subject"),
        "name": raw.get("name") or "",
        "status": raw.get("status"),
        "groups": sorted(set(g for g in groups if isinstance(g, str))),
    }


def find(accounts, subject):
    """The account with exactly this subject (case-sensitive, as the gateway matches)."""
    for raw in accounts:
        if raw.get("subject") == subject:
            return normalise(raw)
    return None


def validate_serviceaccount_params(params):
    subject = params.get("subject")
    if subject is None or not subject.strip():
        raise HoopError(
            "'subject' must not be empty: give the 'sub' claim of the tokens the account "
            "will use (hoop.gateway.hoop_token returns it as 'subject')."
        )
    if subject != subject.strip() or any(ord(c) < 32 or ord(c) == 127 for c in subject):
        raise HoopError(
            "'subject' %r has leading or trailing spaces or control characters (a newline, a "
            "tab): no token's 'sub' claim has them, and the gateway matches subjects exactly, so "
            "the account would never let anyone in. Nothing was changed. Give the subject exactly "
            "as hoop.gateway.hoop_token returns it." % subject,
            subject=subject,
        )
    if "/" in subject:
        raise HoopError(
            "'subject' %r contains '/': the gateway takes the subject as one path segment of "
            "PUT /api/serviceaccounts/{subject} and cannot address it, even percent-encoded, "
            "so such an account could be created but never updated or disabled. Nothing was "
            "changed. Use an identity provider subject without '/'." % subject,
            subject=subject,
        )
    name = params.get("name")
    if name is not None and not name.strip():
        raise HoopError("'name' must not be empty: omit it to keep the account's current name.")
    groups = params.get("groups")
    if groups is not None:
        bad = [g for g in groups if g is None or not str(g).strip()]
        if bad:
            raise HoopError(
                "'groups' must hold non-empty group names; remove the empty entries. To "
                "remove every group give 'groups: []'."
            )
        padded = [g for g in groups if g != g.strip()]
        if padded:
            raise HoopError(
                "'groups' has names with leading or trailing spaces (%s): the gateway compares "
                "group names exactly, so ' admin' is not 'admin'. Remove the spaces."
                % ", ".join(repr(g) for g in padded)
            )
        # A nested list in YAML reaches a list-of-strings option as its Python repr.
        nested = [g for g in groups if g[:1] in ("[", "{")]
        if nested:
            raise HoopError(
                "'groups' must be a flat list of group names; %s looks like a nested list or "
                "mapping. Write each group as its own list item." % ", ".join(map(repr, nested))
            )


def serviceaccount_warnings(params):
    """Things that are valid but almost certainly not what the user meant."""
    warnings = []
    for group in params.get("groups") or []:
        if group.lower() == "admin" and group != "admin":
            warnings.append(
                "Group %r is not 'admin': the gateway makes only members of the group named "
                "exactly 'admin' (lower case) administrators." % group
            )
    return warnings


def desired_account(params, current):
    """What the account must look like, starting from ``current`` (None when missing)."""
    current = current or {}
    groups = params.get("groups")
    if groups is None:
        final_groups = list(current.get("groups") or [])
    elif params.get("append"):
        final_groups = sorted(set(current.get("groups") or []) | set(groups))
    else:
        final_groups = sorted(set(groups))
    name = params.get("name")
    if name is None:
        name = current.get("name") or ""
    subject = params["subject"]
    return {
        "id": current.get("id") or derived_id(subject),
        "org_id": current.get("org_id"),
        "subject": subject,
        "name": name,
        "status": STATUS_BY_STATE[params.get("state") or "present"],
        "groups": sorted(final_groups),
    }


def differs(current, desired):
    return any(current.get(key) != desired[key] for key in ("name", "status", "groups"))


def write_body(desired):
    """The complete resource: the gateway replaces groups and some releases store a
    missing name as empty."""
    return {
        "subject": desired["subject"],
        "name": desired["name"],
        "status": desired["status"],
        "groups": list(desired["groups"]),
    }


def _org_id_from(accounts):
    for raw in accounts:
        if raw.get("org_id"):
            return raw["org_id"]
    return None


class ServiceAccountManager:
    """Brings one service account to the desired state with as few requests as possible."""

    def __init__(self, client, ctx):
        self.client = client
        self.ctx = ctx

    def ensure(self, params):
        subject = params["subject"]
        accounts = self.client.list_serviceaccounts()
        current = find(accounts, subject)
        desired = desired_account(params, current)
        if current is None and desired["org_id"] is None:
            desired["org_id"] = _org_id_from(accounts)

        changed = current is None or differs(current, desired)
        if changed and not self.ctx.check_mode:
            if current is None:
                current, desired = self._create(params, desired)
            else:
                self._update(desired)

        result = {"changed": changed, "service_account": desired}
        if self.ctx.diff:
            result["diff"] = {"before": dict(current or {}), "after": dict(desired)}
        return result

    def _create(self, params, desired):
        what = "Creating service account %r" % desired["subject"]
        response = self.client.request(
            "POST", "/serviceaccounts", what, body=write_body(desired), allow=(409,)
        )
        if response.status == 409:
            return self._created_meanwhile(params)
        stored = self._stored(response)
        desired["id"] = stored.get("id") or desired["id"]
        desired["org_id"] = stored.get("org_id") or desired["org_id"]
        return None, desired

    def _created_meanwhile(self, params):
        # Someone registered the subject between our read and our create: start over from
        # what is stored now, which turns the create into an update.
        subject = params["subject"]
        current = find(self.client.list_serviceaccounts(), subject)
        if current is None:
            raise HoopError(
                "Creating service account %r failed: the gateway answered HTTP 409 (already "
                "exists) but does not list it. Run the task again; if it persists, check the "
                "gateway's storage." % subject,
                status=409,
            )
        desired = desired_account(params, current)
        if differs(current, desired):
            self._update(desired)
        return current, desired

    def _update(self, desired):
        what = "Updating service account %r" % desired["subject"]
        response = self.client.request(
            "PUT",
            serviceaccount_path(desired["subject"]),
            what,
            body=write_body(desired),
            allow=(404,),
        )
        if response.status == 404:
            raise HoopError(
                "%s failed: the gateway answered HTTP 404 (not found) although it listed the "
                "account a moment before; it was probably removed from the gateway's storage "
                "meanwhile. Run the task again." % what,
                status=404,
            )

    @staticmethod
    def _stored(response):
        # Only the ids are taken from a write's answer: current releases echo the request
        # instead of what they stored.
        try:
            data = response.json()
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}


def run_hoop_serviceaccount(params, ctx):
    validate_serviceaccount_params(params)
    for warning in serviceaccount_warnings(params):
        ctx.warn(warning)
    client = GatewayClient.from_params(params, ctx)
    return ServiceAccountManager(client, ctx).ensure(params)


def _subjects_filter(value):
    if value is None:
        return None
    if isinstance(value, str):
        return {value}
    if isinstance(value, (list, tuple)) and all(isinstance(item, str) for item in value):
        return set(value)
    raise HoopError("'subject' must be a string or a list of strings.")


def select_accounts(accounts, subjects=None, status=None, group=None):
    """Accounts matching every given filter, sorted by subject, groups sorted."""
    found = []
    for raw in accounts:
        account = normalise(raw)
        if subjects is not None and account["subject"] not in subjects:
            continue
        if status is not None and account["status"] != status:
            continue
        if group is not None and group not in account["groups"]:
            continue
        found.append(account)
    return sorted(found, key=lambda account: account["subject"] or "")


def run_hoop_serviceaccount_info(params, ctx):
    subjects = _subjects_filter(params.get("subject"))
    client = GatewayClient.from_params(params, ctx)
    accounts = client.list_serviceaccounts()
    selected = select_accounts(accounts, subjects, params.get("status"), params.get("group"))
    return {"changed": False, "service_accounts": selected}
