"""The test gateway's webhook delivery: signed POSTs to the shop, retried with backoff."""

from __future__ import annotations

import urllib.error
import urllib.request
from datetime import timedelta

from django.tasks import task
from django.utils import timezone

from shopstack.payments.testgateway.ledger import SIGNATURE_HEADER, config, sign
from shopstack.payments.testgateway.models import LedgerWebhook

MAX_ATTEMPTS = 8


@task()
def testgateway_webhook_deliver(webhook_id: int) -> bool:
    """POST one event to the shop; a failure is retried after 2, 4, 8... seconds (up to 8 tries)."""
    webhook = LedgerWebhook.objects.filter(pk=webhook_id, delivered_at__isnull=True).first()
    if webhook is None:
        return True
    body = webhook.body.encode()
    request = urllib.request.Request(
        webhook.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(body, secret=config()["WEBHOOK_SECRET"]),
        },
    )
    status, error = None, ""
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        status, error = exc.code, exc.read(500).decode(errors="replace")
    except (urllib.error.URLError, OSError) as exc:
        error = str(exc)
    delivered = status is not None and 200 <= status < 300
    LedgerWebhook.objects.filter(pk=webhook.pk).update(
        attempts=webhook.attempts + 1,
        last_status=status,
        last_error=error,
        delivered_at=timezone.now() if delivered else None,
    )
    backend = testgateway_webhook_deliver.get_backend()
    if not delivered and webhook.attempts + 1 < MAX_ATTEMPTS and backend.supports_defer:
        delay = timedelta(seconds=2 ** (webhook.attempts + 1))
        testgateway_webhook_deliver.using(run_after=timezone.now() + delay).enqueue(webhook.pk)
    return delivered
