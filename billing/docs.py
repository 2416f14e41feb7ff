"""The API's own documentation: Swagger UI served from the npm package, and the schema's security.

Nothing comes from a CDN, so /docs renders on a machine with no internet. The assets are those of
`swagger-ui-dist` in node_modules (package-lock.json), installed by `make`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse
from fastapi.security import HTTPBearer
from fastapi.staticfiles import StaticFiles

SWAGGER_UI = Path(__file__).resolve().parents[1] / "node_modules" / "swagger-ui-dist"
ASSETS = "/docs-assets"
# Registers the scheme in the schema; `deps.principal` still parses the header for its own messages.
bearer = HTTPBearer(
    auto_error=False,
    scheme_name="userToken",
    bearerFormat="JWT",
    description="The signed-in user's token from the portal (`python -m billing mint-token USER`).",
)
# Header parameters that an operation enforces itself (a clear error instead of a validation error).
REQUIRED_HEADERS = {"idempotency-key"}


def install(app: FastAPI) -> None:
    """Serve /docs from the local Swagger UI package and a schema that says what is required."""
    if SWAGGER_UI.is_dir():
        app.mount(ASSETS, StaticFiles(directory=SWAGGER_UI), name="swagger-ui")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        if not SWAGGER_UI.is_dir():
            return HTMLResponse(
                "<p>The API documentation needs the swagger-ui-dist package: run <code>make install</code>."
                ' The schema itself is at <a href="/openapi.json">/openapi.json</a>.</p>',
                status_code=503,
            )
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title=f"{app.title} – documentation",
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/favicon-32x32.png",
            swagger_ui_parameters={"persistAuthorization": False},
        )

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title, version=app.version, description=app.description, routes=app.routes
            )
            for item in schema.get("paths", {}).values():
                for operation in item.values():
                    for parameter in operation.get("parameters", []):
                        if parameter.get("in") == "header" and parameter["name"].lower() in REQUIRED_HEADERS:
                            parameter["required"] = True
                            parameter["schema"] = _not_null(parameter.get("schema", {}))
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _not_null(schema: dict[str, Any]) -> dict[str, Any]:
    """`str | None` documented as the string it must be."""
    variants = [v for v in schema.get("anyOf", []) if v.get("type") != "null"]
    if len(variants) != 1:
        return schema
    rest = {key: value for key, value in schema.items() if key != "anyOf"}
    return {**variants[0], **rest}
