"""The worker's table pages for operators (Faust's `/table/{name}/{key}/`): each record rendered with its personal
data masked, by the worker that holds it (Faust forwards a page to that worker, the caller's token with it)."""

from __future__ import annotations

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from labour_tracker.agents.api_ports import TableReader
from labour_tracker.http.ports import NoOwner
from labour_tracker.tables.masked import operator_view

TABLE_PAGE = "/table/{name}/{key}/"  # Faust's page of one key of a table


def table_pages(tables: TableReader) -> Middleware:
    """Middleware rendering a record of one of `tables` (by table name) where Faust's page would fail: it cannot
    write our records, and would show them whole."""

    @web.middleware
    async def render(request: web.Request, handler: Handler) -> web.StreamResponse:
        resource = request.match_info.route.resource
        name, key = request.match_info.get("name", ""), request.match_info.get("key", "")
        if resource is None or resource.canonical != TABLE_PAGE or name not in tables.tables:
            return await handler(request)
        try:
            if tables.owner(name, key) is not None:
                return await handler(request)  # Faust forwards it to the worker holding the key
        except NoOwner:
            return web.json_response({"description": "no worker holds this key yet", "code": "not_ready"}, status=503)
        record = tables.tables[name].get(key)
        if record is None:
            return web.json_response({"description": "key not found", "code": "not_found"}, status=404)
        return web.json_response(operator_view(record))

    return render
