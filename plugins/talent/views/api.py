"""Read-only REST APIs of the register: /api/v1/talent_people/ and friends.

Identity numbers appear masked only; the whole number is shown on the web page, to those
who may see it, never through the API.
"""

from __future__ import annotations

from console import ScopedInterface, ScopedModelRestApi

from ..models import Certificate, Person, Registration

READ_ONLY = {"get", "get_list", "info"}


class TalentPeopleApi(ScopedModelRestApi):
    resource_name = "talent_people"
    class_permission_name = "talent_people"
    datamodel = ScopedInterface(Person)
    include_route_methods = READ_ONLY
    allow_browser_login = True
    list_columns = show_columns = ["id", "name", "id_number_masked", "region.name", "region.code",
                                   "employer", "community_worker"]
    search_columns = ["name", "employer", "community_worker"]
    order_columns = ["id", "name"]
    label_columns = {"name": "姓名", "id_number_masked": "身份证号（脱敏）", "employer": "工作单位",
                     "community_worker": "持证社区工作者"}


class TalentCertificatesApi(ScopedModelRestApi):
    resource_name = "talent_certificates"
    class_permission_name = "talent_certificates"
    datamodel = ScopedInterface(Certificate)
    include_route_methods = READ_ONLY
    allow_browser_login = True
    list_columns = show_columns = ["id", "person_id", "person.name", "level", "management_number",
                                   "year_obtained", "route", "revoked", "region.name"]
    search_columns = ["level", "management_number", "year_obtained", "revoked"]
    order_columns = ["id", "level", "year_obtained"]


class TalentRegistrationsApi(ScopedModelRestApi):
    resource_name = "talent_registrations"
    class_permission_name = "talent_registrations"
    datamodel = ScopedInterface(Registration)
    include_route_methods = READ_ONLY
    allow_browser_login = True
    list_columns = show_columns = ["id", "certificate_id", "kind", "status", "applied_on",
                                   "issued_on", "expires_on", "region.name"]
    search_columns = ["kind", "status", "expires_on"]
    order_columns = ["id", "expires_on", "status"]


def register(appbuilder) -> None:
    for api in (TalentPeopleApi, TalentCertificatesApi, TalentRegistrationsApi):
        appbuilder.add_api(api)
