"""Roles -> capabilities (models/permissions.py): the table below is the specification."""

from __future__ import annotations

import pytest

from models.permissions import DENIED, ROLE_CAPABILITIES, Cap, role_can, roles_with

OWN, ADM, MEM, VIEW = "owner", "admin", "member", "viewer"
SPEC = {
    Cap.VIEW: {OWN, ADM, MEM, VIEW},
    Cap.ACT: {OWN, ADM, MEM},
    Cap.MANAGE_CONNECTIONS: {OWN, ADM},
    Cap.MANAGE_ORG: {OWN, ADM},
    Cap.MANAGE_TEAM: {OWN, ADM},
    Cap.MANAGE_BILLING: {OWN, ADM},
}


@pytest.mark.parametrize("cap", list(Cap))
@pytest.mark.parametrize("role", [OWN, ADM, MEM, VIEW])
def test_each_capability_with_each_role(cap: Cap, role: str) -> None:
    assert role_can(role, cap) is (role in SPEC[cap])


@pytest.mark.parametrize("role", [None, "", "superuser", "Owner"])
def test_unknown_roles_can_do_nothing(role: str | None) -> None:
    assert not any(role_can(role, cap) for cap in Cap)


def test_every_capability_is_specified_and_explained() -> None:
    assert set(SPEC) == set(Cap) == set(DENIED)
    assert set(ROLE_CAPABILITIES) == {OWN, ADM, MEM, VIEW}


def test_roles_with() -> None:
    assert roles_with(Cap.MANAGE_CONNECTIONS) == (OWN, ADM)
    assert roles_with(Cap.ACT) == (OWN, ADM, MEM)
