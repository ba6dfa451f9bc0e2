"""The matcher service's API description (OpenAPI 3.1), served at ``/openapi.json``."""

from __future__ import annotations

from typing import Any

_ERROR = {
    "description": "Refused; the body says what was wrong.",
    "content": {
        "application/json": {
            "schema": {"type": "object", "properties": {"error": {"type": "string"}}},
        }
    },
}
_IDS = {
    "type": "array",
    "items": {"type": "integer", "minimum": 0, "maximum": 2**63 - 1},
    "minItems": 1,
    "description": "Identity ids: non-negative int64 (-1 marks 'no match' in results).",
}
_BUSY = {
    "description": "Search queue full or server draining; retry after the Retry-After seconds.",
    "headers": {"Retry-After": {"schema": {"type": "integer", "minimum": 1}}},
    "content": _ERROR["content"],
}


def openapi_document(*, dim: int, max_request_probes: int, max_body_bytes: int) -> dict[str, Any]:
    """The OpenAPI document for a service with these limits."""
    matrix = {
        "type": "array",
        "items": {
            "type": "array",
            "items": {"type": "number"},
            "minItems": dim,
            "maxItems": dim,
        },
        "minItems": 1,
        "maxItems": max_request_probes,
    }
    result = {
        "type": "object",
        "properties": {
            "ids": {
                "type": "array",
                "items": {"type": "array", "items": {"type": "integer"}},
                "description": "Identity ids per probe, best first; -1 where none.",
            },
            "scores": {
                "type": "array",
                "items": {"type": "array", "items": {"type": ["number", "null"]}},
                "description": "Cosine similarity per candidate; null where none.",
            },
        },
    }
    auth_note = "Send `Authorization: Bearer <token>` when the server was started with a token."
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "twin matcher",
            "version": "1",
            "description": (
                "Search face embeddings against a watchlist gallery (cosine similarity, FAISS). "
                f"Embeddings are {dim} float32 values; they are normalised to unit length on arrival "
                "(zero vectors, NaN and infinity are refused). Requests are micro-batched across "
                f"callers. Limits: {max_request_probes} probes per request, {max_body_bytes} bytes "
                f"per body. Every error, on every route (unknown paths and methods too), is JSON "
                '`{"error": "..."}`. '
                f"{auth_note}"
            ),
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}, {}],
        "paths": {
            "/v1/search": {
                "post": {
                    "summary": "Top-k watchlist candidates for a batch of probes",
                    "parameters": [
                        {
                            "name": "k",
                            "in": "query",
                            "schema": {"type": "integer", "minimum": 1, "maximum": 1024},
                            "description": "Candidates per probe (default 1).",
                        },
                        {
                            "name": "threshold",
                            "in": "query",
                            "schema": {"type": "number", "minimum": -1, "maximum": 1},
                            "description": "Drop candidates scoring below this cosine.",
                        },
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/octet-stream": {
                                "schema": {
                                    "type": "string",
                                    "format": "binary",
                                    "description": (
                                        f"n x {dim} little-endian float32, row-major "
                                        f"({4 * dim} bytes per probe)."
                                    ),
                                }
                            },
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["probes"],
                                    "additionalProperties": False,
                                    "properties": {
                                        "probes": matrix,
                                        "k": {
                                            "type": ["integer", "null"],
                                            "minimum": 1,
                                            "maximum": 1024,
                                        },
                                        "threshold": {
                                            "type": ["number", "null"],
                                            "minimum": -1,
                                            "maximum": 1,
                                        },
                                    },
                                }
                            },
                        },
                    },
                    "responses": {
                        "200": {
                            "description": (
                                "JSON by default. With `Accept: application/octet-stream`: n x k "
                                "int64 ids then n x k float32 scores (-inf where none), "
                                "little-endian, shape in the X-Result-Shape header as `n,k`."
                            ),
                            "content": {
                                "application/json": {"schema": result},
                                "application/octet-stream": {
                                    "schema": {"type": "string", "format": "binary"}
                                },
                            },
                        },
                        "400": _ERROR,
                        "401": _ERROR,
                        "408": _ERROR,
                        "413": _ERROR,
                        "415": _ERROR,
                        "503": _BUSY,
                    },
                }
            },
            "/v1/watchlist": {
                "post": {
                    "summary": "Enrol identities (atomic with respect to searches)",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["ids", "embeddings"],
                                    "additionalProperties": False,
                                    "properties": {
                                        "ids": _IDS,
                                        "embeddings": matrix,
                                        "provenance": {"type": "string", "maxLength": 1000},
                                        "expires": {"type": ["string", "null"], "format": "date"},
                                    },
                                }
                            }
                        },
                    },
                    "responses": {
                        "201": {"description": "Enrolled; body gives the new gallery size."},
                        "400": _ERROR,
                        "401": _ERROR,
                        "408": _ERROR,
                        "409": _ERROR,
                        "413": _ERROR,
                        "503": _BUSY,
                    },
                }
            },
            "/v1/watchlist/remove": {
                "post": {
                    "summary": "Remove identities (all or none; atomic with respect to searches)",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["ids"],
                                    "additionalProperties": False,
                                    "properties": {"ids": _IDS},
                                }
                            }
                        },
                    },
                    "responses": {
                        "200": {"description": "Removed; body gives the new gallery size."},
                        "400": _ERROR,
                        "401": _ERROR,
                        "404": _ERROR,
                        "408": _ERROR,
                        "413": _ERROR,
                        "503": _BUSY,
                    },
                }
            },
            "/v1/watchlist/{identity_id}": {
                "delete": {
                    "summary": "Remove one identity",
                    "parameters": [
                        {
                            "name": "identity_id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "integer", "minimum": 0, "maximum": 2**63 - 1},
                        }
                    ],
                    "responses": {
                        "200": {"description": "Removed; body gives the new gallery size."},
                        "400": _ERROR,
                        "401": _ERROR,
                        "404": _ERROR,
                        "503": _BUSY,
                    },
                }
            },
            "/health": {
                "get": {
                    "summary": "Liveness and gallery summary (no token needed)",
                    "security": [{}],
                    "responses": {"200": {"description": "Serving."}, "503": _BUSY},
                }
            },
            "/metrics": {
                "get": {
                    "summary": "Prometheus metrics",
                    "responses": {"200": {"description": "Prometheus text format."}, "401": _ERROR},
                }
            },
            "/openapi.json": {
                "get": {
                    "summary": "This document",
                    "security": [{}],
                    "responses": {"200": {"description": "OpenAPI 3.1."}},
                }
            },
        },
    }
