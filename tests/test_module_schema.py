"""``GET /api/modules/<module>/schema``: the declaration for clients, versioned by its content."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from submissions.inspector.models import HvacDescription, HvacSystem
from submissions.inspector.selectors import hvac_taxonomy
from submissions.modules.registry import declarations

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_in(client: Client, inspector: Any) -> Client:
    client.force_login(inspector)
    return client


def _schema(client: Client, module: str, **headers: Any) -> Any:
    return client.get(f"/api/modules/{module}/schema", **headers)


def test_logged_out_is_a_json_401_and_an_unknown_module_a_json_404(client: Client, client_in: Client) -> None:
    anonymous = Client()
    response = anonymous.get("/api/modules/hvac_mep/schema")
    assert response.status_code == 401 and response["Content-Type"] == "application/json"
    assert "error" in response.json()
    missing = _schema(client_in, "teapots")
    assert missing.status_code == 404 and missing.json() == {"error": "No module is called 'teapots'."}
    assert client_in.post("/api/modules/hvac_mep/schema").status_code == 405


def test_hvac_describes_fields_items_photos_signatures_and_the_taxonomy(client_in: Client, settings: Any) -> None:
    settings.INJAAZ_PHOTOS_PER_ITEM = 12
    response = _schema(client_in, "hvac_mep")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    schema = response.json()
    assert (schema["format"], schema["module"], schema["name"]) == (1, "hvac_mep", "HVAC & MEP")
    (site,) = schema["sections"]
    assert site["title"] == "Site information"
    assert [field["key"] for field in site["fields"]] == ["site_name", "visit_date"]
    visit_date = site["fields"][1]
    assert (visit_date["type"], visit_date["required"], visit_date["format"], visit_date["allow_future"]) == (
        "date",
        True,
        "YYYY-MM-DD",
        False,
    )
    items = schema["items"]
    assert (items["key"], items["min_count"], items["title_field"]) == ("items", 1, "asset")
    assert [(f["key"], f["required"], f["choices_from"]) for f in items["fields"]] == [
        ("asset", True, "hvac_asset"),
        ("system", True, "hvac_system"),
        ("description", True, "hvac_description"),
    ]
    assert items["photos"]["max_count"] == 12  # INJAAZ_PHOTOS_PER_ITEM when the declaration sets none
    assert [(s["key"], s["form_field"], s["role"], s["required"]) for s in schema["signatures"]] == [
        ("tech_signature", "tech_signature", "technician", True),
        ("opMan_signature", "opman_signature", "manager", False),
    ]
    assert schema["uploads"]["content_types"] == ["image/jpeg", "image/png", "image/webp"]
    assert schema["reference_data"]["hvac_taxonomy"] == hvac_taxonomy()
    assert schema["reference_data"]["hvac_taxonomy"]["HVAC"]["Chiller Evaporator"][0] == "Chiller"


def test_civil_and_cleaning_describe_their_numbers_choices_and_no_taxonomy(client_in: Client) -> None:
    civil = _schema(client_in, "civil").json()
    price = next(field for field in civil["items"]["fields"] if field["key"] == "price")
    assert (price["type"], price["min"], price["decimal_places"]) == ("decimal", 0, 2)
    assert civil["items"]["min_count"] == 1 and civil["reference_data"] == {}
    cleaning = _schema(client_in, "cleaning").json()
    fields = {field["key"]: field for section in cleaning["sections"] for field in section["fields"]}
    assert (fields["room_count"]["type"], fields["room_count"]["decimal_places"]) == ("number", 0)
    assert fields["contact_number"]["input_type"] == "tel"
    assert fields["scope_offices"]["values"] == {"yes": "True", "no": "False"}
    assert cleaning["items"] is None and cleaning["photos"]["key"] == "photos"
    assert cleaning["sections"][0]["tab"] == "Project & facility"


def test_every_declared_field_is_described(client_in: Client) -> None:
    for declared in declarations():
        schema = _schema(client_in, declared.module).json()
        described = [field["key"] for section in schema["sections"] for field in section["fields"]]
        assert described == [field.key for field in declared.fields]
        if declared.items is not None:
            assert [field["key"] for field in schema["items"]["fields"]] == [f.key for f in declared.items.fields]
        assert [s["key"] for s in schema["signatures"]] == [s.key for s in declared.signatures]


def test_etag_is_the_content_hash_and_304_on_match(client_in: Client) -> None:
    first = _schema(client_in, "hvac_mep")
    etag = first["ETag"]
    assert etag == f'"{first.json()["version"]}"' and len(first.json()["version"]) == 64
    assert first["Cache-Control"] == "private, no-cache"
    again = _schema(client_in, "hvac_mep", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b"" and again["ETag"] == etag
    assert _schema(client_in, "hvac_mep", HTTP_IF_NONE_MATCH=f'"other", W/{etag}').status_code == 304
    assert _schema(client_in, "hvac_mep", HTTP_IF_NONE_MATCH='"other"').status_code == 200
    # Stable: the same content gives the same version; another module another one.
    assert _schema(client_in, "hvac_mep")["ETag"] == etag
    assert _schema(client_in, "civil")["ETag"] != etag
    # Staff editing the taxonomy changes what a client sees, so the version changes.
    HvacDescription.objects.create(system=HvacSystem.objects.get(name="Lamps"), text="LED panel", position=20)
    changed = _schema(client_in, "hvac_mep", HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag
    assert "LED panel" in json.dumps(changed.json()["reference_data"])
