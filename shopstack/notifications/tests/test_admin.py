"""The notification log in the admin: read-only, and failed messages can be sent again."""

from __future__ import annotations

import pytest

from shopstack.accounts.tests.conftest import add_totp, make_user
from shopstack.core.events import outbox_dispatch_pending
from shopstack.notifications.models import NotificationLog
from shopstack.notifications.tasks import notification_retry_due
from shopstack.testing.customer_orders import make_customer, make_order, order_event

pytestmark = pytest.mark.django_db
URL = "/admin/notifications/notificationlog/"


@pytest.fixture
def staff_client(client):
    staff = make_user("boss@example.com", is_staff=True, is_superuser=True)
    add_totp(staff)  # staff without two-factor are sent to set it up
    client.force_login(staff)
    return client


def test_failed_messages_are_listed_and_sent_again(staff_client, smtp_server):
    order = make_order(customer=make_customer())
    smtp_server.refuse_next(1)
    order_event(order, "OrderConfirmed")
    outbox_dispatch_pending()
    log = NotificationLog.objects.get()
    assert log.status == "failed"

    page = staff_client.get(URL)
    assert page.status_code == 200
    assert order.number in page.content.decode()

    response = staff_client.post(URL, {"action": "send_again", "_selected_action": [log.pk]})
    assert response.status_code == 302
    assert smtp_server.messages == []  # not sent inside the web request
    assert notification_retry_due.enqueue().return_value == 1  # the scheduler's sweep
    log.refresh_from_db()
    assert (log.status, log.attempts) == ("sent", 2)
    assert len(smtp_server.messages) == 1
    assert staff_client.get(f"{URL}{log.pk}/change/").status_code == 200
    assert staff_client.get(f"{URL}add/").status_code == 403
