"""Cross-cutting HTTP concerns: a request id on every request and the CSP header."""

import logging
import re
import uuid
from contextvars import ContextVar

from django.conf import settings

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestIdMiddleware:
    """Take X-Request-ID from the load balancer (when sane) or make one.

    The id is in every log line of the request and in the response's
    X-Request-ID header, and the 500 page shows it to the user.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = request_id_var.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response["X-Request-ID"] = request_id
        return response


class RequestIdLogFilter(logging.Filter):
    def filter(self, record):
        record.request_id = request_id_var.get()
        return True


class ContentSecurityPolicyMiddleware:
    """Sets Content-Security-Policy: the cabinet's pages run only their own files.

    No inline script anywhere in the cabinet; the admin keeps Django's own
    inline style attributes, so its policy allows inline styles.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            admin = request.path.startswith("/admin/") or request.path.startswith("/api/docs")
            policy = settings.CSP_ADMIN if admin else settings.CSP_CABINET
            response["Content-Security-Policy"] = policy
        return response


class CabinetLocaleMiddleware:
    """The cabinet speaks Russian unless the user chose another language.

    Django's LocaleMiddleware would follow the browser's Accept-Language, so
    an operator with an English browser would land in English. Here only the
    language cookie, set by the switch in the header, changes the language.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.utils import translation
        from django.utils.cache import patch_vary_headers

        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        supported = {code for code, _name in settings.LANGUAGES}
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", language)
        return response
