"""``[fairness] out_of_office_field`` (issue 17): the User checkbox is queried and stored."""

from __future__ import annotations

import pytest

from routing_health.config import parse_config
from routing_health.models import SalesforceUser
from routing_health.sync.objects import OBJECTS
from routing_health.sync.reference import write_users

pytestmark = pytest.mark.django_db

REP = "005000000000001AAA"


def user(**extra: object) -> dict[str, object]:
    return {"Id": REP, "Name": "Ann Rep", "IsActive": True, "TimeZoneSidKey": "UTC",
            "UserRoleId": None, "SystemModstamp": "2026-11-10T12:00:00.000+0000", **extra}


def test_the_field_is_queried_only_when_configured():
    fields = OBJECTS["User"].fields
    assert "Out_of_Office__c" not in fields(parse_config(""))
    config = parse_config('[fairness]\nout_of_office_field = "Out_of_Office__c"\n')
    assert fields(config)[-1] == "Out_of_Office__c"


def test_a_checked_box_is_stored_and_an_unconfigured_one_is_not():
    config = parse_config('[fairness]\nout_of_office_field = "Out_of_Office__c"\n')
    write_users([user(Out_of_Office__c=True)], config)
    assert SalesforceUser.objects.get(id=REP).out_of_office is True
    write_users([user(Out_of_Office__c=True)], parse_config(""))
    assert SalesforceUser.objects.get(id=REP).out_of_office is False
