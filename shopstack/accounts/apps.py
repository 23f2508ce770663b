from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "shopstack.accounts"
    label = "accounts"

    def ready(self) -> None:
        from shopstack.accounts import tasks as handlers  # the handler enqueues a task: it lives there
        from shopstack.accounts.services import STAFF_ENROLMENT_ISSUED_EVENT
        from shopstack.core.events import subscribe

        subscribe(STAFF_ENROLMENT_ISSUED_EVENT, handlers.on_staff_enrolment_issued)
