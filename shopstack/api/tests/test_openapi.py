import json

import schemathesis

from shopstack.api.v1 import api


def test_openapi_json_is_a_valid_schema(client, db):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    # Checked against the OpenAPI meta-schema for its version.
    schemathesis.openapi.from_dict(schema).validate()
    assert schema["openapi"].startswith("3.")
    paths = schema["paths"]
    assert set(paths) >= {
        "/api/v1/categories",
        "/api/v1/categories/{slug}",
        "/api/v1/products",
        "/api/v1/products/{product_id}",
        "/api/v1/products/by-slug/{slug}",
        "/api/v1/me",
    }
    for path, operations in paths.items():
        for operation in operations.values():
            assert operation.get("description"), path
            # Every endpoint but these looks something up by what the request names (an
            # analytics report's unknown category is a bad parameter, 422).
            if path not in {"/api/v1/me", "/api/v1/events"} and not path.startswith("/api/v1/analytics/"):
                assert "404" in operation["responses"], path
            for status, answer in operation["responses"].items():
                if status.startswith("4"):
                    assert answer["content"]["application/json"]["schema"] == {
                        "$ref": "#/components/schemas/ErrorOut"
                    }, (path, status)
    assert schema["components"]["securitySchemes"]["SessionTokenAuth"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-Session-Token",
    }


def test_schema_builds_without_a_request():
    assert json.dumps(api.get_openapi_schema(path_prefix="/api/v1/"))


def test_docs_page_loads_swagger_from_our_static_files_not_a_cdn(client, db):
    page = client.get("/api/v1/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in page
    assert "cdn." not in page


REPORT_PARAMETERS = ["range", "start", "end", "compare", "country", "category", "channel", "device"]
ANALYTICS = {
    "overview": "AnalyticsOverviewOut",
    "funnel": "AnalyticsFunnelOut",
    "products": "AnalyticsProductsOut",
    "search": "AnalyticsSearchOut",
    "campaigns": "AnalyticsCampaignsOut",
    "customers": "AnalyticsCustomersOut",
    "fulfilment": "AnalyticsFulfilmentOut",
    "inventory": "AnalyticsInventoryOut",
}


def _described(schema: dict, components: dict, seen: set[str]) -> list[str]:
    """Properties without a description, in `schema` and every schema it refers to."""
    missing = []
    for name, prop in schema.get("properties", {}).items():
        if not prop.get("description"):
            missing.append(name)
    for ref in json.dumps(schema).split('"$ref": "#/components/schemas/')[1:]:
        target = ref.split('"', 1)[0]
        if target not in seen:
            seen.add(target)
            missing += [f"{target}.{name}" for name in _described(components[target], components, seen)]
    return missing


def test_the_analytics_reports_are_in_the_spec_with_parameters_access_and_schemas(client, db):
    schema = client.get("/api/v1/openapi.json").json()
    components = schema["components"]["schemas"]
    for report, answer in ANALYTICS.items():
        operation = schema["paths"][f"/api/v1/analytics/{report}"]["get"]
        names = [parameter["name"] for parameter in operation["parameters"]]
        expected = REPORT_PARAMETERS + (
            ["sort", "direction", "limit", "offset"] if report == "products" else []
        )
        assert names == expected, report
        assert all(p["in"] == "query" and not p.get("required") for p in operation["parameters"])
        assert all(p["schema"].get("description") for p in operation["parameters"]), report
        assert operation["security"] == [{"SessionTokenAuth": []}, {"DjangoSessionAuth": []}]
        assert "analytics.view_analytics" in operation["description"]
        assert set(operation["responses"]) == {"200", "400", "401", "403", "422", "429"}
        ok = operation["responses"]["200"]["content"]["application/json"]["schema"]
        assert ok == {"$ref": f"#/components/schemas/{answer}"}
        assert _described(components[answer], components, set()) == [], answer
    overview = components["AnalyticsOverviewOut"]["properties"]
    assert {"period", "previous_period", "currency", "current", "previous"} <= set(overview)
    dates = {
        p["name"]: p["schema"] for p in schema["paths"]["/api/v1/analytics/overview"]["get"]["parameters"]
    }
    assert dates["start"]["format"] == "date"
    assert "last_28_days" in dates["range"]["anyOf"][0]["enum"]


def test_no_two_schemas_share_a_name():
    # The OpenAPI components are keyed by class name: a second schema of the same name
    # silently replaces the first in the document (analytics' SearchOut once hid search's).
    from ninja import Schema

    def subclasses(cls: type) -> list[type]:
        return [sub for direct in cls.__subclasses__() for sub in (direct, *subclasses(direct))]

    assert api.get_openapi_schema(path_prefix="/api/v1/")  # every endpoint's module imported
    ours = [cls for cls in subclasses(Schema) if cls.__module__.startswith("shopstack.")]
    names = [cls.__name__ for cls in ours]
    assert sorted({name for name in names if names.count(name) > 1}) == []
