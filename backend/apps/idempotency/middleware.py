"""Stores the final response of a request that claimed an Idempotency-Key (see services)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from apps.idempotency.services import idempotency_abandon, idempotency_complete

CLAIM_ATTRIBUTE = "_hub_idempotency_claim"


class IdempotencyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            response = self.get_response(request)
        except BaseException:
            claim = getattr(request, CLAIM_ATTRIBUTE, None)
            if claim is not None:
                idempotency_abandon(record_id=claim)
            raise
        claim = getattr(request, CLAIM_ATTRIBUTE, None)
        if claim is not None:
            if response.status_code >= 500:
                idempotency_abandon(record_id=claim)  # our failure: the client may retry with the key
            else:
                idempotency_complete(record_id=claim, response=response)
        return response
