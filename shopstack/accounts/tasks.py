"""Background work for accounts: emails leave the process from a worker."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.tasks import task
from django.template import loader
from django.urls import reverse

from shopstack.accounts.models import StaffEnrolment
from shopstack.accounts.services import STAFF_ENROLMENT_LINK_LIFETIME, staff_enrolment_token
from shopstack.core.enqueue import enqueue_with_transaction
from shopstack.core.events import Event


@task()
def staff_enrolment_send(enrolment_id: int) -> bool:
    """Email a staff member their two-factor enrolment link; False when it is spent already."""
    enrolment = StaffEnrolment.objects.select_related("user").get(pk=enrolment_id)
    if enrolment.used_at is not None:
        return False
    path = reverse("accounts:staff_enrolment_open", args=[staff_enrolment_token(enrolment=enrolment)])
    context = {
        "link": settings.SHOP_BASE_URL.rstrip("/") + path,
        "minutes": int(STAFF_ENROLMENT_LINK_LIFETIME.total_seconds() // 60),
        "shop_name": settings.SHOP_NAME,
    }
    send_mail(
        f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}Set up two-factor authentication",
        loader.render_to_string("accounts/email/staff_enrolment.txt", context),
        None,
        [enrolment.user.email],
    )
    return True


def on_staff_enrolment_issued(event: Event) -> None:
    enrolment_id = int(event.payload["enrolment_id"])
    enqueue_with_transaction(staff_enrolment_send, lambda: staff_enrolment_send.enqueue(enrolment_id))
