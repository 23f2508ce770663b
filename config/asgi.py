import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
application = get_asgi_application()

from shopstack.core.runtime import settle_heap  # noqa: E402 (needs the settings above)

settle_heap()
