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
            # Every endpoint but these looks something up by what the request names.
            if path not in {"/api/v1/me", "/api/v1/events"}:
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
