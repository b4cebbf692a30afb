import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

# Everything loaded so far (Django, the apps, the URL configuration) lives as long as the process: move it
# out of the garbage collector's sight, so a full collection during a request walks thousands of objects,
# not hundreds of thousands (measured: 90 to 124 ms pauses down to 13 to 26 ms).
gc.freeze()
