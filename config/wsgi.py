import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
application = get_wsgi_application()

from shopstack.core.runtime import settle_heap  # noqa: E402 (needs the settings above)

settle_heap()
